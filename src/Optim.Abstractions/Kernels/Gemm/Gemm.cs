using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Optim.Kernels;

/// <summary>How <see cref="Gemm.Multiply{T}"/> reads its operands and finishes its outputs.</summary>
[Flags]
public enum GemmOptions
{
    /// <summary>C = A·B, A stored m × k and B stored k × n, row-major.</summary>
    None = 0,

    /// <summary>A is stored k × m: the product uses its transpose.</summary>
    TransposeA = 1,

    /// <summary>B is stored n × k: the product uses its transpose.</summary>
    TransposeB = 2,

    /// <summary>C += op(A)·op(B): each output's chain starts from the value C holds instead of zero.</summary>
    Accumulate = 4,

    /// <summary>The bias holds one value per row of C (a convolution's output channels), not one per column.</summary>
    BiasPerRow = 8,

    /// <summary>Each output becomes x ≤ 0 ? 0 : x after the bias (<see cref="Activation.Relu"/>'s operations).</summary>
    Relu = 16,

    /// <summary>Each output becomes x &gt; 0 ? x : slope·x after the bias (<see cref="Activation.LeakyRelu"/>'s operations).</summary>
    LeakyRelu = 32,
}

/// <summary>
/// General matrix product C = op(A)·op(B) (or C += …) for float and double, with the bias and an activation fused into
/// the store: the BLIS structure. B is packed in KC × NC panels (micro-panels of NR columns, contiguous per k), A in
/// MC × KC blocks (micro-panels of MR rows), and a register-tiled MR × NR micro-kernel at the widest vector width the CPU
/// accelerates (Vector512, Vector256, Vector128, else scalar; 256 bits on cores that split 512-bit operations:
/// <see cref="KernelVectorBits"/>) computes each tile of C; the transposes are done by the
/// packing routines. Edge tiles run in a scratch tile, so nothing outside the operands is read or written. Float products
/// of at most <see cref="SkinnyRows"/> rows with A not transposed and n and k of 8 or more (a layer's passes on a small
/// batch), where AVX runs and the product is one thread's work (below <see cref="AutomaticParallelSize"/>
/// multiply-adds, or one thread allowed), skip the packing and read B where it lies (Gemm.Skinny.cs), in the same order.
/// <para>
/// Every output accumulates its k terms in one fixed order: zero (or the value C holds, with
/// <see cref="GemmOptions.Accumulate"/>), then + a·b for k ascending, one multiply and one add each (not fused), the KC
/// blocks continuing the same chain through C; then + bias, then the activation. A plain triple loop in that order gives
/// the same bits, and so does every vector width and every thread count: threads split C into fixed tiles of whole rows
/// or columns and no output is summed across threads. (NaNs aside: which NaN's payload a chain carries is the processor's
/// choice, not the order's.)
/// </para>
/// <para>
/// Packing buffers are thread-static, 64-byte aligned and pinned, allocated on a thread's first product of each element
/// type: no allocation per call after that.
/// </para>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class Gemm
{
    /// <summary>Depth of a packed block: a KC × NR micro-panel of B stays in L1 while the A micro-panels stream past it.</summary>
    internal const int KC = 256;

    /// <summary>Rows of a packed A block (MC × KC in L2); a multiple of every micro-kernel's MR.</summary>
    internal const int MC = 96;

    /// <summary>Columns of a packed B panel (KC × NC); a multiple of every micro-kernel's NR.</summary>
    internal const int NC = 1024;

    /// <summary>Multiply-adds from which the automatic thread count (0) uses every processor: about 0.1 ms of work.</summary>
    public const long AutomaticParallelSize = 1L << 22;

    /// <summary>
    /// C (m × n, row-major) = op(A)·op(B) [+ bias] [activation], or += with <see cref="GemmOptions.Accumulate"/>.
    /// </summary>
    /// <param name="a">A, m × k (k × m with <see cref="GemmOptions.TransposeA"/>), row-major.</param>
    /// <param name="b">B, k × n (n × k with <see cref="GemmOptions.TransposeB"/>), row-major.</param>
    /// <param name="c">C, m × n, row-major.</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">Terms of each output.</param>
    /// <param name="options">Transposes, accumulation, the bias's orientation and the activation.</param>
    /// <param name="bias">Empty for none; else n values (m with <see cref="GemmOptions.BiasPerRow"/>), added after the k terms.</param>
    /// <param name="slope">LeakyRelu's negative slope.</param>
    /// <param name="maxThreads">
    /// Threads the product may use (the caller's included, through <see cref="StepWorkers"/>): 1 the calling thread, n up
    /// to n, 0 automatic (every processor from <see cref="AutomaticParallelSize"/> multiply-adds). The result is the same
    /// bits for any count.
    /// </param>
    public static unsafe void Multiply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k,
        GemmOptions options = GemmOptions.None, ReadOnlySpan<T> bias = default, double slope = 0, int maxThreads = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Positive(m, nameof(m));
        Guard.Positive(n, nameof(n));
        Guard.Positive(k, nameof(k));
        Guard.Fits(a.Length, (long)m * k, nameof(a));
        Guard.Fits(b.Length, (long)k * n, nameof(b));
        Guard.Fits(c.Length, (long)m * n, nameof(c));
        if ((options & (GemmOptions.Relu | GemmOptions.LeakyRelu)) == (GemmOptions.Relu | GemmOptions.LeakyRelu))
        {
            throw new ArgumentException("Relu and LeakyRelu are two activations; choose one.", nameof(options));
        }

        if ((options & GemmOptions.BiasPerRow) != 0 && bias.IsEmpty)
        {
            throw new ArgumentException("BiasPerRow names the orientation of a bias, but no bias was given.", nameof(bias));
        }

        if (!bias.IsEmpty)
        {
            Guard.Fits(bias.Length, (options & GemmOptions.BiasPerRow) != 0 ? m : n, nameof(bias));
        }

        if (maxThreads < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxThreads), maxThreads, "maxThreads is 0 (automatic) or at least 1.");
        }

        fixed (T* pa = a, pb = b, pc = c, pbias = bias)
        {
            var plan = new Plan<T>(pa, pb, pc, bias.IsEmpty ? null : pbias, m, n, k, options, T.CreateTruncating(slope));
            if (IsSkinny<T>(m, n, k, options) && ((long)m * n * k < AutomaticParallelSize || Threads(m, n, k, maxThreads) == 1))
            {
                RunSkinny(Unsafe.As<Plan<T>, Plan<float>>(ref plan));
            }
            else if (Kernel512<T>.IsSupported)
            {
                Run<T, Kernel512<T>>(plan, maxThreads);
            }
            else if (Kernel256<T>.IsSupported)
            {
                Run<T, Kernel256<T>>(plan, maxThreads);
            }
            else if (Kernel128<T>.IsSupported)
            {
                Run<T, Kernel128<T>>(plan, maxThreads);
            }
            else
            {
                Run<T, KernelScalar<T>>(plan, maxThreads);
            }
        }
    }

    /// <summary>The threads a product of m·n·k multiply-adds uses for a maxThreads setting (0 automatic).</summary>
    public static int Threads(int m, int n, int k, int maxThreads) => StepWorkers.Threads(maxThreads, (long)m * n * k, AutomaticParallelSize);

    /// <summary>Splits C between threads (whole column panels or whole row panels, each tile on one thread) and runs the tiles.</summary>
    private static unsafe void Run<T, TKernel>(in Plan<T> plan, int maxThreads)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IMicroKernel<T>
    {
        int threads = Threads(plan.M, plan.N, plan.K, maxThreads);
        int columnPanels = (plan.N + TKernel.Columns - 1) / TKernel.Columns;
        int rowPanels = (plan.M + TKernel.Rows - 1) / TKernel.Rows;
        if (threads <= 1 || Math.Max(columnPanels, rowPanels) < 2)
        {
            Region<T, TKernel>(plan, 0, plan.M, 0, plan.N);
            return;
        }

        // Split the dimension with more micro-panels into one tile per thread.
        Tiles<T, TKernel> tiles = Tiles<T, TKernel>.OnThisThread;
        bool byColumns = columnPanels * TKernel.Columns >= rowPanels * TKernel.Rows;
        int panels = byColumns ? columnPanels : rowPanels;
        int count = Math.Min(threads, panels);
        int perTile = (panels + count - 1) / count * (byColumns ? TKernel.Columns : TKernel.Rows);
        tiles.Set(plan, byColumns, perTile);
        StepWorkers.RunEach(tiles, ((byColumns ? plan.N : plan.M) + perTile - 1) / perTile, threads);
        tiles.Clear();
    }

    /// <summary>C[i0..i1, j0..j1): the BLIS loops over NC panels of B, KC blocks of k, MC blocks of A, then the micro-tiles.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Region<T, TKernel>(in Plan<T> plan, int i0, int i1, int j0, int j1)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IMicroKernel<T>
    {
        int mr = TKernel.Rows, nr = TKernel.Columns;
        Buffers<T> buffers = Buffers<T>.OnThisThread;
        ref T packedA = ref buffers.A;
        ref T packedB = ref buffers.B;
        bool accumulate = (plan.Options & GemmOptions.Accumulate) != 0;
        nint ldc = plan.N;

        // k in equal blocks of at most KC (784 = 4 × 196, not 3 × 256 + 16): a shallow last block would pay the tile's
        // load and store of C for a few terms. The chain per output is the same whatever the blocks.
        int blocks = (plan.K + KC - 1) / KC;
        int depth = (plan.K + blocks - 1) / blocks;
        for (int jc = j0; jc < j1; jc += NC)
        {
            int nc = Math.Min(NC, j1 - jc);
            for (int pc = 0; pc < plan.K; pc += depth)
            {
                int kc = Math.Min(depth, plan.K - pc);
                bool load = accumulate || pc > 0;
                bool last = pc + kc == plan.K;
                Finish<T> finish = last ? plan.Finish : default;
                PackB<T, TKernel>(plan, pc, kc, jc, nc, ref packedB);
                for (int ic = i0; ic < i1; ic += MC)
                {
                    int mc = Math.Min(MC, i1 - ic);
                    PackA<T, TKernel>(plan, pc, kc, ic, mc, ref packedA);
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int cols = Math.Min(nr, nc - jr);
                        ref T bPanel = ref Unsafe.Add(ref packedB, jr * kc);
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            int rows = Math.Min(mr, mc - ir);
                            int row = ic + ir, column = jc + jr;
                            ref T aPanel = ref Unsafe.Add(ref packedA, ir * kc);
                            ref T tile = ref Unsafe.AsRef<T>(plan.C + ((nint)row * ldc) + column);
                            ref T rowBias = ref finish.RowBias ? ref Unsafe.AsRef<T>(plan.Bias + row) : ref buffers.Tile;
                            ref T columnBias = ref finish.ColumnBias ? ref Unsafe.AsRef<T>(plan.Bias + column) : ref buffers.Tile;
                            if (rows == mr && cols == nr)
                            {
                                TKernel.Run(kc, ref aPanel, ref bPanel, ref tile, ldc, load, finish, ref rowBias, ref columnBias);
                            }
                            else
                            {
                                EdgeTile<T, TKernel>(buffers, kc, ref aPanel, ref bPanel, ref tile, ldc, load, finish, ref rowBias, ref columnBias, rows, cols);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// A tile cut by the edge of C: run in the scratch tile (C's values copied in when the chain continues, the bias
    /// padded), and only its <paramref name="rows"/> × <paramref name="cols"/> outputs copied back.
    /// </summary>
    private static void EdgeTile<T, TKernel>(Buffers<T> buffers, int kc, ref T aPanel, ref T bPanel, ref T tile, nint ldc, bool load, in Finish<T> finish,
        ref T rowBias, ref T columnBias, int rows, int cols)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IMicroKernel<T>
    {
        int nr = TKernel.Columns;
        ref T scratch = ref buffers.Tile;
        ref T paddedRowBias = ref buffers.RowBias;
        ref T paddedColumnBias = ref buffers.ColumnBias;
        if (load)
        {
            for (int r = 0; r < rows; r++)
            {
                MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref tile, r * ldc), cols).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref scratch, r * nr), cols));
            }
        }

        if (finish.RowBias)
        {
            MemoryMarshal.CreateReadOnlySpan(ref rowBias, rows).CopyTo(MemoryMarshal.CreateSpan(ref paddedRowBias, rows));
        }

        if (finish.ColumnBias)
        {
            MemoryMarshal.CreateReadOnlySpan(ref columnBias, cols).CopyTo(MemoryMarshal.CreateSpan(ref paddedColumnBias, cols));
        }

        TKernel.Run(kc, ref aPanel, ref bPanel, ref scratch, nr, load, finish, ref paddedRowBias, ref paddedColumnBias);
        for (int r = 0; r < rows; r++)
        {
            MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref scratch, r * nr), cols).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref tile, r * ldc), cols));
        }
    }

    /// <summary>
    /// Rows [ic, ic + mc) and k [pc, pc + kc) of op(A) into micro-panels of MR rows: panel q holds
    /// op(A)[ic + q·mr + r, pc + p] at q·mr·kc + p·mr + r, rows past the edge zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackA<T, TKernel>(in Plan<T> plan, int pc, int kc, int ic, int mc, ref T packed)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IMicroKernel<T>
    {
        int mr = TKernel.Rows;
        bool transposed = (plan.Options & GemmOptions.TransposeA) != 0;
        for (int q = 0; q < mc; q += mr)
        {
            ref T panel = ref Unsafe.Add(ref packed, q * kc);
            int rows = Math.Min(mr, mc - q);
            if (transposed)
            {
                // Stored k × m: the mr values of one k are contiguous.
                T* source = plan.A + ((nint)pc * plan.M) + ic + q;
                for (int p = 0; p < kc; p++, source += plan.M)
                {
                    ref T target = ref Unsafe.Add(ref panel, p * mr);
                    if (rows == mr)
                    {
                        Unsafe.CopyBlockUnaligned(ref Unsafe.As<T, byte>(ref target), ref *(byte*)source, (uint)(TKernel.Rows * sizeof(T)));
                    }
                    else
                    {
                        new ReadOnlySpan<T>(source, rows).CopyTo(MemoryMarshal.CreateSpan(ref target, rows));
                        MemoryMarshal.CreateSpan(ref Unsafe.Add(ref target, rows), mr - rows).Clear();
                    }
                }
            }
            else
            {
                // Stored m × k: each row is contiguous over k.
                Interleave(plan.A + ((nint)(ic + q) * plan.K) + pc, plan.K, rows, mr, kc, ref panel);
            }
        }
    }

    /// <summary>
    /// Columns [jc, jc + nc) and k [pc, pc + kc) of op(B) into micro-panels of NR columns: panel q holds
    /// op(B)[pc + p, jc + q·nr + j] at q·nr·kc + p·nr + j, columns past the edge zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackB<T, TKernel>(in Plan<T> plan, int pc, int kc, int jc, int nc, ref T packed)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IMicroKernel<T>
    {
        int nr = TKernel.Columns;
        if ((plan.Options & GemmOptions.TransposeB) != 0)
        {
            // Stored n × k: each column of op(B) is contiguous over k.
            for (int q = 0; q < nc; q += nr)
            {
                Interleave(plan.B + ((nint)(jc + q) * plan.K) + pc, plan.K, Math.Min(nr, nc - q), nr, kc, ref Unsafe.Add(ref packed, q * kc));
            }

            return;
        }

        // Stored k × n: the nr values of one k are contiguous. Row by row of B (sequential reads), a whole micro-panel
        // row copied inline; the last panel, cut by the edge, padded with zeros.
        int full = nc / nr * nr;
        for (int p = 0; p < kc; p++)
        {
            T* source = plan.B + ((nint)(pc + p) * plan.N) + jc;
            ref T target = ref Unsafe.Add(ref packed, p * TKernel.Columns);
            for (int q = 0; q < full; q += TKernel.Columns)
            {
                Unsafe.CopyBlockUnaligned(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref target, q * kc)), ref *(byte*)(source + q), (uint)(TKernel.Columns * sizeof(T)));
            }

            if (full < nc)
            {
                ref T edge = ref Unsafe.Add(ref target, full * kc);
                new ReadOnlySpan<T>(source + full, nc - full).CopyTo(MemoryMarshal.CreateSpan(ref edge, nc - full));
                MemoryMarshal.CreateSpan(ref Unsafe.Add(ref edge, nc - full), nr - (nc - full)).Clear();
            }
        }
    }

    /// <summary>
    /// target[p·width + r] = source[r·ld + p] for r &lt; count and p &lt; kc, lanes [count, width) zero: count rows that
    /// are contiguous over k interleaved into a micro-panel (rows of A, or columns of B stored transposed). Floats move
    /// as 8 × 8 blocks transposed in AVX registers where the width is a multiple of 8 (<see cref="Interleave8"/>), else as
    /// 4 × 4 (and 2 × 4) blocks in SSE registers; the rest one value at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Interleave<T>(T* source, nint ld, int count, int width, int kc, ref T target)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int p = 0;
        if (typeof(T) == typeof(float) && Avx.IsSupported && count == width && (width & 7) == 0)
        {
            p = Interleave8((float*)source, ld, width, kc, (float*)Unsafe.AsPointer(ref target));
        }

        if (typeof(T) == typeof(float) && Sse.IsSupported && count == width && (width & 1) == 0)
        {
            float* s = (float*)source;
            float* t = (float*)Unsafe.AsPointer(ref target);
            for (; p + 4 <= kc; p += 4)
            {
                int r = 0;
                for (; r + 4 <= width; r += 4)
                {
                    float* row = s + (r * ld) + p;
                    Vector128<float> x0 = Sse.LoadVector128(row), x1 = Sse.LoadVector128(row + ld);
                    Vector128<float> x2 = Sse.LoadVector128(row + (2 * ld)), x3 = Sse.LoadVector128(row + (3 * ld));
                    Vector128<float> t0 = Sse.UnpackLow(x0, x1), t1 = Sse.UnpackHigh(x0, x1);
                    Vector128<float> t2 = Sse.UnpackLow(x2, x3), t3 = Sse.UnpackHigh(x2, x3);
                    float* to = t + (p * width) + r;
                    Sse.Store(to, Sse.MoveLowToHigh(t0, t2));
                    Sse.Store(to + width, Sse.MoveHighToLow(t2, t0));
                    Sse.Store(to + (2 * width), Sse.MoveLowToHigh(t1, t3));
                    Sse.Store(to + (3 * width), Sse.MoveHighToLow(t3, t1));
                }

                if (r < width)
                {
                    float* row = s + (r * ld) + p;
                    Vector128<float> x0 = Sse.LoadVector128(row), x1 = Sse.LoadVector128(row + ld);
                    Vector128<float> t0 = Sse.UnpackLow(x0, x1), t1 = Sse.UnpackHigh(x0, x1);
                    float* to = t + (p * width) + r;
                    Sse.StoreLow(to, t0);
                    Sse.StoreHigh(to + width, t0);
                    Sse.StoreLow(to + (2 * width), t1);
                    Sse.StoreHigh(to + (3 * width), t1);
                }
            }
        }

        for (int r = 0; r < count; r++)
        {
            T* row = source + (r * ld);
            ref T lane = ref Unsafe.Add(ref target, r);
            for (int q = p; q < kc; q++)
            {
                Unsafe.Add(ref lane, q * width) = row[q];
            }
        }

        for (int r = count; r < width; r++)
        {
            for (int q = 0; q < kc; q++)
            {
                Unsafe.Add(ref target, (q * width) + r) = T.Zero;
            }
        }
    }

    /// <summary>
    /// <see cref="Interleave{T}"/>'s 8 × 8 blocks for floats (width a multiple of 8, every row present), each transposed in
    /// 256-bit registers (<see cref="Transpose8"/>): a third fewer instructions per value than 4 × 4 blocks. Moves only;
    /// returns the k done (a multiple of 8).
    /// </summary>
    private static unsafe int Interleave8(float* source, nint ld, int width, int kc, float* target)
    {
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            for (int r = 0; r < width; r += 8)
            {
                Transpose8(ref *(source + (r * ld) + p), (int)ld, ref *(target + (p * width) + r), width);
            }
        }

        return p;
    }

    /// <summary>One product's operands (pinned by the caller for the whole call) and sizes.</summary>
    private readonly unsafe struct Plan<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public readonly T* A, B, C, Bias;
        public readonly int M, N, K;
        public readonly GemmOptions Options;
        public readonly Finish<T> Finish;

        public Plan(T* a, T* b, T* c, T* bias, int m, int n, int k, GemmOptions options, T slope)
        {
            A = a;
            B = b;
            C = c;
            Bias = bias;
            (M, N, K, Options) = (m, n, k, options);
            Finish = new Finish<T>(bias is null ? 0 : (options & GemmOptions.BiasPerRow) != 0 ? 2 : 1, options, slope);
        }
    }

    /// <summary>
    /// The tiles of one product shared between threads, for <see cref="StepWorkers.RunEach"/>: tile t is C's columns (or
    /// rows) [t·perTile, (t + 1)·perTile). One instance per calling thread, reused.
    /// </summary>
    private sealed class Tiles<T, TKernel> : TensorKernel
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IMicroKernel<T>
    {
        [ThreadStatic]
        private static Tiles<T, TKernel>? _onThisThread;

        private Plan<T> _plan;
        private bool _byColumns;
        private int _perTile;

        public static Tiles<T, TKernel> OnThisThread => _onThisThread ??= new Tiles<T, TKernel>();

        public void Set(in Plan<T> plan, bool byColumns, int perTile) => (_plan, _byColumns, _perTile) = (plan, byColumns, perTile);

        public void Clear() => _plan = default;

        public override void Run(int tensor, int worker)
        {
            int start = tensor * _perTile;
            if (_byColumns)
            {
                Region<T, TKernel>(_plan, 0, _plan.M, start, Math.Min(_plan.N, start + _perTile));
            }
            else
            {
                Region<T, TKernel>(_plan, start, Math.Min(_plan.M, start + _perTile), 0, _plan.N);
            }
        }
    }

    /// <summary>
    /// A thread's packing buffers for one element type: an MC × KC block of A, a KC × NC panel of B, a scratch tile and
    /// padded bias for edge tiles. Pinned and 64-byte aligned, allocated on the thread's first product.
    /// </summary>
    private sealed unsafe class Buffers<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        /// <summary>The largest tile of any micro-kernel: 8 rows by two 512-bit vectors of the element type.</summary>
        private const int TileLength = 8 * 2 * 64;

        [ThreadStatic]
        private static Buffers<T>? _onThisThread;

        private readonly T[] _a = Pinned(MC * KC);
        private readonly T[] _b = Pinned(KC * NC);
        private readonly T[] _tile = Pinned(TileLength + (2 * 64));

        public static Buffers<T> OnThisThread => _onThisThread ??= new Buffers<T>();

        public ref T A => ref Aligned(_a);

        public ref T B => ref Aligned(_b);

        public ref T Tile => ref Aligned(_tile);

        public ref T RowBias => ref Unsafe.Add(ref Aligned(_tile), TileLength);

        public ref T ColumnBias => ref Unsafe.Add(ref Aligned(_tile), TileLength + 64);

        private static T[] Pinned(int length) => GC.AllocateArray<T>(length + (64 / sizeof(T)), pinned: true);

        /// <summary>The first element of <paramref name="array"/> (pinned) on a 64-byte boundary.</summary>
        private static ref T Aligned(T[] array)
        {
            ref T first = ref MemoryMarshal.GetArrayDataReference(array);
            nint offset = (nint)Unsafe.AsPointer(ref first) & 63;
            return ref offset == 0 ? ref first : ref Unsafe.AddByteOffset(ref first, 64 - offset);
        }
    }
}

