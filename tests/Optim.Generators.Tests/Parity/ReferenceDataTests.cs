using System.IO;
using System.Linq;
using Optim.Generators.Tests.Infrastructure;
using Optim.Generators.Tests.Schedules;
using Xunit;

namespace Optim.Generators.Tests.Parity;

/// <summary>
/// The reference trajectories travel with the repository (tests/reference/), so a fresh clone with nothing beside it
/// runs every parity case. A missing or unreadable file fails here by name instead of shrinking the theory lists.
/// </summary>
public sealed class ReferenceDataTests
{
    [Fact]
    public void Reference_files_are_inside_the_repository_and_parse()
    {
        foreach (string name in new[] { "optimizers.json", "schedulers.json" })
        {
            string path = Repository.ReferenceFile(name);
            Assert.StartsWith(Repository.Root, Path.GetFullPath(path), System.StringComparison.Ordinal);
        }

        Assert.NotEmpty(ReferenceCase.All);
        Assert.NotEmpty(ScheduleCase.All);
    }

    [Fact]
    public void Every_reference_case_is_well_formed()
    {
        foreach (ReferenceCase c in ReferenceCase.All)
        {
            Assert.True(c.Grads.Length == c.Params.Length, $"{c.Name}: {c.Grads.Length} gradients for {c.Params.Length} steps");
            Assert.All(c.Grads.Concat(c.Params), v => Assert.Equal(c.Initial.Length, v.Length));
            Assert.True(c.Tolerance > 0 && c.Tolerance < 1e-2, $"{c.Name}: tolerance {c.Tolerance}");
            Assert.True(c.Hyperparameters.ContainsKey("lr"), $"{c.Name} has no lr");
        }

        Assert.All(ScheduleCase.All, c => Assert.NotEmpty(c.Lrs));
    }
}
