using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Optim.Distributed.Ranks;
using Xunit;

namespace Optim.Distributed.Tests;

/// <summary>
/// 2 and 3 ranks under mpirun train the hand-written MLP and a generated network, float and double, on the same global
/// batches as one process: the same losses and parameters within <see cref="Tolerance"/>, every rank's parameters equal
/// bit for bit after every step, the same bits from run to run, and no allocation in <c>AverageGradients</c>.
/// </summary>
[Trait("Category", "Long")]
public sealed class DataParallelTests : TempDirectory
{
    private const int Steps = 200;
    private const int Batch = 24;   // divides among 1, 2 and 3 ranks

    internal static string[] Arguments(string model, int steps, string output, params string[] more) =>
        ["train", "--model", model, "--steps", steps.ToString(CultureInfo.InvariantCulture), "--batch", Batch.ToString(CultureInfo.InvariantCulture),
         "--seed", "1", "--out", output, .. more];

    [SkippableTheory]
    [InlineData("hand-float", 2)]
    [InlineData("hand-float", 3)]
    [InlineData("hand-double", 2)]
    [InlineData("hand-double", 3)]
    [InlineData("network-float", 2)]
    [InlineData("network-float", 3)]
    [InlineData("network-double", 2)]
    [InlineData("network-double", 3)]
    public void Ranks_train_to_the_loss_of_one_process_with_identical_parameters_on_every_rank_after_every_step(string model, int ranks)
    {
        MpiRun.Ranks(ranks, Arguments(model, Steps, PathOf("run"))).Succeeded();
        RunFiles run = RunFiles.Read(PathOf("run"));
        TrainResult single = Trainer.Run(new TrainOptions { Model = model, Steps = Steps, Batch = Batch, Seed = 1 }, world: null);

        Assert.Equal(Steps, run.Hashes.Length);
        foreach (ulong[] step in run.Hashes)
        {
            Assert.Equal(ranks, step.Length);
            Assert.All(step, hash => Assert.Equal(step[0], hash));
        }

        Assert.Equal(Steps, run.Hashes.Select(step => step[0]).Distinct().Count());   // every step changed the parameters
        Tolerance.Losses(model, single.Losses.ToArray(), run.Losses);
        Tolerance.Parameters(model, single.Parameters, run.Parameters);
        Assert.True(run.Losses[^1] < run.Losses[0] / 4, $"{model} did not train: loss {run.Losses[0]} then {run.Losses[^1]}");
    }

    [SkippableTheory]
    [InlineData("hand-float", 2)]
    [InlineData("network-float", 3)]
    public void A_run_gives_the_same_bits_every_time(string model, int ranks)
    {
        MpiRun.Ranks(ranks, Arguments(model, 100, PathOf("first"))).Succeeded();
        MpiRun.Ranks(ranks, Arguments(model, 100, PathOf("second"))).Succeeded();
        RunFiles first = RunFiles.Read(PathOf("first")), second = RunFiles.Read(PathOf("second"));

        Assert.Equal(first.Parameters, second.Parameters);
        Assert.Equal(first.Losses, second.Losses);
        Assert.Equal(first.Hashes.Select(h => h[0]), second.Hashes.Select(h => h[0]));
    }

    [SkippableFact]
    public void Open_MPIs_ring_all_reduce_gives_the_answer_of_one_process_too()
    {
        const string Model = "hand-double";
        string[] ring = ["--mca", "coll_tuned_use_dynamic_rules", "1", "--mca", "coll_tuned_allreduce_algorithm", "4"];
        MpiRun.Ranks(3, Arguments(Model, 100, PathOf("ring")), mpiOptions: ring).Succeeded();
        RunFiles run = RunFiles.Read(PathOf("ring"));
        TrainResult single = Trainer.Run(new TrainOptions { Model = Model, Steps = 100, Batch = Batch, Seed = 1 }, world: null);

        Assert.All(run.Hashes, step => Assert.All(step, hash => Assert.Equal(step[0], hash)));
        Tolerance.Losses(Model, single.Losses.ToArray(), run.Losses);
        Tolerance.Parameters(Model, single.Parameters, run.Parameters);
    }

    [SkippableTheory]
    [InlineData("hand-float", 2)]
    [InlineData("network-double", 3)]
    public void AverageGradients_allocates_nothing_on_any_rank(string model, int ranks)
    {
        MpiRun.Ranks(ranks, Arguments(model, 5, PathOf("alloc"), "--allocation-calls", "500")).Succeeded();
        long[] allocated = RunFiles.Read(PathOf("alloc")).AllocatedBytes;

        Assert.Equal(ranks, allocated.Length);
        Assert.All(allocated, bytes => Assert.Equal(0, bytes));
    }

    [SkippableFact]
    public void A_rank_whose_parameters_drift_by_one_ulp_stops_the_job_naming_it()
    {
        var outcome = MpiRun.Ranks(3, Arguments("hand-float", 20, PathOf("drift"), "--perturb-rank", "2", "--perturb-step", "7"));

        Assert.NotEqual(0, outcome.ExitCode);
        Assert.Contains("The parameters differ between ranks after 7 steps: rank(s) 2 disagree with rank 0", outcome.Output, System.StringComparison.Ordinal);
        Assert.DoesNotContain("finished", outcome.Output, System.StringComparison.Ordinal);
    }
}
