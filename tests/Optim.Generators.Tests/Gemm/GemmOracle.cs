using System;
using System.Numerics;
using Optim.Kernels;

namespace Optim.Generators.Tests.Gemm;

/// <summary>
/// The product <see cref="Optim.Kernels.Gemm"/> promises, as a plain triple loop in the same order: each output starts at
/// zero (or C's value when accumulating), adds a·b for k ascending, one multiply and one add, then the bias, then the
/// activation with the operations of the Activations kernels.
/// </summary>
internal static class GemmOracle
{
    public static void Multiply<T>(T[] a, T[] b, T[] c, int m, int n, int k, GemmOptions options, T[] bias, double slope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool ta = (options & GemmOptions.TransposeA) != 0, tb = (options & GemmOptions.TransposeB) != 0;
        bool perRow = (options & GemmOptions.BiasPerRow) != 0;
        T s = T.CreateTruncating(slope);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                T sum = (options & GemmOptions.Accumulate) != 0 ? c[(i * n) + j] : T.Zero;
                for (int p = 0; p < k; p++)
                {
                    T x = ta ? a[(p * m) + i] : a[(i * k) + p];
                    T y = tb ? b[(j * k) + p] : b[(p * n) + j];
                    T product = x * y;
                    sum = sum + product;
                }

                if (bias.Length > 0)
                {
                    sum = sum + bias[perRow ? i : j];
                }

                if ((options & GemmOptions.Relu) != 0)
                {
                    sum = sum <= T.Zero ? T.Zero : sum;
                }
                else if ((options & GemmOptions.LeakyRelu) != 0)
                {
                    sum = sum > T.Zero ? sum : sum * s;
                }

                c[(i * n) + j] = sum;
            }
        }
    }
}