/// <summary>What the last KC block of a tile does before its store: + bias (per row or per column), then an activation.</summary>
internal readonly struct Finish<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _bias;
    private readonly int _activation;
    private readonly T _slope;

    /// <summary>A finish with <paramref name="bias"/> 0 (none), 1 (per column) or 2 (per row) and the activation <paramref name="options"/> name.</summary>
    public Finish(int bias, GemmOptions options, T slope)
    {
        _bias = bias;
        _activation = (options & GemmOptions.Relu) != 0 ? 1 : (options & GemmOptions.LeakyRelu) != 0 ? 2 : 0;
        _slope = slope;
    }

    public bool Any => (_bias | _activation) != 0;

    public bool ColumnBias => _bias == 1;

    public bool RowBias => _bias == 2;

    public T Apply(T x, T bias)
    {
        if (_bias != 0)
        {
            x += bias;
        }

        return _activation switch
        {
            1 => x <= T.Zero ? T.Zero : x,
            2 => x > T.Zero ? x : x * _slope,
            _ => x,
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Apply(Vector128<T> x, Vector128<T> bias)
    {
        if (_bias != 0)
        {
            x += bias;
        }

        return _activation switch
        {
            1 => Vector128.ConditionalSelect(Vector128.LessThanOrEqual(x, Vector128<T>.Zero), Vector128<T>.Zero, x),
            2 => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<T>.Zero), x, x * Vector128.Create(_slope)),
            _ => x,
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Apply(Vector256<T> x, Vector256<T> bias)
    {
        if (_bias != 0)
        {
            x += bias;
        }

        return _activation switch
        {
            1 => Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, Vector256<T>.Zero), Vector256<T>.Zero, x),
            2 => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), x, x * Vector256.Create(_slope)),
            _ => x,
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Apply(Vector512<T> x, Vector512<T> bias)
    {
        if (_bias != 0)
        {
            x += bias;
        }

        return _activation switch
        {
            1 => Vector512.ConditionalSelect(Vector512.LessThanOrEqual(x, Vector512<T>.Zero), Vector512<T>.Zero, x),
            2 => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), x, x * Vector512.Create(_slope)),
            _ => x,
        };
    }
}

