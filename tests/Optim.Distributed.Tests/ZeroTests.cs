using System;
using System.Linq;
using Optim.Distributed.Ranks;
using Xunit;

namespace Optim.Distributed.Tests;

/// <summary>
/// ZeRO stage 1 under mpirun (<c>--zero 1</c>: <see cref="DataParallel{T}.ShardOptimizerState"/>, then
/// <see cref="DataParallel{T}.Step"/>): every rank's parameters equal bit for bit after every step, the run agrees with one
/// process within <see cref="Tolerance"/>, each rank holds only its slice's optimizer state, and checkpoints written by a
/// sharded run load on other rank counts, sharded or not, and in one process, and the other way round.
/// </summary>
[Trait("Category", "Long")]
public sealed class ZeroTests : TempDirectory
{
    private const int Steps = 100;
    private const int Leg = 20;

    [SkippableTheory]
    [InlineData("hand-float", 2)]
    [InlineData("hand-float", 3)]
    [InlineData("hand-double", 3)]
    [InlineData("network-float", 2)]
    [InlineData("network-double", 3)]
    [InlineData("lamb-float", 2)]
    [InlineData("lamb-float", 3)]
    [InlineData("clipped-float", 2)]
    [InlineData("clipped-float", 3)]
    [InlineData("groups-float", 2)]
    [InlineData("groups-float", 3)]
    [InlineData("mixed-groups-float", 2)]
    public void Sharded_ranks_train_to_the_loss_of_one_process_with_their_slice_of_the_state(string model, int ranks)
    {
        MpiRun.Ranks(ranks, DataParallelTests.Arguments(model, Steps, PathOf("run"), "--zero", "1")).Succeeded();
        RunFiles run = RunFiles.Read(PathOf("run"));
        TrainResult single = Trainer.Run(new TrainOptions { Model = model, Steps = Steps, Batch = 24, Seed = 1 }, world: null);

        Assert.Equal(Steps, run.Hashes.Length);
        Assert.All(run.Hashes, step => Assert.All(step, hash => Assert.Equal(step[0], hash)));
        Assert.Equal(Steps, run.Hashes.Select(step => step[0]).Distinct().Count());
        Tolerance.Losses(model, single.Losses.ToArray(), run.Losses);
        Tolerance.Parameters(model, single.Parameters, run.Parameters);

        // State per rank: its slice (whole 64-byte lines per state buffer), not the whole model's. LAMB's slices are whole
        // tensors, balanced by elements as the tensors allow: a slice may exceed 1/n by up to its largest tensor (160 values,
        // two state buffers: 1280 bytes).
        long whole = single.StateBytes[0];
        Assert.Equal(ranks, run.StateBytes.Length);
        Assert.All(run.StateBytes, bytes => Assert.True(bytes > 0 && bytes < whole, $"{bytes} bytes of state on a rank, {whole} unsharded"));
        Assert.True(run.StateBytes.Sum() <= whole, $"the ranks hold {run.StateBytes.Sum()} bytes of state in all, one process {whole}");
        // With parameter groups every group's buffers (Adam 2, SGD 1, AdamW 2; Adam 2, LAMB 2) may add a line per slice; the
        // mixed model's slices are whole tensors too (First's weight, 160 values, in Adam's two buffers).
        long slack = model switch
        {
            "lamb-float" => 2 * 160 * sizeof(float) + 2 * 64,
            "groups-float" => 5 * 64 * 2,
            "mixed-groups-float" => 2 * 160 * sizeof(float) + 4 * 64,
            _ => 2 * 64 * 2,
        };
        Assert.True(run.StateBytes.Max() <= whole / ranks + slack, $"the largest slice's state, {run.StateBytes.Max()} bytes, is not about 1/{ranks} of {whole}");
    }

    [SkippableTheory]
    [InlineData("hand-float")]
    [InlineData("network-double")]
    [InlineData("lamb-float")]
    [InlineData("groups-float")]
    public void A_sharded_run_on_3_ranks_resumes_sharded_on_2_then_unsharded_on_2_then_in_one_process(string model)
    {
        string first = PathOf("3.ckpt"), second = PathOf("2.ckpt"), third = PathOf("2u.ckpt");
        MpiRun.Ranks(3, DataParallelTests.Arguments(model, Leg, PathOf("leg1"), "--zero", "1", "--save", first, "--save-at", $"{Leg}")).Succeeded();
        MpiRun.Ranks(2, DataParallelTests.Arguments(model, 2 * Leg, PathOf("leg2"), "--zero", "1", "--resume", first, "--save", second, "--save-at", $"{2 * Leg}")).Succeeded();
        MpiRun.Ranks(2, DataParallelTests.Arguments(model, 3 * Leg, PathOf("leg3"), "--resume", second, "--save", third, "--save-at", $"{3 * Leg}")).Succeeded();
        TrainResult last = Trainer.Run(new TrainOptions { Model = model, Steps = 4 * Leg, Batch = 24, Seed = 1, ResumePath = third }, world: null);
        RunFiles leg1 = RunFiles.Read(PathOf("leg1")), leg2 = RunFiles.Read(PathOf("leg2")), leg3 = RunFiles.Read(PathOf("leg3"));

        Assert.Equal(leg1.Parameters, CheckpointTests.ParametersIn(model, first));
        Assert.Equal(leg2.Parameters, CheckpointTests.ParametersIn(model, second));
        Assert.Equal(Leg, leg2.Losses.Length);
        Assert.Equal(Leg, leg3.Losses.Length);
        TrainResult whole = Trainer.Run(new TrainOptions { Model = model, Steps = 4 * Leg, Batch = 24, Seed = 1 }, world: null);
        Tolerance.Losses(model, whole.Losses.Skip(Leg).ToArray(), leg2.Losses.Concat(leg3.Losses).Concat(last.Losses).ToArray());
        Tolerance.Parameters(model, whole.Parameters, last.Parameters);
    }

    [SkippableFact]
    public void A_run_saved_by_one_process_resumes_sharded_on_3_ranks()
    {
        const string Model = "network-double";
        string first = PathOf("1.ckpt");
        Trainer.Run(new TrainOptions { Model = Model, Steps = Leg, Batch = 24, Seed = 1, SavePath = first, SaveAt = Leg }, world: null);
        MpiRun.Ranks(3, DataParallelTests.Arguments(Model, 2 * Leg, PathOf("leg2"), "--zero", "1", "--resume", first)).Succeeded();
        RunFiles leg2 = RunFiles.Read(PathOf("leg2"));
        TrainResult whole = Trainer.Run(new TrainOptions { Model = Model, Steps = 2 * Leg, Batch = 24, Seed = 1 }, world: null);

        Assert.Equal(Leg, leg2.Losses.Length);
        Tolerance.Losses(Model, whole.Losses.Skip(Leg).ToArray(), leg2.Losses);
        Tolerance.Parameters(Model, whole.Parameters, leg2.Parameters);
    }
}
