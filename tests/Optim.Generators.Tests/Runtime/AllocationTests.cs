using System;
using Optim;
using Xunit;

namespace Optim.Generators.Tests.Runtime;

/// <summary>Step() and ZeroGrad() allocate nothing.</summary>
public sealed class AllocationTests
{
    public static TheoryData<Type> Models => new()
    {
        typeof(Parity.SgdNesterovWdMaximizeN37),
        typeof(Parity.MomentumEmaB09N37),
        typeof(Parity.AdamAmsgradN37),
        typeof(Parity.AdamwN37),
        typeof(Parity.AdamBetasEpsN37Double),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Step_and_ZeroGrad_allocate_zero_bytes(Type type)
    {
        var model = (IOptimizable)Activator.CreateInstance(type)!;
        Assert.Equal(0, AllocatedBytes(model, warmUp: 2_000, measured: 10_000));
        Assert.Equal(12_000, model.StepCount);
    }

    [Fact]
    public void Parallel_step_allocates_zero_bytes()
    {
        // The caller's share of a split step (hand-off to the workers and the wait) allocates nothing either.
        var model = new ParallelAdam();
        Assert.Equal(0, AllocatedBytes(model, warmUp: 200, measured: 1_000));
    }

    private static long AllocatedBytes(IOptimizable model, int warmUp, int measured)
    {
        Exercise(model, warmUp); // reach the optimized code first
        long before = GC.GetAllocatedBytesForCurrentThread();
        Exercise(model, measured);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static void Exercise(IOptimizable model, int steps)
    {
        for (int i = 0; i < steps; i++)
        {
            model.ZeroGrad();
            model.LearningRate = 1e-3 * (1 + (i & 1));
            model.Step();
        }
    }
}
