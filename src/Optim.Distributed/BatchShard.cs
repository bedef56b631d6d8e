using System;

namespace Optim.Distributed;

/// <summary>How a global batch is split among ranks: equal, contiguous shards in rank order.</summary>
public static class BatchShard
{
    /// <summary>Rows [start, start + count) of a global batch that rank <paramref name="rank"/> of <paramref name="size"/> trains on.</summary>
    /// <exception cref="ArgumentException">The batch does not divide evenly among the ranks.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A negative batch, a size below 1 or a rank outside [0, size).</exception>
    public static (int Start, int Count) Of(int globalBatch, int rank, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(globalBatch);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if ((uint)rank >= (uint)size)
        {
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"The rank must be between 0 and {size - 1}.");
        }

        if (globalBatch % size != 0)
        {
            throw new ArgumentException(
                $"A global batch of {globalBatch} rows does not divide evenly among {size} ranks; use a multiple of {size} " +
                "(averaging the means of unequal shards would weight some rows more than others).", nameof(globalBatch));
        }

        int count = globalBatch / size;
        return (rank * count, count);
    }
}
