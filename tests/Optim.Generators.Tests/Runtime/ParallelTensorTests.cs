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
    public void Lamb_tensors_shared_between_threads_give_the_single_threaded_bits()
    {
        var shared = new SharedLamb();
        var single = new SingleLamb();
        StepAlike(shared, single, steps: 6, minimumSlices: 2, frozen => shared.B1Frozen = single.B1Frozen = frozen);
    }

    [Fact]
    public void Adafactor_tensors_shared_between_threads_give_the_single_threaded_bits()
    {
        var shared = new SharedAdafactor();
        var single = new SingleAdafactor();
        StepAlike(shared, single, steps: 6, minimumSlices: 2, frozen => shared.W2Frozen = single.W2Frozen = frozen);
    }

    /// <summary>
    /// Two threads update neighbouring tensors at the same moment: the end of one tensor and the start of the next share a
    /// 64-byte line, so a pass must write only its own tensor's elements (never read and write back a whole last vector,
    /// which could put back a value the other thread has just written). Thousands of steps make a lost write show.
    /// </summary>
    [Fact]
    public void Neighbouring_tensors_updated_at_once_lose_no_write() =>
        StepAlike(new SharedSmallLamb(), new SingleSmallLamb(), steps: 20_000, minimumSlices: 2);

    /// <summary>
    /// Steps a model that shares its tensors between threads beside its single-threaded twin on the same random values and
    /// gradients: every step must share the work (at least <paramref name="minimumSlices"/> slices) and give the twin's
    /// parameters bit for bit. <paramref name="freeze"/>, when given, freezes a tensor of both at step 4 only.
    /// </summary>
    internal static void StepAlike<T>(IOptimizable<T> shared, IOptimizable<T> single, int steps, int minimumSlices, Action<bool>? freeze = null)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var random = new Random(21);
        for (int i = 0; i < shared.ParameterCount; i++)
        {
            shared.Parameters[i] = single.Parameters[i] = T.CreateChecked(random.NextDouble() - 0.5);
        }

        for (int step = 0; step < steps; step++)
        {
            freeze?.Invoke(step == 3);
            for (int i = 0; i < shared.ParameterCount; i++)
            {
                shared.Gradients[i] = single.Gradients[i] = T.CreateChecked((random.NextDouble() - 0.5) * 3);
            }

            long slices = StepWorkers.SlicesRun;
            shared.Step();
            long run = StepWorkers.SlicesRun - slices;
            if (run < minimumSlices)
            {
                Assert.Fail($"step {step + 1}: {run} slices, the tensors were not shared between threads");
            }

            single.Step();
            if (!shared.Parameters.SequenceEqual(single.Parameters))
            {
                int at = Enumerable.Range(0, shared.ParameterCount).First(i => shared.Parameters[i] != single.Parameters[i]);
                Assert.Fail($"step {step + 1}: the shared model differs from the single-threaded one at element {at} (a lost or wrong write)");
            }
        }
    }
}
