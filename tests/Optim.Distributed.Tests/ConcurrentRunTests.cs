using System.Threading.Tasks;
using Xunit;

namespace Optim.Distributed.Tests;

/// <summary>
/// Several mpirun started at the same moment, as xunit starts test classes in parallel, all succeed: each has a session
/// directory of its own (<see cref="MpiRun"/>), where Open MPI's shared /tmp/ompi.&lt;host&gt;.&lt;uid&gt; once failed a CI run
/// with "mkdir ... File exists".
/// </summary>
[Trait("Category", "Long")]
public sealed class ConcurrentRunTests
{
    [SkippableFact]
    public void Runs_started_together_each_succeed()
    {
        MpiRun.RequireMpi();
        var outcomes = new MpiRun.Outcome[6];
        Parallel.For(0, outcomes.Length, new ParallelOptions { MaxDegreeOfParallelism = outcomes.Length },
            i => outcomes[i] = MpiRun.Ranks(2, ["collectives"]));
        foreach (MpiRun.Outcome outcome in outcomes)
        {
            outcome.Succeeded();
            Assert.Contains("collectives ok on rank 1 of 2", outcome.Output, System.StringComparison.Ordinal);
        }
    }
}
