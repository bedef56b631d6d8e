using System;
using System.Linq;
using Xunit;

namespace Optim.Generators.Tests.Runtime;

/// <summary>The helpers generated kernels call: lane sums and partial stores.</summary>
public sealed class KernelMathTests
{
    /// <summary>
    /// LineAligned gives the part of a stack buffer that starts on a 64-byte line, one line shorter, wherever the buffer
    /// starts: every 4-byte (float) and 8-byte (double) offset within a line.
    /// </summary>
    [Fact]
    public void LineAligned_starts_on_a_line_inside_the_buffer_wherever_the_buffer_starts()
    {
        AlignsAtEveryOffset(stackalloc float[96]);
        AlignsAtEveryOffset(stackalloc double[48]);
    }

    /// <summary>Slices of three lines of <paramref name="storage"/> starting at each element of its first line.</summary>
    private static void AlignsAtEveryOffset<T>(Span<T> storage)
        where T : unmanaged
    {
        int perLine = 64 / System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        for (int shift = 0; shift < perLine; shift++)
        {
            Span<T> buffer = storage.Slice(shift, 3 * perLine);
            Span<T> line = KernelMath.LineAligned(buffer);
            Assert.Equal(2 * perLine, line.Length);
            Assert.Equal(0, Address(ref line[0]) % 64);
            Assert.InRange((Address(ref line[0]) - Address(ref buffer[0])) / System.Runtime.CompilerServices.Unsafe.SizeOf<T>(), 0, perLine - 1);
        }
    }

    private static long Address<T>(ref T value) =>
        (long)System.Runtime.CompilerServices.Unsafe.ByteOffset(ref System.Runtime.CompilerServices.Unsafe.NullRef<T>(), ref value);

    /// <summary>
    /// SumLanes adds in one fixed pairwise order (neighbours first, then neighbouring pairs, …); the written-out paths
    /// for a float line (16) and a double line (8) must give the bits of that order for every length.
    /// </summary>
    [Fact]
    public void SumLanes_adds_pairwise_at_every_length()
    {
        var random = new Random(3);
        for (int length = 0; length <= 20; length++)
        {
            for (int trial = 0; trial < 200; trial++)
            {
                // Magnitudes far apart, so a different order would round differently.
                float[] floats = Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-8, 9)))).ToArray();
                double[] doubles = floats.Select(f => f * (1 + (random.NextDouble() * 1e-9))).ToArray();
                Assert.Equal(BitConverter.DoubleToInt64Bits(Pairwise(floats.Select(f => (double)f).ToArray())), BitConverter.DoubleToInt64Bits(KernelMath.SumLanes(floats)));
                Assert.Equal(BitConverter.DoubleToInt64Bits(Pairwise(doubles.ToArray())), BitConverter.DoubleToInt64Bits(KernelMath.SumLanes(doubles)));
            }
        }
    }

    [Fact]
    public void StoreLeading_writes_the_leading_lanes_and_nothing_else()
    {
        for (int count = 0; count <= 16; count++)
        {
            float[] target = Enumerable.Repeat(-1f, 32).ToArray();
            var value = System.Runtime.Intrinsics.Vector512.Create(Enumerable.Range(1, 16).Select(i => (float)i).ToArray());
            KernelMath.StoreLeading(value, ref target[8], count);
            Assert.Equal(Enumerable.Repeat(-1f, 8).Concat(Enumerable.Range(1, count).Select(i => (float)i)).Concat(Enumerable.Repeat(-1f, 24 - count)), target);
        }

        for (int count = 0; count <= 4; count++)
        {
            double[] target = Enumerable.Repeat(-1d, 8).ToArray();
            KernelMath.StoreLeading(System.Runtime.Intrinsics.Vector256.Create(1d, 2, 3, 4), ref target[2], count);
            Assert.Equal(Enumerable.Repeat(-1d, 2).Concat(Enumerable.Range(1, count).Select(i => (double)i)).Concat(Enumerable.Repeat(-1d, 6 - count)), target);
        }
    }

    /// <summary>The order, written plainly: add neighbours until one value is left (an odd last value moves up as is).</summary>
    private static double Pairwise(double[] values)
    {
        if (values.Length == 0)
        {
            return 0;
        }

        while (values.Length > 1)
        {
            values = Enumerable.Range(0, (values.Length + 1) / 2).Select(i => 2 * i + 1 < values.Length ? values[2 * i] + values[2 * i + 1] : values[2 * i]).ToArray();
        }

        return values[0];
    }
}
