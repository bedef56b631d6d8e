using System;
using Optim;
using Xunit;

namespace Optim.Generators.Tests.Runtime;

/// <summary>Step() and ZeroGrad() allocate nothing.</summary>
public sealed class AllocationTests
{
    [Theory]
    [MemberData(nameof(Models))]
    public void Step_and_ZeroGrad_allocate_zero_bytes(IOptimizable model)
    {
        Exercise(model, 2_000); // reach the optimized code first

        long before = GC.GetAllocatedBytesForCurrentThread();
        Exercise(model, 10_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(12_000, model.StepCount);
    }

    public static TheoryData<IOptimizable> Models => new()
    {
        new Parity.SgdNesterovWdMaximizeN37(),
        new Parity.MomentumEmaB09N37(),
        new Parity.AdamAmsgradN37(),
        new Parity.AdamwN37(),
        new Parity.AdamBetasEpsN37Double(),
    };

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
