using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Optim.Kernels;

// The skinny forward pass of a single example (one row of C, B stored transposed: y = x·Wᵀ) at 512 bits, where the GEMM
// runs its 512-bit kernel (full-width cores). Sixteen outputs to a vector, sixteen of W's rows transposed 16 × 16 in
// registers: 56 shuffles per 256 weights against 24 per 64 for 8 × 8 blocks, and half the arithmetic instructions.
// The same chains, so the same bits.
public static partial class Gemm
{
    /// <summary>
    /// Outputs [0, 64·⌊n/64⌋) of a one-row product with B stored transposed, 64 at a time (four chains in flight); returns
    /// the first output it left for <see cref="Skinny{TRows, TLayout}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe int SingleRowOfW512(in Plan<float> plan)
    {
        int n = plan.N, k = plan.K;
        float* x = plan.A, w = plan.B, c = plan.C;
        bool accumulate = (plan.Options & GemmOptions.Accumulate) != 0;
        int j = 0;
        for (; j + 64 <= n; j += 64)
        {
            Vector512<float> c0 = Start512(c + j, accumulate), c1 = Start512(c + j + 16, accumulate);
            Vector512<float> c2 = Start512(c + j + 32, accumulate), c3 = Start512(c + j + 48, accumulate);
            float* rows = w + ((nint)j * k);
            int p = 0;
            for (; p + 16 <= k; p += 16)
            {
                c0 = Sixteen(c0, x + p, rows + p, k);
                c1 = Sixteen(c1, x + p, rows + (16 * k) + p, k);
                c2 = Sixteen(c2, x + p, rows + (32 * k) + p, k);
                c3 = Sixteen(c3, x + p, rows + (48 * k) + p, k);
            }

            for (; p < k; p++)
            {
                Vector512<float> value = Vector512.Create(x[p]);
                c0 += value * Column16(rows + p, k);
                c1 += value * Column16(rows + (16 * k) + p, k);
                c2 += value * Column16(rows + (32 * k) + p, k);
                c3 += value * Column16(rows + (48 * k) + p, k);
            }

            End512(c0, plan, j);
            End512(c1, plan, j + 16);
            End512(c2, plan, j + 32);
            End512(c3, plan, j + 48);
        }

        return j;
    }

    /// <summary>
    /// Sixteen k of sixteen outputs' chains: W's sixteen rows at <paramref name="rows"/> (<paramref name="k"/> apart), k
    /// values each, transposed so that vector q holds W[j … j + 15, p + q]; then acc + x[q]·t_q for q ascending.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<float> Sixteen(Vector512<float> acc, float* x, float* rows, int k)
    {
        // Pairs of rows interleaved within each 128-bit lane L (k = 4L … 4L + 3), each row loaded once.
        Pair(rows, k, 0, out Vector512<float> a0, out Vector512<float> a1);
        Pair(rows, k, 2, out Vector512<float> a2, out Vector512<float> a3);
        Pair(rows, k, 4, out Vector512<float> a4, out Vector512<float> a5);
        Pair(rows, k, 6, out Vector512<float> a6, out Vector512<float> a7);
        Pair(rows, k, 8, out Vector512<float> a8, out Vector512<float> a9);
        Pair(rows, k, 10, out Vector512<float> a10, out Vector512<float> a11);
        Pair(rows, k, 12, out Vector512<float> a12, out Vector512<float> a13);
        Pair(rows, k, 14, out Vector512<float> a14, out Vector512<float> a15);

        // u[4g + q], lane L: rows 4g … 4g + 3 at k = 4L + q.
        Vector512<float> u0 = Avx512F.Shuffle(a0, a2, 0x44), u1 = Avx512F.Shuffle(a0, a2, 0xEE);
        Vector512<float> u2 = Avx512F.Shuffle(a1, a3, 0x44), u3 = Avx512F.Shuffle(a1, a3, 0xEE);
        Vector512<float> u4 = Avx512F.Shuffle(a4, a6, 0x44), u5 = Avx512F.Shuffle(a4, a6, 0xEE);
        Vector512<float> u6 = Avx512F.Shuffle(a5, a7, 0x44), u7 = Avx512F.Shuffle(a5, a7, 0xEE);
        Vector512<float> u8 = Avx512F.Shuffle(a8, a10, 0x44), u9 = Avx512F.Shuffle(a8, a10, 0xEE);
        Vector512<float> u10 = Avx512F.Shuffle(a9, a11, 0x44), u11 = Avx512F.Shuffle(a9, a11, 0xEE);
        Vector512<float> u12 = Avx512F.Shuffle(a12, a14, 0x44), u13 = Avx512F.Shuffle(a12, a14, 0xEE);
        Vector512<float> u14 = Avx512F.Shuffle(a13, a15, 0x44), u15 = Avx512F.Shuffle(a13, a15, 0xEE);

        // For each q, lane L of u[q], u[4 + q], u[8 + q], u[12 + q] joined: k = 4L + q, all sixteen rows. In k order.
        Lanes(u0, u4, u8, u12, out Vector512<float> k0, out Vector512<float> k4, out Vector512<float> k8, out Vector512<float> k12);
        Lanes(u1, u5, u9, u13, out Vector512<float> k1, out Vector512<float> k5, out Vector512<float> k9, out Vector512<float> k13);
        Lanes(u2, u6, u10, u14, out Vector512<float> k2, out Vector512<float> k6, out Vector512<float> k10, out Vector512<float> k14);
        Lanes(u3, u7, u11, u15, out Vector512<float> k3, out Vector512<float> k7, out Vector512<float> k11, out Vector512<float> k15);
        acc += Vector512.Create(x[0]) * k0;
        acc += Vector512.Create(x[1]) * k1;
        acc += Vector512.Create(x[2]) * k2;
        acc += Vector512.Create(x[3]) * k3;
        acc += Vector512.Create(x[4]) * k4;
        acc += Vector512.Create(x[5]) * k5;
        acc += Vector512.Create(x[6]) * k6;
        acc += Vector512.Create(x[7]) * k7;
        acc += Vector512.Create(x[8]) * k8;
        acc += Vector512.Create(x[9]) * k9;
        acc += Vector512.Create(x[10]) * k10;
        acc += Vector512.Create(x[11]) * k11;
        acc += Vector512.Create(x[12]) * k12;
        acc += Vector512.Create(x[13]) * k13;
        acc += Vector512.Create(x[14]) * k14;
        acc += Vector512.Create(x[15]) * k15;
        return acc;
    }

