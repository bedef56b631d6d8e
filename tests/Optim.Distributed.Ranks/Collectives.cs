using System;
using System.Numerics;

namespace Optim.Distributed.Ranks;

/// <summary>
/// Checks MpiWorld's collectives on this rank against a scalar oracle: every rank can compute every other rank's input
/// (a function of rank and index), so each rank knows what it must receive. Small whole numbers make the sums exact in
/// any order; random values are checked against a double-precision sum within rounding. Throws on the first mismatch.
/// </summary>
public static class Collectives
{
    public static void Check(MpiWorld world)
    {
        foreach (int block in (int[])[1, 7, 1000, 4099])
        {
            Exact<float>(world, block);
            Exact<double>(world, block);
            Rounded(world, block);
        }

        long allocated = Allocation(world, 4099);
        if (allocated != 0)
        {
            throw new InvalidOperationException($"ReduceScatterSum and AllGatherInPlace allocated {allocated} bytes in steady state on rank {world.Rank}.");
        }

        Console.WriteLine($"collectives ok on rank {world.Rank} of {world.Size}, 0 bytes allocated");
    }

    private static T Whole<T>(int rank, int index)
        where T : unmanaged, INumberBase<T> => T.CreateChecked(((rank * 7919) + (index * 104729)) % 2001 - 1000);

    private static void Exact<T>(MpiWorld world, int block)
        where T : unmanaged, INumberBase<T>, IEquatable<T>
    {
        int size = world.Size, rank = world.Rank, length = block * size;
        var input = new T[length];
        for (int i = 0; i < length; i++)
        {
            input[i] = Whole<T>(rank, i);
        }

        var output = new T[block];
        world.ReduceScatterSum<T>(input, output);
        for (int j = 0; j < block; j++)
        {
            T expected = T.Zero;
            for (int r = 0; r < size; r++)
            {
                expected += Whole<T>(r, rank * block + j);
            }

            Expect(output[j].Equals(expected), $"ReduceScatterSum<{typeof(T).Name}> block {block}: element {j} is {output[j]}, expected {expected}", world);
        }

        var all = new T[length];
        output.CopyTo(all.AsSpan(rank * block));
        world.AllGatherInPlace<T>(all);
        for (int i = 0; i < length; i++)
        {
            T expected = T.Zero;
            for (int r = 0; r < size; r++)
            {
                expected += Whole<T>(r, i);
            }

            Expect(all[i].Equals(expected), $"AllGatherInPlace<{typeof(T).Name}> block {block}: element {i} is {all[i]}, expected {expected}", world);
        }

        var reduced = (T[])input.Clone();
        world.AllReduceSum<T>(reduced);
        Expect(reduced.AsSpan().SequenceEqual(all), $"AllReduceSum<{typeof(T).Name}> block {block} differs from reduce-scatter + all-gather", world);

        var broadcast = new T[length];
        if (rank == size - 1)
        {
            input.CopyTo(broadcast, 0);
        }

        world.Broadcast<T>(broadcast, root: size - 1);
        for (int i = 0; i < length; i++)
        {
            Expect(broadcast[i].Equals(Whole<T>(size - 1, i)), $"Broadcast<{typeof(T).Name}> from rank {size - 1}: element {i}", world);
        }
    }

    // Random floats: within n·ε of the exactly rounded sum, and every rank ends with the same bits.
    private static void Rounded(MpiWorld world, int block)
    {
        int size = world.Size, rank = world.Rank, length = block * size;
        var input = new float[length];
        for (int i = 0; i < length; i++)
        {
            input[i] = Random(rank, i);
        }

        var all = new float[length];
        world.ReduceScatterSum<float>(input, all.AsSpan(rank * block, block));
        world.AllGatherInPlace<float>(all);
        for (int i = 0; i < length; i++)
        {
            double exact = 0, magnitude = 0;
            for (int r = 0; r < size; r++)
            {
                exact += Random(r, i);
                magnitude += Math.Abs(Random(r, i));
            }

            Expect(Math.Abs(all[i] - exact) <= size * magnitude * 6e-8, $"ReduceScatterSum of random floats, element {i}: {all[i]} against {exact}", world);
        }

        var hashes = new ulong[size];
        world.AllGather(Hash(all), hashes);
        Expect(Array.TrueForAll(hashes, h => h == hashes[0]), "ranks hold different bits after reduce-scatter + all-gather", world);
    }

    private static long Allocation(MpiWorld world, int block)
    {
        var input = new float[block * world.Size];
        var output = new float[block];
        world.ReduceScatterSum<float>(input, output);
        world.AllGatherInPlace<float>(input);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            world.ReduceScatterSum<float>(input, output);
            world.AllGatherInPlace<float>(input);
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static float Random(int rank, int index)
    {
        ulong z = ((ulong)rank << 32 | (uint)index) * 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z ^= z >> 27;
        return (float)((z >> 40) * (1.0 / (1 << 24)) * 2 - 1);
    }

    private static ulong Hash(float[] values)
    {
        ulong hash = 14695981039346656037;
        foreach (float value in values)
        {
            hash = (hash ^ BitConverter.SingleToUInt32Bits(value)) * 1099511628211;
        }

        return hash;
    }

    private static void Expect(bool condition, string what, MpiWorld world)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"{what} (rank {world.Rank} of {world.Size})");
        }
    }
}
