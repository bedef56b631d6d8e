using System;

namespace Optim.Generators.Tests.Runtime;

/// <summary>Measures what a piece of code allocates on the calling thread.</summary>
internal static class Allocations
{
    /// <summary>
    /// Bytes <paramref name="body"/> allocates on the calling thread, as the fewest over up to three runs (the first
    /// clean run ends the measurement). The runtime itself may allocate a few hundred bytes once on this thread while it
    /// tiers up a method or replaces one mid-loop (JIT work runs on the calling thread), which would fail a single
    /// window at random; an allocation in the code under test shows in every window.
    /// </summary>
    public static long OnThisThread(Action body)
    {
        long fewest = long.MaxValue;
        for (int window = 0; window < 3 && fewest != 0; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            body();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return fewest;
    }
}
