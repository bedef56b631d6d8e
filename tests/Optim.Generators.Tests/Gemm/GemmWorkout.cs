using System;
using System.Numerics;
using System.Runtime.InteropServices;
using Optim.Kernels;

namespace Optim.Generators.Tests.Gemm;

/// <summary>
/// A fixed set of products for the SIMD probe: shapes around every micro-tile size (1, odd, past a KC block), the skinny
/// paths of one to four rows (one row past 64 outputs for its 512-bit blocks), every transpose, accumulation, bias and
/// activation, at one and at two threads; the results hashed.
/// </summary>
public static class GemmWorkout
{
    private static readonly (int M, int N, int K)[] Shapes =
    {
        (1, 1, 1), (3, 5, 7), (8, 32, 9), (9, 33, 17), (17, 65, 300), (64, 40, 257), (100, 3, 31), (5, 1030, 6),
        (1, 203, 301), (1, 224, 64), (2, 45, 20), (3, 45, 20), (4, 17, 9),
    };

    public static void HashAll<T>(Action<ReadOnlySpan<byte>> sink)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(7);
        foreach ((int m, int n, int k) in Shapes)
        {
            for (int combination = 0; combination < 48; combination++)
            {
                GemmOptions options = (GemmOptions)(combination & 15) | (combination / 16) switch { 1 => GemmOptions.Relu, 2 => GemmOptions.LeakyRelu, _ => GemmOptions.None };
                T[] a = Random<T>(m * k, random), b = Random<T>(k * n, random), c = Random<T>(m * n, random);
                T[] bias = (options & GemmOptions.BiasPerRow) != 0 ? Random<T>(m, random) : combination % 2 == 0 ? Random<T>(n, random) : [];
                foreach (int threads in new[] { 1, 2 })
                {
                    T[] result = (T[])c.Clone();
                    Optim.Kernels.Gemm.Multiply<T>(a, b, result, m, n, k, options, bias, 0.01, threads);
                    sink(MemoryMarshal.AsBytes(result.AsSpan()));
                }
            }
        }
    }

    public static T[] Random<T>(int length, Random random)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = T.CreateTruncating((random.NextDouble() * 2) - 1);
        }

        return values;
    }
}
