using System;
using Optim;
using Xunit;

namespace Optim.Generators.Tests.Runtime;

/// <summary>Step() and ZeroGrad() allocate nothing.</summary>
[Collection(StepWorkersGroup.Name)]
public sealed class AllocationTests
{
    /// <summary>Every reference case: every optimizer and every hyperparameter variant the reference file exercises.</summary>
    public static TheoryData<string> Models => Parity.ReferenceCaseTests.Cases;

    [Theory]
    [MemberData(nameof(Models))]
    public void Step_and_ZeroGrad_allocate_zero_bytes(string name)
    {
        Parity.ReferenceCase reference = Parity.ReferenceCase.Named(name);
        foreach (IOptimizable model in new IOptimizable[] { Parity.ReferenceModels.Float(reference), Parity.ReferenceModels.Double(reference) })
        {
            Assert.Equal(0, AllocatedBytes(model, warmUp: 2_000, measured: 10_000));
            Assert.InRange(model.StepCount, 12_000, 32_000); // every call stepped: warm-up plus one to three windows
        }
    }

    [Fact]
    public void Parallel_step_allocates_zero_bytes()
    {
        // The caller's share of a split step (hand-off to the workers and the wait) allocates nothing either.
        var model = new ParallelAdam();
        Assert.Equal(0, AllocatedBytes(model, warmUp: 200, measured: 1_000));
    }

    [Fact]
    public void Tensors_shared_between_threads_allocate_zero_bytes()
    {
        // LAMB's tensors and Muon's matrices handed to the threads whole (Muon's threads each on a workspace of their own).
        Assert.Equal(0, AllocatedBytes(new SharedSmallLamb(), warmUp: 200, measured: 1_000));
        Assert.Equal(0, AllocatedBytes(new SharedSmallMuon(), warmUp: 200, measured: 1_000));
        Assert.Equal(0, AllocatedBytes(new SharedMuon(), warmUp: 3, measured: 10));
    }

    /// <summary>Bytes the calling thread allocates over <paramref name="measured"/> steps, after <paramref name="warmUp"/> steps.</summary>
    private static long AllocatedBytes(IOptimizable model, int warmUp, int measured)
    {
        Exercise(model, warmUp); // reach the optimized code first
        return Allocations.OnThisThread(() => Exercise(model, measured));
    }

    private static void Exercise(IOptimizable model, int steps)
    {
        for (int i = 0; i < steps; i++)
        {
            model.ZeroGrad();
            model.LearningRate = 1e-3 * (1 + (i & 1));
            model.Step();
            if (i == steps / 2)
            {
                GC.Collect(); // nothing on the path may rebuild a cache a collection dropped
            }
        }
    }
}
