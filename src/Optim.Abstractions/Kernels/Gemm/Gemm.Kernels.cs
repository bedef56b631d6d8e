using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Optim.Kernels;

// The register-tiled micro-kernels of Gemm, one per vector width (the scalar one in Gemm.cs). Each computes an
// Rows × Columns tile of C from a packed A micro-panel (Rows values per k) and a packed B micro-panel (Columns values per
// k), every output adding its terms in ascending k with one multiply and one add, then the epilogue, then one store.
public static partial class Gemm
{
    /// <summary>
    /// 8 rows by two 512-bit vectors of columns: 16 accumulators of the 32 registers AVX-512 has. Runs where
    /// <see cref="KernelVectorBits"/> is 512 (not on cores that split 512-bit operations).
    /// </summary>
    internal readonly struct Kernel512<T> : IMicroKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static bool IsSupported => Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && Width.Wide;

        public static int Rows => 8;

        public static int Columns => 2 * Vector512<T>.Count;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]

        public static void Run(int kc, ref T a, ref T b, ref T c, nint ldc, bool load, in Finish<T> finish, ref T rowBias, ref T columnBias)
        {
            nuint n = (nuint)Vector512<T>.Count;
            Vector512<T> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
            if (load)
            {
                c00 = Vector512.LoadUnsafe(ref c);
                c01 = Vector512.LoadUnsafe(ref c, n);
                c10 = Vector512.LoadUnsafe(ref Unsafe.Add(ref c, ldc));
                c11 = Vector512.LoadUnsafe(ref Unsafe.Add(ref c, ldc), n);
                c20 = Vector512.LoadUnsafe(ref Unsafe.Add(ref c, 2 * ldc));
                c21 = Vector512.LoadUnsafe(ref Unsafe.Add(ref c, 2 * ldc), n);
                c30 = Vector512.LoadUnsafe(ref Unsafe.Add(ref c, 3 * ldc));
                c31 = Vector512.LoadUnsafe(ref Unsafe.Add(ref c, 3 * ldc), n);
                c40 = Vector512.LoadUnsafe(ref Unsafe.Add(ref c, 4 * ldc));
                c41 = Vector512.LoadUnsafe(ref Unsafe.Add(ref c, 4 * ldc), n);
                c50 = Vector512.LoadUnsafe(ref Unsafe.Add(ref c, 5 * ldc));
                c51 = Vector512.LoadUnsafe(ref Unsafe.Add(ref c, 5 * ldc), n);
                c60 = Vector512.LoadUnsafe(ref Unsafe.Add(ref c, 6 * ldc));
                c61 = Vector512.LoadUnsafe(ref Unsafe.Add(ref c, 6 * ldc), n);
                c70 = Vector512.LoadUnsafe(ref Unsafe.Add(ref c, 7 * ldc));
                c71 = Vector512.LoadUnsafe(ref Unsafe.Add(ref c, 7 * ldc), n);
            }
            else
            {
                c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = Vector512<T>.Zero;
            }

            // One chain per output: c ← c + a·b for p ascending, a multiply and an add (no fused multiply-add).
            for (int p = 0; p < kc; p++)
            {
                Vector512<T> b0 = Vector512.LoadUnsafe(ref b), b1 = Vector512.LoadUnsafe(ref b, n), x;
                x = Vector512.Create(a);
                c00 += x * b0;
                c01 += x * b1;
                x = Vector512.Create(Unsafe.Add(ref a, 1));
                c10 += x * b0;
                c11 += x * b1;
                x = Vector512.Create(Unsafe.Add(ref a, 2));
                c20 += x * b0;
                c21 += x * b1;
                x = Vector512.Create(Unsafe.Add(ref a, 3));
                c30 += x * b0;
                c31 += x * b1;
                x = Vector512.Create(Unsafe.Add(ref a, 4));
                c40 += x * b0;
                c41 += x * b1;
                x = Vector512.Create(Unsafe.Add(ref a, 5));
                c50 += x * b0;
                c51 += x * b1;
                x = Vector512.Create(Unsafe.Add(ref a, 6));
                c60 += x * b0;
                c61 += x * b1;
                x = Vector512.Create(Unsafe.Add(ref a, 7));
                c70 += x * b0;
                c71 += x * b1;
                a = ref Unsafe.Add(ref a, 8);
                b = ref Unsafe.Add(ref b, 2 * (int)n);
            }

            if (finish.Any)
            {
                Vector512<T> b0 = Vector512<T>.Zero, b1 = b0;
                if (finish.ColumnBias)
                {
                    b0 = Vector512.LoadUnsafe(ref columnBias);
                    b1 = Vector512.LoadUnsafe(ref columnBias, n);
                }

                if (finish.RowBias)
                {
                    b0 = b1 = Vector512.Create(rowBias);
                }

                c00 = finish.Apply(c00, b0);
                c01 = finish.Apply(c01, b1);
                if (finish.RowBias)
                {
                    b0 = b1 = Vector512.Create(Unsafe.Add(ref rowBias, 1));
                }

                c10 = finish.Apply(c10, b0);
                c11 = finish.Apply(c11, b1);
                if (finish.RowBias)
                {
                    b0 = b1 = Vector512.Create(Unsafe.Add(ref rowBias, 2));
                }

                c20 = finish.Apply(c20, b0);
                c21 = finish.Apply(c21, b1);
                if (finish.RowBias)
                {
                    b0 = b1 = Vector512.Create(Unsafe.Add(ref rowBias, 3));
                }

                c30 = finish.Apply(c30, b0);
                c31 = finish.Apply(c31, b1);
                if (finish.RowBias)
                {
                    b0 = b1 = Vector512.Create(Unsafe.Add(ref rowBias, 4));
                }

                c40 = finish.Apply(c40, b0);
                c41 = finish.Apply(c41, b1);
                if (finish.RowBias)
                {
                    b0 = b1 = Vector512.Create(Unsafe.Add(ref rowBias, 5));
                }

                c50 = finish.Apply(c50, b0);
                c51 = finish.Apply(c51, b1);
                if (finish.RowBias)
                {
                    b0 = b1 = Vector512.Create(Unsafe.Add(ref rowBias, 6));
                }

                c60 = finish.Apply(c60, b0);
                c61 = finish.Apply(c61, b1);
                if (finish.RowBias)
                {
                    b0 = b1 = Vector512.Create(Unsafe.Add(ref rowBias, 7));
                }

                c70 = finish.Apply(c70, b0);
                c71 = finish.Apply(c71, b1);
            }

            c00.StoreUnsafe(ref c);
            c01.StoreUnsafe(ref c, n);
            c10.StoreUnsafe(ref Unsafe.Add(ref c, ldc));
            c11.StoreUnsafe(ref Unsafe.Add(ref c, ldc), n);
            c20.StoreUnsafe(ref Unsafe.Add(ref c, 2 * ldc));
            c21.StoreUnsafe(ref Unsafe.Add(ref c, 2 * ldc), n);
            c30.StoreUnsafe(ref Unsafe.Add(ref c, 3 * ldc));
            c31.StoreUnsafe(ref Unsafe.Add(ref c, 3 * ldc), n);
            c40.StoreUnsafe(ref Unsafe.Add(ref c, 4 * ldc));
            c41.StoreUnsafe(ref Unsafe.Add(ref c, 4 * ldc), n);
            c50.StoreUnsafe(ref Unsafe.Add(ref c, 5 * ldc));
            c51.StoreUnsafe(ref Unsafe.Add(ref c, 5 * ldc), n);
            c60.StoreUnsafe(ref Unsafe.Add(ref c, 6 * ldc));
            c61.StoreUnsafe(ref Unsafe.Add(ref c, 6 * ldc), n);
            c70.StoreUnsafe(ref Unsafe.Add(ref c, 7 * ldc));
            c71.StoreUnsafe(ref Unsafe.Add(ref c, 7 * ldc), n);
        }
    }

    /// <summary>
    /// 6 rows by two 256-bit vectors of columns: 12 accumulators, two vectors of B, the broadcast value of A and one
    /// product of the 16 registers AVX2 has (the 6 × 16-float tile of the BLIS Haswell kernel).
    /// </summary>
    internal readonly struct Kernel256<T> : IMicroKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static bool IsSupported => Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported;

        public static int Rows => 6;

        public static int Columns => 2 * Vector256<T>.Count;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]

        public static void Run(int kc, ref T a, ref T b, ref T c, nint ldc, bool load, in Finish<T> finish, ref T rowBias, ref T columnBias)
        {
            nuint n = (nuint)Vector256<T>.Count;
            Vector256<T> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
            if (load)
            {
                c00 = Vector256.LoadUnsafe(ref c);
                c01 = Vector256.LoadUnsafe(ref c, n);
                c10 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c, ldc));
                c11 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c, ldc), n);
                c20 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c, 2 * ldc));
                c21 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c, 2 * ldc), n);
                c30 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c, 3 * ldc));
                c31 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c, 3 * ldc), n);
                c40 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c, 4 * ldc));
                c41 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c, 4 * ldc), n);
                c50 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c, 5 * ldc));
                c51 = Vector256.LoadUnsafe(ref Unsafe.Add(ref c, 5 * ldc), n);
            }
            else
            {
                c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = Vector256<T>.Zero;
            }

            // One chain per output: c ← c + a·b for p ascending, a multiply and an add (no fused multiply-add).
            for (int p = 0; p < kc; p++)
            {
                Vector256<T> b0 = Vector256.LoadUnsafe(ref b), b1 = Vector256.LoadUnsafe(ref b, n), x;
                x = Vector256.Create(a);
                c00 += x * b0;
                c01 += x * b1;
                x = Vector256.Create(Unsafe.Add(ref a, 1));
                c10 += x * b0;
                c11 += x * b1;
                x = Vector256.Create(Unsafe.Add(ref a, 2));
                c20 += x * b0;
                c21 += x * b1;
                x = Vector256.Create(Unsafe.Add(ref a, 3));
                c30 += x * b0;
                c31 += x * b1;
                x = Vector256.Create(Unsafe.Add(ref a, 4));
                c40 += x * b0;
                c41 += x * b1;
                x = Vector256.Create(Unsafe.Add(ref a, 5));
                c50 += x * b0;
                c51 += x * b1;
                a = ref Unsafe.Add(ref a, 6);
                b = ref Unsafe.Add(ref b, 2 * (int)n);
            }

            if (finish.Any)
            {
                Vector256<T> b0 = Vector256<T>.Zero, b1 = b0;
                if (finish.ColumnBias)
                {
                    b0 = Vector256.LoadUnsafe(ref columnBias);
                    b1 = Vector256.LoadUnsafe(ref columnBias, n);
                }

                if (finish.RowBias)
                {
                    b0 = b1 = Vector256.Create(rowBias);
                }

                c00 = finish.Apply(c00, b0);
                c01 = finish.Apply(c01, b1);

                if (finish.RowBias)
                {
                    b0 = b1 = Vector256.Create(Unsafe.Add(ref rowBias, 1));
                }

                c10 = finish.Apply(c10, b0);
                c11 = finish.Apply(c11, b1);

                if (finish.RowBias)
                {
                    b0 = b1 = Vector256.Create(Unsafe.Add(ref rowBias, 2));
                }

                c20 = finish.Apply(c20, b0);
                c21 = finish.Apply(c21, b1);

                if (finish.RowBias)
                {
                    b0 = b1 = Vector256.Create(Unsafe.Add(ref rowBias, 3));
                }

                c30 = finish.Apply(c30, b0);
                c31 = finish.Apply(c31, b1);

                if (finish.RowBias)
                {
                    b0 = b1 = Vector256.Create(Unsafe.Add(ref rowBias, 4));
                }

                c40 = finish.Apply(c40, b0);
                c41 = finish.Apply(c41, b1);

                if (finish.RowBias)
                {
                    b0 = b1 = Vector256.Create(Unsafe.Add(ref rowBias, 5));
                }

                c50 = finish.Apply(c50, b0);
                c51 = finish.Apply(c51, b1);
            }

            c00.StoreUnsafe(ref c);
            c01.StoreUnsafe(ref c, n);
            c10.StoreUnsafe(ref Unsafe.Add(ref c, ldc));
            c11.StoreUnsafe(ref Unsafe.Add(ref c, ldc), n);
            c20.StoreUnsafe(ref Unsafe.Add(ref c, 2 * ldc));
            c21.StoreUnsafe(ref Unsafe.Add(ref c, 2 * ldc), n);
            c30.StoreUnsafe(ref Unsafe.Add(ref c, 3 * ldc));
            c31.StoreUnsafe(ref Unsafe.Add(ref c, 3 * ldc), n);
            c40.StoreUnsafe(ref Unsafe.Add(ref c, 4 * ldc));
            c41.StoreUnsafe(ref Unsafe.Add(ref c, 4 * ldc), n);
            c50.StoreUnsafe(ref Unsafe.Add(ref c, 5 * ldc));
            c51.StoreUnsafe(ref Unsafe.Add(ref c, 5 * ldc), n);
        }
    }

    /// <summary>4 rows by two 128-bit vectors of columns: 8 accumulators of the 16 registers SSE and AdvSIMD have.</summary>
    internal readonly struct Kernel128<T> : IMicroKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static bool IsSupported => Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported;

        public static int Rows => 4;

        public static int Columns => 2 * Vector128<T>.Count;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]

        public static void Run(int kc, ref T a, ref T b, ref T c, nint ldc, bool load, in Finish<T> finish, ref T rowBias, ref T columnBias)
        {
            nuint n = (nuint)Vector128<T>.Count;
            Vector128<T> c00, c01, c10, c11, c20, c21, c30, c31;
            if (load)
            {
                c00 = Vector128.LoadUnsafe(ref c);
                c01 = Vector128.LoadUnsafe(ref c, n);
                c10 = Vector128.LoadUnsafe(ref Unsafe.Add(ref c, ldc));
                c11 = Vector128.LoadUnsafe(ref Unsafe.Add(ref c, ldc), n);
                c20 = Vector128.LoadUnsafe(ref Unsafe.Add(ref c, 2 * ldc));
                c21 = Vector128.LoadUnsafe(ref Unsafe.Add(ref c, 2 * ldc), n);
                c30 = Vector128.LoadUnsafe(ref Unsafe.Add(ref c, 3 * ldc));
                c31 = Vector128.LoadUnsafe(ref Unsafe.Add(ref c, 3 * ldc), n);
            }
            else
            {
                c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = Vector128<T>.Zero;
            }

            // One chain per output: c ← c + a·b for p ascending, a multiply and an add (no fused multiply-add).
            for (int p = 0; p < kc; p++)
            {
                Vector128<T> b0 = Vector128.LoadUnsafe(ref b), b1 = Vector128.LoadUnsafe(ref b, n), x;
                x = Vector128.Create(a);
                c00 += x * b0;
                c01 += x * b1;
                x = Vector128.Create(Unsafe.Add(ref a, 1));
                c10 += x * b0;
                c11 += x * b1;
                x = Vector128.Create(Unsafe.Add(ref a, 2));
                c20 += x * b0;
                c21 += x * b1;
                x = Vector128.Create(Unsafe.Add(ref a, 3));
                c30 += x * b0;
                c31 += x * b1;
                a = ref Unsafe.Add(ref a, 4);
                b = ref Unsafe.Add(ref b, 2 * (int)n);
            }

            if (finish.Any)
            {
                Vector128<T> b0 = Vector128<T>.Zero, b1 = b0;
                if (finish.ColumnBias)
                {
                    b0 = Vector128.LoadUnsafe(ref columnBias);
                    b1 = Vector128.LoadUnsafe(ref columnBias, n);
                }

                if (finish.RowBias)
                {
                    b0 = b1 = Vector128.Create(rowBias);
                }

                c00 = finish.Apply(c00, b0);
                c01 = finish.Apply(c01, b1);
                if (finish.RowBias)
                {
                    b0 = b1 = Vector128.Create(Unsafe.Add(ref rowBias, 1));
                }

                c10 = finish.Apply(c10, b0);
                c11 = finish.Apply(c11, b1);
                if (finish.RowBias)
                {
                    b0 = b1 = Vector128.Create(Unsafe.Add(ref rowBias, 2));
                }

                c20 = finish.Apply(c20, b0);
                c21 = finish.Apply(c21, b1);
                if (finish.RowBias)
                {
                    b0 = b1 = Vector128.Create(Unsafe.Add(ref rowBias, 3));
                }

                c30 = finish.Apply(c30, b0);
                c31 = finish.Apply(c31, b1);
            }

            c00.StoreUnsafe(ref c);
            c01.StoreUnsafe(ref c, n);
            c10.StoreUnsafe(ref Unsafe.Add(ref c, ldc));
            c11.StoreUnsafe(ref Unsafe.Add(ref c, ldc), n);
            c20.StoreUnsafe(ref Unsafe.Add(ref c, 2 * ldc));
            c21.StoreUnsafe(ref Unsafe.Add(ref c, 2 * ldc), n);
            c30.StoreUnsafe(ref Unsafe.Add(ref c, 3 * ldc));
            c31.StoreUnsafe(ref Unsafe.Add(ref c, 3 * ldc), n);
        }
    }
}
