using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Optim.Distributed.Ranks;
using Xunit;

namespace Optim.Distributed.Tests;

/// <summary>
/// Rank 0 writes the ordinary checkpoint, so a run moves between rank counts: 3 ranks → 2 → one process, and back
/// (1 → 2 → 3), ends where one process training all the way ends, within <see cref="Tolerance"/>.
/// </summary>
[Trait("Category", "Long")]
public sealed class CheckpointTests : TempDirectory
{
    private const int Leg = 20;   // steps per leg; the run has three legs

    [SkippableTheory]
    [InlineData("hand-float")]
    [InlineData("network-double")]
    public void A_run_saved_on_3_ranks_resumes_on_2_then_on_one_process(string model)
    {
        string first = PathOf("3.ckpt"), second = PathOf("2.ckpt");
        MpiRun.Ranks(3, DataParallelTests.Arguments(model, Leg, PathOf("leg1"), "--save", first, "--save-at", $"{Leg}")).Succeeded();
        MpiRun.Ranks(2, DataParallelTests.Arguments(model, 2 * Leg, PathOf("leg2"), "--resume", first, "--save", second, "--save-at", $"{2 * Leg}")).Succeeded();
        TrainResult last = Trainer.Run(new TrainOptions { Model = model, Steps = 3 * Leg, Batch = 24, Seed = 1, ResumePath = second }, world: null);

        // The checkpoint of 3 ranks holds exactly the parameters those ranks had.
        Assert.Equal(RunFiles.Read(PathOf("leg1")).Parameters, ParametersIn(model, first));
        Assert.Equal(RunFiles.Read(PathOf("leg2")).Parameters, ParametersIn(model, second));
        AssertMatchesOneProcess(model, RunFiles.Read(PathOf("leg2")).Losses.Concat(last.Losses).ToArray(), last.Parameters);
    }

    [SkippableTheory]
    [InlineData("hand-double")]
    [InlineData("network-float")]
    public void A_run_saved_by_one_process_resumes_on_2_ranks_then_on_3(string model)
    {
        string first = PathOf("1.ckpt"), second = PathOf("2.ckpt");
        Trainer.Run(new TrainOptions { Model = model, Steps = Leg, Batch = 24, Seed = 1, SavePath = first, SaveAt = Leg }, world: null);
        MpiRun.Ranks(2, DataParallelTests.Arguments(model, 2 * Leg, PathOf("leg2"), "--resume", first, "--save", second, "--save-at", $"{2 * Leg}")).Succeeded();
        MpiRun.Ranks(3, DataParallelTests.Arguments(model, 3 * Leg, PathOf("leg3"), "--resume", second)).Succeeded();
        RunFiles leg2 = RunFiles.Read(PathOf("leg2")), leg3 = RunFiles.Read(PathOf("leg3"));

        Assert.Equal(Leg, leg2.Losses.Length);   // the ranks resumed at step 21, not at the start
        Assert.Equal(Leg, leg3.Losses.Length);
        AssertMatchesOneProcess(model, leg2.Losses.Concat(leg3.Losses).ToArray(), leg3.Parameters);
    }

    // One process training all three legs without stopping: the last two legs' losses and the final parameters.
    private static void AssertMatchesOneProcess(string model, double[] lastTwoLegsLosses, byte[] finalParameters)
    {
        TrainResult whole = Trainer.Run(new TrainOptions { Model = model, Steps = 3 * Leg, Batch = 24, Seed = 1 }, world: null);
        Tolerance.Losses(model, whole.Losses.Skip(Leg).ToArray(), lastTwoLegsLosses);
        Tolerance.Parameters(model, whole.Parameters, finalParameters);
    }

    internal static byte[] ParametersIn(string model, string path)
    {
        using var stream = File.OpenRead(path);
        switch (model)
        {
            case "hand-float":
                var handFloat = new HandMlpFloat();
                handFloat.LoadCheckpoint(stream);
                return MemoryMarshal.AsBytes(handFloat.Parameters).ToArray();
            case "network-double":
                var networkDouble = new NetworkDouble();
                networkDouble.LoadCheckpoint(stream);
                return MemoryMarshal.AsBytes(networkDouble.Parameters).ToArray();
            case "lamb-float":
                var lamb = new NetworkLambFloat();
                lamb.LoadCheckpoint(stream);
                return MemoryMarshal.AsBytes(lamb.Parameters).ToArray();
            case "groups-float":
                var groups = new NetworkGroupsFloat();
                groups.LoadCheckpoint(stream);
                return MemoryMarshal.AsBytes(groups.Parameters).ToArray();
            default:
                throw new ArgumentException($"No loader for {model}.", nameof(model));
        }
    }

    internal static long StepCountIn(string path)
    {
        var model = new HandMlpFloat();
        using var stream = File.OpenRead(path);
        model.LoadCheckpoint(stream);
        return model.StepCount;
    }
}
