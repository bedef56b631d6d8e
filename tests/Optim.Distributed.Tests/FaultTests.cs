using System;
using System.Text.RegularExpressions;
using Xunit;

namespace Optim.Distributed.Tests;

/// <summary>
/// A rank that throws, exits with an error or is killed ends the whole job, promptly (never a hang: the runs have a
/// timeout), with output that names the rank; the checkpoint written before the fault is intact.
/// </summary>
[Trait("Category", "Long")]
public sealed partial class FaultTests : TempDirectory
{
    [SkippableTheory]
    [InlineData("throw", 1, 3)]
    [InlineData("die", 1, 3)]
    [InlineData("exit", 2, 3)]
    [InlineData("throw", 0, 2)]
    [InlineData("die", 0, 2)]
    public void A_failing_rank_ends_every_rank_naming_it_and_leaves_the_last_checkpoint_intact(string mode, int failingRank, int ranks)
    {
        string checkpoint = PathOf("before-fault.ckpt");
        var outcome = MpiRun.Ranks(ranks, DataParallelTests.Arguments("hand-float", 50, PathOf("out"),
            "--save", checkpoint, "--save-at", "3", "--fail-rank", $"{failingRank}", "--fail-step", "6", "--fail-mode", mode),
            timeout: TimeSpan.FromSeconds(90));

        Assert.NotEqual(0, outcome.ExitCode);
        Assert.Matches(new Regex($@"\brank {failingRank}\b"), outcome.Output);
        Assert.DoesNotMatch(NoRankFinished(), outcome.Output);
        Assert.Equal(3, CheckpointTests.StepCountIn(checkpoint));
        Assert.Equal(ParametersAfterThreeSteps(ranks), CheckpointTests.ParametersIn("hand-float", checkpoint));
        string expected = mode switch
        {
            "throw" => $"Optim.Distributed: rank {failingRank} of {ranks} failed: System.InvalidOperationException: Injected failure on rank {failingRank} at step 6.",
            "exit" => $"Optim.Distributed: rank {failingRank} of {ranks} exited with code 3; aborting the job.",
            _ => $"process rank {failingRank} with PID",   // mpirun's own report of a killed rank
        };
        Assert.Contains(expected, outcome.Output, StringComparison.Ordinal);
    }

    // The same ranks training 3 steps without a fault (same ranks, so the same sums: the same bits).
    private byte[] ParametersAfterThreeSteps(int ranks)
    {
        MpiRun.Ranks(ranks, DataParallelTests.Arguments("hand-float", 3, PathOf("three"))).Succeeded();
        return RunFiles.Read(PathOf("three")).Parameters;
    }

    [GeneratedRegex(@"rank \d+ of \d+ finished")]
    private static partial Regex NoRankFinished();
}