    /// <summary>Rows <paramref name="first"/> and <paramref name="first"/> + 1 interleaved: the low and the high pair of each 128-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Pair(float* rows, int k, int first, out Vector512<float> low, out Vector512<float> high)
    {
        Vector512<float> top = Avx512F.LoadVector512(rows + (first * k)), bottom = Avx512F.LoadVector512(rows + ((first + 1) * k));
        low = Avx512F.UnpackLow(top, bottom);
        high = Avx512F.UnpackHigh(top, bottom);
    }

    /// <summary>Lane L of each of a, b, c, d (rows 0–3, 4–7, 8–11, 12–15) joined into vector L.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lanes(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d,
        out Vector512<float> lane0, out Vector512<float> lane1, out Vector512<float> lane2, out Vector512<float> lane3)
    {
        Vector512<float> ab01 = Avx512F.Shuffle4x128(a, b, 0x44), ab23 = Avx512F.Shuffle4x128(a, b, 0xEE);
        Vector512<float> cd01 = Avx512F.Shuffle4x128(c, d, 0x44), cd23 = Avx512F.Shuffle4x128(c, d, 0xEE);
        lane0 = Avx512F.Shuffle4x128(ab01, cd01, 0x88);
        lane1 = Avx512F.Shuffle4x128(ab01, cd01, 0xDD);
        lane2 = Avx512F.Shuffle4x128(ab23, cd23, 0x88);
        lane3 = Avx512F.Shuffle4x128(ab23, cd23, 0xDD);
    }

    /// <summary>W[j … j + 15, p] gathered from sixteen rows <paramref name="k"/> apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<float> Column16(float* at, int k) =>
        Vector512.Create(at[0], at[k], at[2 * k], at[3 * k], at[4 * k], at[5 * k], at[6 * k], at[7 * k],
            at[8 * k], at[9 * k], at[10 * k], at[11 * k], at[12 * k], at[13 * k], at[14 * k], at[15 * k]);

    /// <summary>Sixteen chains' start: C's values when they continue, else zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<float> Start512(float* at, bool accumulate) =>
        accumulate ? Avx512F.LoadVector512(at) : Vector512<float>.Zero;

    /// <summary>Row 0's sixteen outputs from column <paramref name="j"/>: the bias and the activation, then one store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void End512(Vector512<float> acc, in Plan<float> plan, int j)
    {
        Finish<float> finish = plan.Finish;
        if (finish.Any)
        {
            Vector512<float> bias = finish.ColumnBias ? Avx512F.LoadVector512(plan.Bias + j)
                : finish.RowBias ? Vector512.Create(plan.Bias[0]) : Vector512<float>.Zero;
            acc = finish.Apply(acc, bias);
        }

        Avx512F.Store(plan.C + j, acc);
    }
}