/// <summary>A register-tiled micro-kernel: an MR × NR tile of C from packed micro-panels, chains continued or started.</summary>
internal interface IMicroKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>MR: rows of the tile.</summary>
    static abstract int Rows { get; }

    /// <summary>NR: columns of the tile.</summary>
    static abstract int Columns { get; }

    /// <summary>
    /// tile (rows <paramref name="ldc"/> apart) ← finish(tile or 0 + Σ over p &lt; kc, ascending, of a[p·MR + r]·b[p·NR + j]).
    /// <paramref name="rowBias"/> holds MR values and <paramref name="columnBias"/> NR, read only when the finish uses them.
    /// </summary>
    static abstract void Run(int kc, ref T a, ref T b, ref T c, nint ldc, bool load, in Finish<T> finish, ref T rowBias, ref T columnBias);
}

/// <summary>The scalar micro-kernel (no accelerated vectors): 4 × 4, each output the same chain a vector lane computes.</summary>
internal readonly struct KernelScalar<T> : IMicroKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Rows => 4;

    public static int Columns => 4;

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]

    public static void Run(int kc, ref T a, ref T b, ref T c, nint ldc, bool load, in Finish<T> finish, ref T rowBias, ref T columnBias)
    {
        Span<T> acc = stackalloc T[16];
        for (int r = 0; r < 4; r++)
        {
            for (int j = 0; j < 4; j++)
            {
                acc[(r * 4) + j] = load ? Unsafe.Add(ref c, (r * ldc) + j) : T.Zero;
            }
        }

        for (int p = 0; p < kc; p++)
        {
            T b0 = b, b1 = Unsafe.Add(ref b, 1), b2 = Unsafe.Add(ref b, 2), b3 = Unsafe.Add(ref b, 3);
            for (int r = 0; r < 4; r++)
            {
                T x = Unsafe.Add(ref a, r);
                acc[(r * 4) + 0] += x * b0;
                acc[(r * 4) + 1] += x * b1;
                acc[(r * 4) + 2] += x * b2;
                acc[(r * 4) + 3] += x * b3;
            }

            a = ref Unsafe.Add(ref a, 4);
            b = ref Unsafe.Add(ref b, 4);
        }

        for (int r = 0; r < 4; r++)
        {
            for (int j = 0; j < 4; j++)
            {
                T bias = finish.RowBias ? Unsafe.Add(ref rowBias, r) : finish.ColumnBias ? Unsafe.Add(ref columnBias, j) : T.Zero;
                Unsafe.Add(ref c, (r * ldc) + j) = finish.Any ? finish.Apply(acc[(r * 4) + j], bias) : acc[(r * 4) + j];
            }
        }
    }
}
