using System;
using System.Linq;
using Xunit;
using static Optim.Optimizer;

namespace Optim.Generators.Tests.Runtime;

[Optimize(AdamW, Lr = 1e-3, WeightDecay = 0.1, Threads = 2)]
public sealed partial class SplitGroups
{
    [Parameter(300, 700)] public partial Span<float> W { get; }
    [Parameter(150_001), Optimize(Sgd, Lr = 0.1, Momentum = 0.9)] public partial Span<float> E { get; }
    [Parameter(700), Optimize(AdamW, WeightDecay = 0)] public partial Span<float> B { get; }
    [Parameter(33, 100), Optimize(Lamb)] public partial Span<float> L { get; }
}

[Optimize(AdamW, Lr = 1e-3, WeightDecay = 0.1, Threads = 1)]
public sealed partial class SingleGroups
{
    [Parameter(300, 700)] public partial Span<float> W { get; }
    [Parameter(150_001), Optimize(Sgd, Lr = 0.1, Momentum = 0.9)] public partial Span<float> E { get; }
    [Parameter(700), Optimize(AdamW, WeightDecay = 0)] public partial Span<float> B { get; }
    [Parameter(33, 100), Optimize(Lamb)] public partial Span<float> L { get; }
}

/// <summary>LAMB with its biases in an AdamW group without decay, and an Adafactor group: two per-tensor groups.</summary>
[Optimize(Lamb, Lr = 1e-3, WeightDecay = 0.01, Threads = 2)]
public sealed partial class SharedTensorGroups
{
    [Parameter(64, 40)] public partial Span<float> W1 { get; }
    [Parameter(64), Optimize(AdamW, WeightDecay = 0)] public partial Span<float> B1 { get; }
    [Parameter(17, 64)] public partial Span<float> W2 { get; }
    [Parameter(17), Optimize(AdamW, WeightDecay = 0)] public partial Span<float> B2 { get; }
    [Parameter(9, 17), Optimize(Adafactor)] public partial Span<float> W3 { get; }
    [Parameter(23), Optimize(Adafactor)] public partial Span<float> V { get; }
}

[Optimize(Lamb, Lr = 1e-3, WeightDecay = 0.01, Threads = 1)]
public sealed partial class SingleTensorGroups
{
    [Parameter(64, 40)] public partial Span<float> W1 { get; }
    [Parameter(64), Optimize(AdamW, WeightDecay = 0)] public partial Span<float> B1 { get; }
    [Parameter(17, 64)] public partial Span<float> W2 { get; }
    [Parameter(17), Optimize(AdamW, WeightDecay = 0)] public partial Span<float> B2 { get; }
    [Parameter(9, 17), Optimize(Adafactor)] public partial Span<float> W3 { get; }
    [Parameter(23), Optimize(Adafactor)] public partial Span<float> V { get; }
}

/// <summary>
/// A parallel model with parameter groups splits each element-wise group's loop across threads: the same bits as one
/// thread, with and without a frozen parameter, and the work really split.
/// </summary>
[Collection(StepWorkersGroup.Name)]
public sealed class ParallelGroupTests
{
    [Fact]
    public void Each_groups_split_loop_gives_the_single_threaded_bits()
    {
        var split = new SplitGroups();
        var single = new SingleGroups();
        var random = new Random(31);
        for (int i = 0; i < SplitGroups.ParameterCount; i++)
        {
            split.Parameters[i] = single.Parameters[i] = (float)(random.NextDouble() - 0.5);
        }

        for (int step = 0; step < 5; step++)
        {
            split.EFrozen = single.EFrozen = step == 2;
            for (int i = 0; i < SplitGroups.ParameterCount; i++)
            {
                split.Gradients[i] = single.Gradients[i] = (float)(random.NextDouble() - 0.5);
            }

            long slices = StepWorkers.SlicesRun;
            split.Step();
            // W's group and E's group each split in two (while a parameter is frozen, every group runs per parameter on
            // this thread).
            Assert.True(step == 2 || StepWorkers.SlicesRun - slices >= 4, "the large groups' loops were split in two");
            single.Step();
            Assert.True(split.Parameters.SequenceEqual(single.Parameters), $"step {step + 1} differs");
        }
    }

    /// <summary>
    /// Each per-tensor group of a parallel model shares its tensors between threads in turn (LAMB's two matrices, then
    /// Adafactor's matrix and vector): the same bits as one thread, with a frozen tensor too.
    /// </summary>
    [Fact]
    public void Each_per_tensor_group_shares_its_tensors_with_the_single_threaded_bits()
    {
        var shared = new SharedTensorGroups();
        var single = new SingleTensorGroups();
        ParallelTensorTests.StepAlike(shared, single, steps: 200, minimumSlices: 4, frozen => shared.W2Frozen = single.W2Frozen = frozen);
    }
}
