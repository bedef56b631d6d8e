using System;
using System.Linq;
using Xunit;
using static Optim.Optimizer;

namespace Optim.Generators.Tests.Runtime;

[Optimize(Lamb, Lr = 1e-2, WeightDecay = 0.01, Threads = 2)]
public sealed partial class SharedLamb
{
    [Parameter(40, 300)] public partial Span<float> W1 { get; }
    [Parameter(300)] public partial Span<float> B1 { get; }
    [Parameter(7, 40)] public partial Span<float> W2 { get; }
    [Parameter(1)] public partial Span<float> B2 { get; }
}

[Optimize(Lamb, Lr = 1e-2, WeightDecay = 0.01, Threads = 1)]
public sealed partial class SingleLamb
{
    [Parameter(40, 300)] public partial Span<float> W1 { get; }
    [Parameter(300)] public partial Span<float> B1 { get; }
    [Parameter(7, 40)] public partial Span<float> W2 { get; }
    [Parameter(1)] public partial Span<float> B2 { get; }
}

[Optimize(Adafactor, WeightDecay = 0.01, ClipGradNorm = 0.5, Threads = 3)]
public sealed partial class SharedAdafactor
{
    [Parameter(40, 300)] public partial Span<double> W1 { get; }
    [Parameter(300)] public partial Span<double> B1 { get; }
    [Parameter(7, 40)] public partial Span<double> W2 { get; }
    [Parameter(3, 5, 2)] public partial Span<double> W3 { get; }
}

[Optimize(Adafactor, WeightDecay = 0.01, ClipGradNorm = 0.5, Threads = 1)]
public sealed partial class SingleAdafactor
{
    [Parameter(40, 300)] public partial Span<double> W1 { get; }
    [Parameter(300)] public partial Span<double> B1 { get; }
    [Parameter(7, 40)] public partial Span<double> W2 { get; }
    [Parameter(3, 5, 2)] public partial Span<double> W3 { get; }
}

/// <summary>Twelve small tensors whose ends share 64-byte lines with the next tensor's start.</summary>
[Optimize(Lamb, Lr = 1e-2, Threads = 2)]
public sealed partial class SharedSmallLamb
{
    [Parameter(17)] public partial Span<float> P0 { get; }
    [Parameter(17)] public partial Span<float> P1 { get; }
    [Parameter(17)] public partial Span<float> P2 { get; }
    [Parameter(17)] public partial Span<float> P3 { get; }
    [Parameter(17)] public partial Span<float> P4 { get; }
    [Parameter(17)] public partial Span<float> P5 { get; }
    [Parameter(17)] public partial Span<float> P6 { get; }
    [Parameter(17)] public partial Span<float> P7 { get; }
    [Parameter(17)] public partial Span<float> P8 { get; }
    [Parameter(17)] public partial Span<float> P9 { get; }
    [Parameter(17)] public partial Span<float> P10 { get; }
    [Parameter(17)] public partial Span<float> P11 { get; }
}

[Optimize(Lamb, Lr = 1e-2, Threads = 1)]
public sealed partial class SingleSmallLamb
{
    [Parameter(17)] public partial Span<float> P0 { get; }
    [Parameter(17)] public partial Span<float> P1 { get; }
    [Parameter(17)] public partial Span<float> P2 { get; }
    [Parameter(17)] public partial Span<float> P3 { get; }
    [Parameter(17)] public partial Span<float> P4 { get; }
    [Parameter(17)] public partial Span<float> P5 { get; }
    [Parameter(17)] public partial Span<float> P6 { get; }
    [Parameter(17)] public partial Span<float> P7 { get; }
    [Parameter(17)] public partial Span<float> P8 { get; }
    [Parameter(17)] public partial Span<float> P9 { get; }
    [Parameter(17)] public partial Span<float> P10 { get; }
    [Parameter(17)] public partial Span<float> P11 { get; }
}

/// <summary>
/// A per-tensor rule on a parallel model shares its tensors between threads (StepWorkers.RunEach): the result must be the
/// single-threaded one bit for bit, with a frozen tensor too, and the work must really be shared.
/// </summary>
[Collection(StepWorkersGroup.Name)]
public sealed class ParallelTensorTests
{
    [Fact]
    public void Lamb_tensors_shared_between_threads_give_the_single_threaded_bits() =>
        Compare(new SharedLamb(), new SingleLamb(), (m, frozen) => ((SharedLamb)m).B1Frozen = frozen, (m, frozen) => ((SingleLamb)m).B1Frozen = frozen);

    [Fact]
    public void Adafactor_tensors_shared_between_threads_give_the_single_threaded_bits() =>
        Compare(new SharedAdafactor(), new SingleAdafactor(), (m, frozen) => ((SharedAdafactor)m).W2Frozen = frozen, (m, frozen) => ((SingleAdafactor)m).W2Frozen = frozen);

    /// <summary>
    /// Two threads update neighbouring tensors at the same moment: the end of one tensor and the start of the next share a
    /// 64-byte line, so a pass must write only its own tensor's elements (never read and write back a whole last vector,
    /// which could put back a value the other thread has just written). Thousands of steps make a lost write show.
    /// </summary>
    [Fact]
    public void Neighbouring_tensors_updated_at_once_lose_no_write()
    {
        var shared = new SharedSmallLamb();
        var single = new SingleSmallLamb();
        var random = new Random(5);
        for (int i = 0; i < SharedSmallLamb.ParameterCount; i++)
        {
            shared.Parameters[i] = single.Parameters[i] = (float)(random.NextDouble() - 0.5);
        }

        for (int step = 0; step < 20_000; step++)
        {
            for (int i = 0; i < SharedSmallLamb.ParameterCount; i++)
            {
                shared.Gradients[i] = single.Gradients[i] = (float)(random.NextDouble() - 0.5);
            }

            shared.Step();
            single.Step();
            if (!shared.Parameters.SequenceEqual(single.Parameters))
            {
                Assert.Fail($"step {step + 1}: the two-thread model lost a write (first difference at element {Enumerable.Range(0, SharedSmallLamb.ParameterCount).First(i => shared.Parameters[i] != single.Parameters[i])})");
            }
        }
    }

    private static void Compare<T>(IOptimizable<T> shared, IOptimizable<T> single, Action<object, bool> freezeShared, Action<object, bool> freezeSingle)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var random = new Random(21);
        for (int i = 0; i < shared.ParameterCount; i++)
        {
            shared.Parameters[i] = single.Parameters[i] = T.CreateChecked(random.NextDouble() - 0.5);
        }

        for (int step = 0; step < 6; step++)
        {
            freezeShared(shared, step == 3);
            freezeSingle(single, step == 3);
            for (int i = 0; i < shared.ParameterCount; i++)
            {
                shared.Gradients[i] = single.Gradients[i] = T.CreateChecked((random.NextDouble() - 0.5) * 3);
            }

            long slices = StepWorkers.SlicesRun;
            shared.Step();
            Assert.True(StepWorkers.SlicesRun - slices >= 2, "the tensors were shared between threads");
            single.Step();
            Assert.True(shared.Parameters.SequenceEqual(single.Parameters), $"step {step + 1} differs");
        }
    }
}
