using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Optim.Kernels;

// Products with a few rows of C and A not transposed: a layer's passes on a small batch (inference on one example, or
// online training). Packing B into panels would cost more than the product, and the micro-kernels' 8 (or 6, or 4) rows
// would compute mostly padding, so B is read where it lies, eight outputs to a 256-bit vector. With B stored transposed
// (a forward pass, y = x·Wᵀ, W stored n × k) eight rows of W are transposed in registers; stored k × n (an input
// gradient, dx = dy·W) its rows are the lanes already. Each output still adds its k terms in ascending order, one
// multiply and one add each, then the bias, then the activation: the packed path's bits.
public static partial class Gemm
{
    /// <summary>
    /// Rows of C up to which a float product with A not transposed reads B where it lies instead of packing it: a layer's
    /// forward pass or input gradient on a batch this small. It also needs n and k of 8 or more, AVX, and one thread's
    /// work (see <see cref="Multiply{T}"/>'s summary). The same bits as the packed path.
    /// </summary>
    public const int SkinnyRows = 4;

    /// <summary>Whether <see cref="Multiply{T}"/> takes the skinny path: floats, 256-bit vectors, at most <see cref="SkinnyRows"/> rows, A not transposed.</summary>
    private static bool IsSkinny<T>(int m, int n, int k, GemmOptions options)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) && Avx.IsSupported && m <= SkinnyRows && n >= 8 && k >= 8
        && (options & GemmOptions.TransposeA) == 0;

    /// <summary>Runs <see cref="Skinny{TRows, TLayout}"/> for the plan's row count (1 to <see cref="SkinnyRows"/>) and B's layout.</summary>
    private static void RunSkinny(in Plan<float> plan)
    {
        bool transposed = (plan.Options & GemmOptions.TransposeB) != 0;
        switch (plan.M)
        {
            case 1:
                Run<Rows1>(plan, transposed);
                break;
            case 2:
                Run<Rows2>(plan, transposed);
                break;
            case 3:
                Run<Rows3>(plan, transposed);
                break;
            default:
                Run<Rows4>(plan, transposed);
                break;
        }

        static void Run<TRows>(in Plan<float> plan, bool transposed)
            where TRows : struct, IRowCount
        {
            if (transposed)
            {
                Skinny<TRows, RowsOfW>(plan);
            }
            else
            {
                Skinny<TRows, RowsOfB>(plan);
            }
        }
    }

    /// <summary>
    /// C (TRows × n) = A (TRows × k) · op(B): eight outputs per 256-bit vector and one accumulator per row of C, B's
    /// values for eight k at a time brought into lanes by <typeparamref name="TLayout"/>; the last k one vector each, the
    /// last n mod 8 outputs scalar chains. One row has one chain per vector, so it runs four vectors at a time (four
    /// chains in flight; otherwise the adds' latency would bound it).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Skinny<TRows, TLayout>(in Plan<float> plan)
        where TRows : struct, IRowCount
        where TLayout : struct, ISkinnyLayout
    {
        int n = plan.N, k = plan.K;
        float* a = plan.A, b = plan.B, c = plan.C;
        bool accumulate = (plan.Options & GemmOptions.Accumulate) != 0;

        // A single example's forward pass takes 64 outputs at a time at 512 bits where the GEMM runs 512-bit vectors.
        int j = TRows.Count == 1 && typeof(TLayout) == typeof(RowsOfW) && Width.Wide ? SingleRowOfW512(plan) : 0;
        if (TRows.Count == 1)
        {
            for (; j + 32 <= n; j += 32)
            {
                Vector256<float> c0 = Start(c, j, accumulate), c1 = Start(c, j + 8, accumulate);
                Vector256<float> c2 = Start(c, j + 16, accumulate), c3 = Start(c, j + 24, accumulate);
                int p = 0;
                for (; p + 8 <= k; p += 8)
                {
                    c0 = Block<TLayout>(c0, a + p, b, n, k, j, p);
                    c1 = Block<TLayout>(c1, a + p, b, n, k, j + 8, p);
                    c2 = Block<TLayout>(c2, a + p, b, n, k, j + 16, p);
                    c3 = Block<TLayout>(c3, a + p, b, n, k, j + 24, p);
                }

                for (; p < k; p++)
                {
                    Vector256<float> x = Vector256.Create(a[p]);
                    c0 += x * TLayout.One(b, n, k, j, p);
                    c1 += x * TLayout.One(b, n, k, j + 8, p);
                    c2 += x * TLayout.One(b, n, k, j + 16, p);
                    c3 += x * TLayout.One(b, n, k, j + 24, p);
                }

                End(c0, plan, 0, j);
                End(c1, plan, 0, j + 8);
                End(c2, plan, 0, j + 16);
                End(c3, plan, 0, j + 24);
            }
        }

        for (; j + 8 <= n; j += 8)
        {
            // Rows past TRows are never read: the JIT drops them with their accumulators.
            Vector256<float> c0 = Start(c, j, accumulate);
            Vector256<float> c1 = TRows.Count > 1 ? Start(c + n, j, accumulate) : default;
            Vector256<float> c2 = TRows.Count > 2 ? Start(c + (2 * n), j, accumulate) : default;
            Vector256<float> c3 = TRows.Count > 3 ? Start(c + (3 * n), j, accumulate) : default;
            int p = 0;
            for (; p + 8 <= k; p += 8)
            {
                TLayout.Block(b, n, k, j, p, out Vector256<float> t0, out Vector256<float> t1, out Vector256<float> t2, out Vector256<float> t3,
                    out Vector256<float> t4, out Vector256<float> t5, out Vector256<float> t6, out Vector256<float> t7);
                c0 = Eight(c0, a + p, t0, t1, t2, t3, t4, t5, t6, t7);
                if (TRows.Count > 1)
                {
                    c1 = Eight(c1, a + k + p, t0, t1, t2, t3, t4, t5, t6, t7);
                }

                if (TRows.Count > 2)
                {
                    c2 = Eight(c2, a + (2 * k) + p, t0, t1, t2, t3, t4, t5, t6, t7);
                }

                if (TRows.Count > 3)
                {
                    c3 = Eight(c3, a + (3 * k) + p, t0, t1, t2, t3, t4, t5, t6, t7);
                }
            }

            for (; p < k; p++)
            {
                Vector256<float> t = TLayout.One(b, n, k, j, p);
                c0 += Vector256.Create(a[p]) * t;
                if (TRows.Count > 1)
                {
                    c1 += Vector256.Create(a[k + p]) * t;
                }

                if (TRows.Count > 2)
                {
                    c2 += Vector256.Create(a[(2 * k) + p]) * t;
                }

                if (TRows.Count > 3)
                {
                    c3 += Vector256.Create(a[(3 * k) + p]) * t;
                }
            }

            End(c0, plan, 0, j);
            if (TRows.Count > 1)
            {
                End(c1, plan, 1, j);
            }

            if (TRows.Count > 2)
            {
                End(c2, plan, 2, j);
            }

            if (TRows.Count > 3)
            {
                End(c3, plan, 3, j);
            }
        }

        // The last n mod 8 outputs: one scalar chain each, in the same order.
        for (; j < n; j++)
        {
            for (int r = 0; r < TRows.Count; r++)
            {
                float* x = a + ((nint)r * k);
                float* output = c + ((nint)r * n) + j;
                float sum = accumulate ? *output : 0f;
                for (int p = 0; p < k; p++)
                {
                    sum += x[p] * TLayout.Value(b, n, k, j, p);
                }

                Finish<float> finish = plan.Finish;
                *output = finish.Any ? finish.Apply(sum, finish.ColumnBias ? plan.Bias[j] : finish.RowBias ? plan.Bias[r] : 0f) : sum;
            }
        }
    }

    /// <summary>How the skinny kernel reads op(B)[p, j]: the lanes of eight outputs for one k, or for eight k at once.</summary>
    private unsafe interface ISkinnyLayout
    {
        /// <summary>t_q = op(B)[p + q, j … j + 7] for q = 0 … 7.</summary>
        static abstract void Block(float* b, int n, int k, int j, int p, out Vector256<float> t0, out Vector256<float> t1, out Vector256<float> t2,
            out Vector256<float> t3, out Vector256<float> t4, out Vector256<float> t5, out Vector256<float> t6, out Vector256<float> t7);

        /// <summary>op(B)[p, j … j + 7].</summary>
        static abstract Vector256<float> One(float* b, int n, int k, int j, int p);

        /// <summary>op(B)[p, j].</summary>
        static abstract float Value(float* b, int n, int k, int j, int p);
    }

    /// <summary>B stored transposed, n × k (a layer's weights W): eight of its rows read eight k at a time and transposed in registers.</summary>
    private readonly unsafe struct RowsOfW : ISkinnyLayout
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Block(float* b, int n, int k, int j, int p, out Vector256<float> t0, out Vector256<float> t1, out Vector256<float> t2,
            out Vector256<float> t3, out Vector256<float> t4, out Vector256<float> t5, out Vector256<float> t6, out Vector256<float> t7)
        {
            Load8(b + ((nint)j * k) + p, k, out t0, out t1, out t2, out t3, out t4, out t5, out t6, out t7);
            Transpose(ref t0, ref t1, ref t2, ref t3, ref t4, ref t5, ref t6, ref t7);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> One(float* b, int n, int k, int j, int p)
        {
            float* at = b + ((nint)j * k) + p;
            return Vector256.Create(at[0], at[k], at[2 * k], at[3 * k], at[4 * k], at[5 * k], at[6 * k], at[7 * k]);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Value(float* b, int n, int k, int j, int p) => b[((nint)j * k) + p];
    }

    /// <summary>B stored k × n: its rows hold the outputs' lanes already.</summary>
    private readonly unsafe struct RowsOfB : ISkinnyLayout
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Block(float* b, int n, int k, int j, int p, out Vector256<float> t0, out Vector256<float> t1, out Vector256<float> t2,
            out Vector256<float> t3, out Vector256<float> t4, out Vector256<float> t5, out Vector256<float> t6, out Vector256<float> t7)
        {
            Load8(b + ((nint)p * n) + j, n, out t0, out t1, out t2, out t3, out t4, out t5, out t6, out t7);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> One(float* b, int n, int k, int j, int p) => Avx.LoadVector256(b + ((nint)p * n) + j);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Value(float* b, int n, int k, int j, int p) => b[((nint)p * n) + j];
    }

    /// <summary>Eight 256-bit vectors, <paramref name="stride"/> floats apart from <paramref name="at"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Load8(float* at, int stride, out Vector256<float> t0, out Vector256<float> t1, out Vector256<float> t2,
        out Vector256<float> t3, out Vector256<float> t4, out Vector256<float> t5, out Vector256<float> t6, out Vector256<float> t7)
    {
        t0 = Avx.LoadVector256(at);
        t1 = Avx.LoadVector256(at + stride);
        t2 = Avx.LoadVector256(at + (2 * stride));
        t3 = Avx.LoadVector256(at + (3 * stride));
        t4 = Avx.LoadVector256(at + (4 * stride));
        t5 = Avx.LoadVector256(at + (5 * stride));
        t6 = Avx.LoadVector256(at + (6 * stride));
        t7 = Avx.LoadVector256(at + (7 * stride));
    }

    /// <summary>Eight k of one chain of eight outputs: <typeparamref name="TLayout"/>'s block, then <see cref="Eight"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> Block<TLayout>(Vector256<float> acc, float* x, float* b, int n, int k, int j, int p)
        where TLayout : struct, ISkinnyLayout
    {
        TLayout.Block(b, n, k, j, p, out Vector256<float> t0, out Vector256<float> t1, out Vector256<float> t2, out Vector256<float> t3,
            out Vector256<float> t4, out Vector256<float> t5, out Vector256<float> t6, out Vector256<float> t7);
        return Eight(acc, x, t0, t1, t2, t3, t4, t5, t6, t7);
    }

    /// <summary>An accumulator's start: C's eight values from column <paramref name="j"/> of <paramref name="row"/> when the chain continues, else zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> Start(float* row, int j, bool accumulate) =>
        accumulate ? Avx.LoadVector256(row + j) : Vector256<float>.Zero;

    /// <summary>Eight terms of every lane's chain: acc + x[q]·t_q for q = 0 … 7, in that order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> Eight(Vector256<float> acc, float* x, Vector256<float> t0, Vector256<float> t1, Vector256<float> t2,
        Vector256<float> t3, Vector256<float> t4, Vector256<float> t5, Vector256<float> t6, Vector256<float> t7)
    {
        acc += Vector256.Create(x[0]) * t0;
        acc += Vector256.Create(x[1]) * t1;
        acc += Vector256.Create(x[2]) * t2;
        acc += Vector256.Create(x[3]) * t3;
        acc += Vector256.Create(x[4]) * t4;
        acc += Vector256.Create(x[5]) * t5;
        acc += Vector256.Create(x[6]) * t6;
        acc += Vector256.Create(x[7]) * t7;
        return acc;
    }

    /// <summary>Row <paramref name="r"/>'s eight outputs from column <paramref name="j"/>: the bias and the activation, then one store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void End(Vector256<float> acc, in Plan<float> plan, int r, int j)
    {
        Finish<float> finish = plan.Finish;
        if (finish.Any)
        {
            Vector256<float> bias = finish.ColumnBias ? Avx.LoadVector256(plan.Bias + j)
                : finish.RowBias ? Vector256.Create(plan.Bias[r]) : Vector256<float>.Zero;
            acc = finish.Apply(acc, bias);
        }

        Avx.Store(plan.C + ((nint)r * plan.N) + j, acc);
    }
}
