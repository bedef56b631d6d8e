using Optim.Generators.Tests.Runtime;
using Xunit;

namespace Optim.Generators.Tests.Networks;

/// <summary>A training step on the network kernels (forward, loss, backward, Adam) allocates nothing: every buffer and workspace is the caller's.</summary>
public sealed class NetworkAllocationTests
{
    [Fact]
    public void Forward_loss_and_backward_allocate_zero_bytes()
    {
        for (int c = 0; c < NetworkWorkout<float>.Cases.Length; c++)
        {
            Assert.Equal(0, Allocated(new NetworkWorkout<float>(c)));
            Assert.Equal(0, Allocated(new NetworkWorkout<double>(c)));
        }
    }

    private static long Allocated<T>(NetworkWorkout<T> workout)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        for (int i = 0; i < 50; i++)
        {
            workout.Step(); // reach the optimized code first
        }

        return Allocations.OnThisThread(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                workout.Step();
            }
        });
    }
}
