using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Optim;

/// <summary>
/// Matrix routines that generated optimizers call on one parameter tensor at a time: Muon's orthogonalization
/// (MatrixKernels.NewtonSchulz.cs) over the products here, Adafactor's factored statistics and update
/// (MatrixKernels.Factored.cs). In products every output element accumulates its terms in ascending
/// order with one multiply and one add each, on every vector width and in the scalar loop: results are bit-identical
/// whichever path the CPU takes.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class MatrixKernels
{
    /// <summary>
    /// Columns of the output computed together: the right operand's panel of that many columns (inner × 128 elements, 512 KB
    /// of floats for inner = 1024) stays in the L2 cache while every row of the output goes past it.
    /// </summary>
    private const int ColumnBlock = 128;

    /// <summary>Rows of the output a small product computes together, so each row of the right operand is read once per block.</summary>
    private const int RowBlock = 8;

    /// <summary>Multiply-adds from which a product is packed and tiled (32³); smaller ones go row by row.</summary>
    private const long TiledProductSize = 32 * 32 * 32;

    /// <summary>Multiply-adds of a column block from which its tiles are shared between threads (about 0.1 ms of work).</summary>
    private const long ParallelProductSize = 1 << 21;

    /// <summary>Whether a column block of <paramref name="span"/> columns of an n × inner by inner × width product shares its row tiles between threads.</summary>
    private static bool SharesTiles(long n, long inner, long span) => n > 4 && n * inner * span >= ParallelProductSize;

    /// <summary>destination (cols × rows) ← source (rows × cols)ᵀ.</summary>
    private static void Transpose<T>(ReadOnlySpan<T> source, int rows, int cols, Span<T> destination)
        where T : unmanaged
    {
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                destination[(c * rows) + r] = source[(r * cols) + c];
            }
        }
    }

    /// <summary>
    /// result (n × width) ← left (n × inner) · right (inner × width). Each output element is a sum over j, ascending, of
    /// left[i, j]·right[j, c], one multiply and one add per term, kept in a register from the first term to the last: tiles
    /// of four output rows by one vector of columns, the widest vectors first, then narrower ones and single columns for
    /// the rest, all adding the same terms in the same order. The columns a block of tiles reads are first copied to
    /// <paramref name="pack"/>, each vector's column strip contiguous, so a tile reads memory in order instead of one
    /// line per row of the right operand; <paramref name="pack"/> holds at least inner × min(width, <see cref="ColumnBlock"/>)
    /// elements.
    /// </summary>
    private static unsafe void Multiply<T>(ReadOnlySpan<T> left, int n, int inner, ReadOnlySpan<T> right, int width, Span<T> result, Span<T> pack, int maxThreads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The callers pass workspace slices of exactly these sizes; checked once here, then addressed by reference.
        if (left.Length < n * inner || right.Length < inner * width || result.Length < n * width || pack.Length < inner * Math.Min(width, ColumnBlock))
        {
            throw new ArgumentException($"A {n} × {inner} by {inner} × {width} product does not fit the spans given.");
        }

        if ((long)n * inner * width < TiledProductSize)
        {
            MultiplyByRows(left, n, inner, right, width, result);
            return;
        }

        ref T l = ref MemoryMarshal.GetReference(left);
        ref T r = ref MemoryMarshal.GetReference(right);
        ref T o = ref MemoryMarshal.GetReference(result);
        ref T p = ref MemoryMarshal.GetReference(pack);
        for (int column = 0; column < width; column += ColumnBlock)
        {
            int span = Math.Min(ColumnBlock, width - column);

            // The strip of columns [c, c + w) goes to pack[c·inner …], row j of it at c·inner + j·w.
            for (int c = 0, w; c < span; c += w)
            {
                w = StripWidth<T>(span - c);
                ref T strip = ref Unsafe.Add(ref p, c * inner);
                for (int j = 0; j < inner; j++)
                {
                    MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref r, (j * width) + column + c), w).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref strip, j * w), w));
                }
            }

            if (maxThreads > 1 && SharesTiles(n, inner, span))
            {
                // The tiles of this block shared between threads: the spans stay pinned until every tile is done.
                fixed (T* pl = left, pp = pack, po = result)
                {
                    TileRows<T> tiles = TileRows<T>.OnThisThread;
                    tiles.Set(pl, pp, po, n, inner, width, column, span);
                    StepWorkers.RunEach(tiles, (n + 3) / 4, maxThreads);
                }
            }
            else
            {
                for (int row = 0; row < n; row += 4)
                {
                    RowTile(ref l, n, inner, ref p, ref o, width, column, span, row);
                }
            }
        }
    }

    /// <summary>
    /// Output rows [row, row + 4) (fewer at the end) of one column block of <see cref="Multiply{T}"/>, from its packed strips.
    /// </summary>
    private static void RowTile<T>(ref T l, int n, int inner, ref T p, ref T o, int width, int column, int span, int row)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // A last tile of fewer rows repeats its first row in the missing ones and stores only its own.
        int rows = Math.Min(4, n - row);
        ref T l0 = ref Unsafe.Add(ref l, row * inner);
        ref T l1 = ref Unsafe.Add(ref l0, rows > 1 ? inner : 0);
        ref T l2 = ref Unsafe.Add(ref l0, rows > 2 ? 2 * inner : 0);
        ref T l3 = ref Unsafe.Add(ref l0, rows > 3 ? 3 * inner : 0);
        ref T target = ref Unsafe.Add(ref o, (row * width) + column);
        for (int c = 0, w; c < span; c += w)
        {
            w = StripWidth<T>(span - c);
            ref T strip = ref Unsafe.Add(ref p, c * inner);
            if (w == Vector512<T>.Count && Vector512.IsHardwareAccelerated)
            {
                Tile512(ref l0, ref l1, ref l2, ref l3, inner, ref strip, width, ref Unsafe.Add(ref target, c), rows);
            }
            else if (w == Vector256<T>.Count && Vector256.IsHardwareAccelerated)
            {
                Tile256(ref l0, ref l1, ref l2, ref l3, inner, ref strip, width, ref Unsafe.Add(ref target, c), rows);
            }
            else if (w == Vector128<T>.Count && Vector128.IsHardwareAccelerated)
            {
                Tile128(ref l0, ref l1, ref l2, ref l3, inner, ref strip, width, ref Unsafe.Add(ref target, c), rows);
            }
            else
            {
                TileScalar(ref l0, ref l1, ref l2, ref l3, inner, ref strip, width, ref Unsafe.Add(ref target, c), rows);
            }
        }
    }

    /// <summary>
    /// The row tiles of one column block of a product, by index, for <see cref="StepWorkers.RunEach"/>: one per thread that
    /// multiplies (created on its first large product), addressing spans its caller keeps pinned while they run.
    /// </summary>
    private sealed unsafe class TileRows<T> : TensorKernel
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        [ThreadStatic]
        private static TileRows<T>? _onThisThread;

        private T* _left, _pack, _output;
        private int _n, _inner, _width, _column, _span;

        public static TileRows<T> OnThisThread => _onThisThread ??= new TileRows<T>();

        public void Set(T* left, T* pack, T* output, int n, int inner, int width, int column, int span)
        {
            _left = left;
            _pack = pack;
            _output = output;
            (_n, _inner, _width, _column, _span) = (n, inner, width, column, span);
        }

        public override void Run(int tensor, int worker) =>
            RowTile(ref Unsafe.AsRef<T>(_left), _n, _inner, ref Unsafe.AsRef<T>(_pack), ref Unsafe.AsRef<T>(_output), _width, _column, _span, 4 * tensor);
    }

    /// <summary>The widest accelerated vector that fits in <paramref name="remaining"/> columns, or one column.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int StripWidth<T>(int remaining)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && remaining >= Vector512<T>.Count ? Vector512<T>.Count
        : Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && remaining >= Vector256<T>.Count ? Vector256<T>.Count
        : Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && remaining >= Vector128<T>.Count ? Vector128<T>.Count
        : 1;

    /// <summary>Up to four output rows (<paramref name="width"/> apart) by one 512-bit vector of columns, whose strip of the right operand is contiguous: Σ over j of l_q[j]·strip[j], j ascending.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile512<T>(ref T l0, ref T l1, ref T l2, ref T l3, int inner, ref T strip, int width, ref T output, int rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector512<T> a0 = Vector512<T>.Zero, a1 = a0, a2 = a0, a3 = a0;
        for (int j = 0; j < inner; j++)
        {
            Vector512<T> x = Vector512.LoadUnsafe(ref strip, (nuint)j * (nuint)Vector512<T>.Count);
            a0 += Vector512.Create(Unsafe.Add(ref l0, j)) * x;
            a1 += Vector512.Create(Unsafe.Add(ref l1, j)) * x;
            a2 += Vector512.Create(Unsafe.Add(ref l2, j)) * x;
            a3 += Vector512.Create(Unsafe.Add(ref l3, j)) * x;
        }

        a0.StoreUnsafe(ref output);
        if (rows > 1)
        {
            a1.StoreUnsafe(ref output, (nuint)width);
        }

        if (rows > 2)
        {
            a2.StoreUnsafe(ref output, 2 * (nuint)width);
        }

        if (rows > 3)
        {
            a3.StoreUnsafe(ref output, 3 * (nuint)width);
        }
    }

    /// <inheritdoc cref="Tile512{T}(ref T, ref T, ref T, ref T, int, ref T, int, ref T, int)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile256<T>(ref T l0, ref T l1, ref T l2, ref T l3, int inner, ref T strip, int width, ref T output, int rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector256<T> a0 = Vector256<T>.Zero, a1 = a0, a2 = a0, a3 = a0;
        for (int j = 0; j < inner; j++)
        {
            Vector256<T> x = Vector256.LoadUnsafe(ref strip, (nuint)j * (nuint)Vector256<T>.Count);
            a0 += Vector256.Create(Unsafe.Add(ref l0, j)) * x;
            a1 += Vector256.Create(Unsafe.Add(ref l1, j)) * x;
            a2 += Vector256.Create(Unsafe.Add(ref l2, j)) * x;
            a3 += Vector256.Create(Unsafe.Add(ref l3, j)) * x;
        }

        a0.StoreUnsafe(ref output);
        if (rows > 1)
        {
            a1.StoreUnsafe(ref output, (nuint)width);
        }

        if (rows > 2)
        {
            a2.StoreUnsafe(ref output, 2 * (nuint)width);
        }

        if (rows > 3)
        {
            a3.StoreUnsafe(ref output, 3 * (nuint)width);
        }
    }

    /// <inheritdoc cref="Tile512{T}(ref T, ref T, ref T, ref T, int, ref T, int, ref T, int)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile128<T>(ref T l0, ref T l1, ref T l2, ref T l3, int inner, ref T strip, int width, ref T output, int rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector128<T> a0 = Vector128<T>.Zero, a1 = a0, a2 = a0, a3 = a0;
        for (int j = 0; j < inner; j++)
        {
            Vector128<T> x = Vector128.LoadUnsafe(ref strip, (nuint)j * (nuint)Vector128<T>.Count);
            a0 += Vector128.Create(Unsafe.Add(ref l0, j)) * x;
            a1 += Vector128.Create(Unsafe.Add(ref l1, j)) * x;
            a2 += Vector128.Create(Unsafe.Add(ref l2, j)) * x;
            a3 += Vector128.Create(Unsafe.Add(ref l3, j)) * x;
        }

        a0.StoreUnsafe(ref output);
        if (rows > 1)
        {
            a1.StoreUnsafe(ref output, (nuint)width);
        }

        if (rows > 2)
        {
            a2.StoreUnsafe(ref output, 2 * (nuint)width);
        }

        if (rows > 3)
        {
            a3.StoreUnsafe(ref output, 3 * (nuint)width);
        }
    }

    /// <summary>Up to four output rows of one column, as the vector tiles compute each of their lanes.</summary>
    private static void TileScalar<T>(ref T l0, ref T l1, ref T l2, ref T l3, int inner, ref T strip, int width, ref T output, int rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T a0 = T.Zero, a1 = T.Zero, a2 = T.Zero, a3 = T.Zero;
        for (int j = 0; j < inner; j++)
        {
            T x = Unsafe.Add(ref strip, j);
            a0 += Unsafe.Add(ref l0, j) * x;
            a1 += Unsafe.Add(ref l1, j) * x;
            a2 += Unsafe.Add(ref l2, j) * x;
            a3 += Unsafe.Add(ref l3, j) * x;
        }

        output = a0;
        if (rows > 1)
        {
            Unsafe.Add(ref output, width) = a1;
        }

        if (rows > 2)
        {
            Unsafe.Add(ref output, 2 * width) = a2;
        }

        if (rows > 3)
        {
            Unsafe.Add(ref output, 3 * width) = a3;
        }
    }

    /// <summary>
    /// <see cref="Multiply{T}"/> for small products, where packing and tiles cost more than they save: each output row is
    /// the sum over j, ascending, of left[i, j] times row j of right, added to the row in memory (the same terms in the
    /// same order, so the same bits).
    /// </summary>
    internal static void MultiplyByRows<T>(ReadOnlySpan<T> left, int n, int inner, ReadOnlySpan<T> right, int width, Span<T> result)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        result.Clear();
        ref T l = ref MemoryMarshal.GetReference(left);
        ref T r = ref MemoryMarshal.GetReference(right);
        ref T o = ref MemoryMarshal.GetReference(result);
        for (int column = 0; column < width; column += ColumnBlock)
        {
            nuint span = (nuint)Math.Min(ColumnBlock, width - column);
            for (int row = 0; row < n; row += RowBlock)
            {
                int block = Math.Min(RowBlock, n - row);
                for (int j = 0; j < inner; j++)
                {
                    ref T source = ref Unsafe.Add(ref r, (j * width) + column);
                    for (int q = 0; q < block; q++)
                    {
                        int i = row + q;
                        AddScaled(ref Unsafe.Add(ref o, (i * width) + column), Unsafe.Add(ref l, (i * inner) + j), ref source, span);
                    }
                }
            }
        }
    }

    /// <summary>d[l] ← d[l] + s·x[l] for l below <paramref name="length"/>: one multiply and one add per element on every path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void AddScaled<T>(ref T d, T s, ref T x, nuint length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint i = 0;
        // Each element on its own: the widest vectors first, then narrower ones for what is left (a short row of a
        // small matrix still runs in vectors).
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            var sv = Vector512.Create(s);
            for (; i + (nuint)Vector512<T>.Count <= length; i += (nuint)Vector512<T>.Count)
            {
                (Vector512.LoadUnsafe(ref d, i) + (sv * Vector512.LoadUnsafe(ref x, i))).StoreUnsafe(ref d, i);
            }
        }

        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            var sv = Vector256.Create(s);
            for (; i + (nuint)Vector256<T>.Count <= length; i += (nuint)Vector256<T>.Count)
            {
                (Vector256.LoadUnsafe(ref d, i) + (sv * Vector256.LoadUnsafe(ref x, i))).StoreUnsafe(ref d, i);
            }
        }

        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            var sv = Vector128.Create(s);
            for (; i + (nuint)Vector128<T>.Count <= length; i += (nuint)Vector128<T>.Count)
            {
                (Vector128.LoadUnsafe(ref d, i) + (sv * Vector128.LoadUnsafe(ref x, i))).StoreUnsafe(ref d, i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref d, i) = Unsafe.Add(ref d, i) + (s * Unsafe.Add(ref x, i));
        }
    }
}
