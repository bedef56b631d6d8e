using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Optim;

/// <summary>
/// Matrix routines that generated optimizers call on one parameter tensor at a time (Muon's orthogonalization).
/// Products are computed row by row as sums of scaled rows, with every output element accumulating its terms in
/// ascending order with one multiply and one add each, on every vector width and in the scalar loop: results are
/// bit-identical whichever path the CPU takes.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class MatrixKernels
{
    /// <summary>Rows of the output computed together, so each row of the right operand is read once per block.</summary>
    private const int RowBlock = 8;

    /// <summary>Columns of the output computed together, so a block of output rows stays in the L1 cache.</summary>
    private const int ColumnBlock = 512;

    /// <summary>
    /// Elements of workspace <see cref="NewtonSchulz{T}"/> needs for the largest of the given matrices, given as
    /// (rows, cols) pairs: for m = min(rows, cols) and k = max(rows, cols), 3·m·k + 2·m².
    /// </summary>
    /// <exception cref="ArgumentException">A dimension is not positive, or a pair is incomplete.</exception>
    /// <exception cref="OverflowException">The workspace would exceed the largest array.</exception>
    public static int NewtonSchulzWorkspaceLength(ReadOnlySpan<int> rowsAndCols)
    {
        if (rowsAndCols.Length % 2 != 0)
        {
            throw new ArgumentException("Shapes come as (rows, cols) pairs.", nameof(rowsAndCols));
        }

        long length = 0;
        for (int i = 0; i < rowsAndCols.Length; i += 2)
        {
            int rows = rowsAndCols[i], cols = rowsAndCols[i + 1];
            if (rows <= 0 || cols <= 0)
            {
                throw new ArgumentException($"Matrix dimensions must be positive: {rows} × {cols}.", nameof(rowsAndCols));
            }

            long m = Math.Min(rows, cols), k = Math.Max(rows, cols);
            length = Math.Max(length, checked((3 * m * k) + (2 * m * m)));
        }

        return checked((int)length);
    }

    /// <summary>
    /// torch.optim.Muon's orthogonalization of <paramref name="matrix"/> (rows × cols, row-major), in place and in the
    /// element type: X ← G / max(‖G‖, ε) (transposed first when rows &gt; cols), then <paramref name="steps"/> times
    /// A ← X·Xᵀ, B ← b·A + c·(A·A), X ← a·X + B·X, transposed back.
    /// </summary>
    /// <param name="matrix">The rows × cols values; replaced by the result.</param>
    /// <param name="rows">Rows of the matrix.</param>
    /// <param name="cols">Columns of the matrix.</param>
    /// <param name="workspace">At least <see cref="NewtonSchulzWorkspaceLength"/> elements for this shape.</param>
    /// <param name="steps">Newton–Schulz iterations.</param>
    /// <param name="eps">Lower bound of the norm the matrix is divided by.</param>
    /// <param name="a">Coefficient of X.</param>
    /// <param name="b">Coefficient of A.</param>
    /// <param name="c">Coefficient of A·A.</param>
    public static void NewtonSchulz<T>(Span<T> matrix, int rows, int cols, Span<T> workspace, double steps, double eps, double a, double b, double c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rows <= 0 || cols <= 0 || matrix.Length != rows * cols)
        {
            throw new ArgumentException($"A {rows} × {cols} matrix needs {rows * cols} values, not {matrix.Length}.", nameof(matrix));
        }

        int m = Math.Min(rows, cols), k = Math.Max(rows, cols);
        if (workspace.Length < (3 * m * k) + (2 * m * m))
        {
            throw new ArgumentException($"The workspace holds {workspace.Length} elements; a {rows} × {cols} matrix needs {(3 * m * k) + (2 * m * m)}.", nameof(workspace));
        }

        Span<T> x = workspace.Slice(0, m * k);                  // m × k, the wide orientation
        Span<T> xt = workspace.Slice(m * k, m * k);             // k × m
        Span<T> gram = workspace.Slice(2 * m * k, m * m);       // m × m
        Span<T> gramUpdate = workspace.Slice((2 * m * k) + (m * m), m * m);
        Span<T> product = workspace.Slice((2 * m * k) + (2 * m * m), m * k);

        if (rows > cols)
        {
            Transpose(matrix, rows, cols, x);
        }
        else
        {
            matrix.CopyTo(x);
        }

        // X ← X / max(‖X‖, ε): the norm summed in double, element by element in order.
        double squares = 0;
        foreach (T value in x)
        {
            double v = double.CreateTruncating(value);
            squares += v * v;
        }

        T scale = T.CreateTruncating(Math.Max(Math.Sqrt(squares), eps));
        for (int i = 0; i < x.Length; i++)
        {
            x[i] /= scale;
        }

        T ta = T.CreateTruncating(a), tb = T.CreateTruncating(b), tc = T.CreateTruncating(c);
        for (int step = 0; step < steps; step++)
        {
            Transpose(x, m, k, xt);
            Multiply(x, m, k, xt, m, gram);                 // A = X·Xᵀ
            Multiply(gram, m, m, gram, m, gramUpdate);      // A·A
            for (int i = 0; i < gram.Length; i++)
            {
                gramUpdate[i] = (tb * gram[i]) + (tc * gramUpdate[i]);   // B = b·A + c·A·A
            }

            Multiply(gramUpdate, m, m, x, k, product);      // B·X
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = (ta * x[i]) + product[i];            // X = a·X + B·X
            }
        }

        if (rows > cols)
        {
            Transpose(x, m, k, matrix);
        }
        else
        {
            x.CopyTo(matrix);
        }
    }

    /// <summary>
    /// Adafactor's factored second moment (torch.optim.Adafactor): the mean square of each row and of each column of
    /// <paramref name="values"/> (rows × cols), blended into the running averages with PyTorch's
    /// <c>lerp(average, mean, weight)</c>: <c>average + weight·(mean − average)</c> when weight &lt; 0.5, else
    /// <c>mean − (mean − average)·(1 − weight)</c>. Returns the sum of the updated row averages, in double.
    /// </summary>
    /// <param name="values">The gradient, rows × cols.</param>
    /// <param name="rowAverage">Its first <paramref name="rows"/> elements hold the row averages.</param>
    /// <param name="colAverage">Its first <paramref name="cols"/> elements hold the column averages.</param>
    /// <param name="scratch">At least <paramref name="cols"/> elements of working space.</param>
    /// <param name="rows">Rows of the matrix.</param>
    /// <param name="cols">Columns of the matrix.</param>
    /// <param name="weight">The blend weight (Adafactor's 1 − β₂ₜ = t^β₂decay).</param>
    public static double FactoredMeanSquares<T>(ReadOnlySpan<T> values, Span<T> rowAverage, Span<T> colAverage, Span<T> scratch, int rows, int cols, double weight)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rows <= 0 || cols <= 0 || values.Length < rows * cols || rowAverage.Length < rows || colAverage.Length < cols || scratch.Length < cols)
        {
            throw new ArgumentException($"A {rows} × {cols} matrix needs {rows * cols} values, {rows} row and {cols} column averages and {cols} elements of scratch.");
        }

        T w = T.CreateTruncating(weight);
        T oneMinusW = T.CreateTruncating(1 - weight);
        bool small = Math.Abs(weight) < 0.5;
        T rowCount = T.CreateTruncating(rows), colCount = T.CreateTruncating(cols);

        // Column sums of squares: row by row, each column accumulating in row order (the same on every width).
        Span<T> colSquares = scratch.Slice(0, cols);
        colSquares.Clear();
        Span<T> lanes = stackalloc T[64 / Unsafe.SizeOf<T>()];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> row = values.Slice(r * cols, cols);
            AddSquares(colSquares, row);

            // The row's sum of squares, lane by lane (element c to lane c mod lanes), then added in a fixed order.
            SquaresByLane(row, lanes);

            T mean = T.CreateTruncating(LaneTotal(lanes)) / colCount;
            rowAverage[r] = Lerp(rowAverage[r], mean, w, oneMinusW, small);
        }

        for (int c = 0; c < cols; c++)
        {
            colAverage[c] = Lerp(colAverage[c], colSquares[c] / rowCount, w, oneMinusW, small);
        }

        double sum = 0;
        for (int r = 0; r < rows; r++)
        {
            sum += double.CreateTruncating(rowAverage[r]);
        }

        return sum;
    }

    /// <summary>
    /// Adafactor's update for a matrix, in one pass that reads the gradient once and writes each element of the update once:
    /// <paramref name="update"/>[r·cols + c] = (1 / √max(rowAverage[r]·colAverage[c] / divisor, floor))·gradient[r·cols + c],
    /// negated when <paramref name="sign"/> is negative, each operation rounded to <typeparamref name="T"/> in that order
    /// (what torch.optim.Adafactor's <c>(row_var @ col_var) / row_mean</c>, <c>clamp_(min = eps1²)</c>, <c>rsqrt_</c> and
    /// <c>mul_(grad)</c> compute, with a division for the reciprocal). Returns Σ update², accumulated as the generated passes
    /// accumulate sums: element (r, c) into lane c mod L (L elements = one 64-byte line) in increasing c, row after row, then
    /// the lanes added in double (<see cref="KernelMath.SumLanes(ReadOnlySpan{float})"/>); the same on every vector width.
    /// </summary>
    /// <param name="gradient">The gradient, rows × cols.</param>
    /// <param name="rowAverage">The row averages R̄ (first <paramref name="rows"/> elements).</param>
    /// <param name="colAverage">The column averages C̄ (first <paramref name="cols"/> elements).</param>
    /// <param name="update">rows × cols: the update U.</param>
    /// <param name="rows">Rows of the matrix.</param>
    /// <param name="cols">Columns of the matrix.</param>
    /// <param name="divisor">max(mean(R̄), ε₁), already rounded to <typeparamref name="T"/>.</param>
    /// <param name="floor">ε₁², rounded to <typeparamref name="T"/> here.</param>
    /// <param name="sign">−1 to negate the update (Adafactor's <c>maximize</c>), else 1.</param>
    public static double FactoredUpdate<T>(ReadOnlySpan<T> gradient, ReadOnlySpan<T> rowAverage, ReadOnlySpan<T> colAverage, Span<T> update, int rows, int cols, double divisor, double floor, double sign)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rows <= 0 || cols <= 0 || gradient.Length < rows * cols || rowAverage.Length < rows || colAverage.Length < cols || update.Length < rows * cols)
        {
            throw new ArgumentException($"A {rows} × {cols} update needs {rows * cols} gradients, {rows} row and {cols} column averages and {rows * cols} results.");
        }

        T d = T.CreateTruncating(divisor), f = T.CreateTruncating(floor);
        bool negate = sign < 0;
        int perLine = 64 / Unsafe.SizeOf<T>();
        Span<T> lanes = stackalloc T[perLine];
        lanes.Clear();
        ref T sums = ref MemoryMarshal.GetReference(lanes);
        ref T x = ref MemoryMarshal.GetReference(colAverage);
        nuint length = (nuint)cols;
        for (int r = 0; r < rows; r++)
        {
            T a = rowAverage[r];
            ref T g = ref MemoryMarshal.GetReference(gradient.Slice(r * cols, cols));
            ref T u = ref MemoryMarshal.GetReference(update.Slice(r * cols, cols));
            nuint i = 0;

            // Each lane's running sum gets the row's terms in increasing column order whatever the width: whole lines in
            // registers (one 512-bit or two 256-bit accumulators, vector k of a line holding lanes [k·Count, (k + 1)·Count)),
            // the rest of the row added to the lanes in memory.
            if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && Vector512<T>.Count == perLine)
            {
                Vector512<T> av = Vector512.Create(a), dv = Vector512.Create(d), fv = Vector512.Create(f);
                Vector512<T> s0 = Vector512.LoadUnsafe(ref sums);
                for (; i + (nuint)perLine <= length; i += (nuint)perLine)
                {
                    s0 += FactoredValue(av, ref x, ref g, ref u, i, dv, fv, negate);
                }

                s0.StoreUnsafe(ref sums);
            }
            else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && 2 * Vector256<T>.Count == perLine)
            {
                nuint width = (nuint)Vector256<T>.Count;
                Vector256<T> av = Vector256.Create(a), dv = Vector256.Create(d), fv = Vector256.Create(f);
                Vector256<T> s0 = Vector256.LoadUnsafe(ref sums), s1 = Vector256.LoadUnsafe(ref sums, width);
                for (; i + (nuint)perLine <= length; i += (nuint)perLine)
                {
                    s0 += FactoredValue(av, ref x, ref g, ref u, i, dv, fv, negate);
                    s1 += FactoredValue(av, ref x, ref g, ref u, i + width, dv, fv, negate);
                }

                s0.StoreUnsafe(ref sums);
                s1.StoreUnsafe(ref sums, width);
            }

            // What is left of the row in 128-bit vectors (all of it without wider ones, or a row shorter than a line),
            // each added to its lanes where they are kept: i is a multiple of the vector's width here.
            if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
            {
                nuint width = (nuint)Vector128<T>.Count;
                Vector128<T> av = Vector128.Create(a), dv = Vector128.Create(d), fv = Vector128.Create(f);
                for (; i + width <= length; i += width)
                {
                    ref T lane = ref Unsafe.Add(ref sums, (int)(i % (nuint)perLine));
                    (Vector128.LoadUnsafe(ref lane) + FactoredValue(av, ref x, ref g, ref u, i, dv, fv, negate)).StoreUnsafe(ref lane);
                }
            }

            for (; i < length; i++)
            {
                T value = T.One / T.Sqrt(T.Max(a * Unsafe.Add(ref x, i) / d, f)) * Unsafe.Add(ref g, i);
                if (negate)
                {
                    value = -value;
                }

                Unsafe.Add(ref u, i) = value;
                Unsafe.Add(ref sums, (int)(i % (nuint)perLine)) += value * value;
            }
        }

        return LaneTotal(lanes);
    }

    /// <summary>One vector of <see cref="FactoredUpdate{T}"/>: stores U at <paramref name="i"/> and returns U².</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> FactoredValue<T>(Vector512<T> a, ref T x, ref T g, ref T u, nuint i, Vector512<T> d, Vector512<T> f, bool negate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector512<T> value = Vector512<T>.One / Vector512.Sqrt(Vector512.Max(a * Vector512.LoadUnsafe(ref x, i) / d, f)) * Vector512.LoadUnsafe(ref g, i);
        if (negate)
        {
            value = -value;
        }

        value.StoreUnsafe(ref u, i);
        return value * value;
    }

    /// <inheritdoc cref="FactoredValue{T}(Vector512{T}, ref T, ref T, ref T, nuint, Vector512{T}, Vector512{T}, bool)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> FactoredValue<T>(Vector256<T> a, ref T x, ref T g, ref T u, nuint i, Vector256<T> d, Vector256<T> f, bool negate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector256<T> value = Vector256<T>.One / Vector256.Sqrt(Vector256.Max(a * Vector256.LoadUnsafe(ref x, i) / d, f)) * Vector256.LoadUnsafe(ref g, i);
        if (negate)
        {
            value = -value;
        }

        value.StoreUnsafe(ref u, i);
        return value * value;
    }

    /// <inheritdoc cref="FactoredValue{T}(Vector512{T}, ref T, ref T, ref T, nuint, Vector512{T}, Vector512{T}, bool)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> FactoredValue<T>(Vector128<T> a, ref T x, ref T g, ref T u, nuint i, Vector128<T> d, Vector128<T> f, bool negate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector128<T> value = Vector128<T>.One / Vector128.Sqrt(Vector128.Max(a * Vector128.LoadUnsafe(ref x, i) / d, f)) * Vector128.LoadUnsafe(ref g, i);
        if (negate)
        {
            value = -value;
        }

        value.StoreUnsafe(ref u, i);
        return value * value;
    }

    /// <summary>
    /// lanes[j] ← Σ over c ≡ j (mod lanes) of row[c]², in increasing c: one 64-byte line of lanes, kept in 128-bit vectors
    /// (one per 16 bytes of the line) whatever the CPU's widest vector, so every machine adds the same terms in the same order.
    /// </summary>
    private static void SquaresByLane<T>(ReadOnlySpan<T> row, Span<T> lanes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        lanes.Clear();
        int perLine = lanes.Length, c = 0;
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            int width = Vector128<T>.Count;
            ref T source = ref MemoryMarshal.GetReference(row);
            Vector128<T> a0 = Vector128<T>.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (; c + perLine <= row.Length; c += perLine)
            {
                Vector128<T> x0 = Vector128.LoadUnsafe(ref source, (nuint)c);
                Vector128<T> x1 = Vector128.LoadUnsafe(ref source, (nuint)(c + width));
                Vector128<T> x2 = Vector128.LoadUnsafe(ref source, (nuint)(c + (2 * width)));
                Vector128<T> x3 = Vector128.LoadUnsafe(ref source, (nuint)(c + (3 * width)));
                a0 += x0 * x0;
                a1 += x1 * x1;
                a2 += x2 * x2;
                a3 += x3 * x3;
            }

            ref T destination = ref MemoryMarshal.GetReference(lanes);
            a0.StoreUnsafe(ref destination, 0);
            a1.StoreUnsafe(ref destination, (nuint)width);
            a2.StoreUnsafe(ref destination, (nuint)(2 * width));
            a3.StoreUnsafe(ref destination, (nuint)(3 * width));

            // The rest of the row's whole vectors, each added to its lanes (c is a multiple of the width here).
            for (; c + width <= row.Length; c += width)
            {
                Vector128<T> x = Vector128.LoadUnsafe(ref source, (nuint)c);
                ref T lane = ref Unsafe.Add(ref destination, c % perLine);
                (Vector128.LoadUnsafe(ref lane) + (x * x)).StoreUnsafe(ref lane);
            }
        }

        for (; c < row.Length; c++)
        {
            lanes[c % perLine] += row[c] * row[c];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Lerp<T>(T start, T end, T weight, T oneMinusWeight, bool small)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        small ? start + (weight * (end - start)) : end - ((end - start) * oneMinusWeight);

    /// <summary>The lanes' total in double, added in <see cref="KernelMath.SumLanes(ReadOnlySpan{float})"/>'s fixed order.</summary>
    private static double LaneTotal<T>(Span<T> lanes)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float)
            ? KernelMath.SumLanes(MemoryMarshal.Cast<T, float>(lanes))
            : KernelMath.SumLanes(MemoryMarshal.Cast<T, double>(lanes));

    /// <summary>destination[l] ← destination[l] + source[l]²: one multiply and one add per element on every path.</summary>
    private static void AddSquares<T>(Span<T> destination, ReadOnlySpan<T> source)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T d = ref MemoryMarshal.GetReference(destination);
        ref T x = ref MemoryMarshal.GetReference(source);
        nuint length = (nuint)destination.Length;
        nuint i = 0;
        // Each element on its own: the widest vectors first, then narrower ones for what is left.
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            for (; i + (nuint)Vector512<T>.Count <= length; i += (nuint)Vector512<T>.Count)
            {
                var v = Vector512.LoadUnsafe(ref x, i);
                (Vector512.LoadUnsafe(ref d, i) + (v * v)).StoreUnsafe(ref d, i);
            }
        }

        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            for (; i + (nuint)Vector256<T>.Count <= length; i += (nuint)Vector256<T>.Count)
            {
                var v = Vector256.LoadUnsafe(ref x, i);
                (Vector256.LoadUnsafe(ref d, i) + (v * v)).StoreUnsafe(ref d, i);
            }
        }

        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            for (; i + (nuint)Vector128<T>.Count <= length; i += (nuint)Vector128<T>.Count)
            {
                var v = Vector128.LoadUnsafe(ref x, i);
                (Vector128.LoadUnsafe(ref d, i) + (v * v)).StoreUnsafe(ref d, i);
            }
        }

        for (; i < length; i++)
        {
            T v = Unsafe.Add(ref x, i);
            Unsafe.Add(ref d, i) = Unsafe.Add(ref d, i) + (v * v);
        }
    }

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
    /// result (n × width) ← left (n × inner) · right (inner × width): each output row is the sum over j, ascending, of
    /// left[i, j] times row j of right.
    /// </summary>
    private static void Multiply<T>(ReadOnlySpan<T> left, int n, int inner, ReadOnlySpan<T> right, int width, Span<T> result)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The callers pass workspace slices of exactly these sizes; checked once here, then addressed by reference.
        if (left.Length < n * inner || right.Length < inner * width || result.Length < n * width)
        {
            throw new ArgumentException($"A {n} × {inner} by {inner} × {width} product does not fit the spans given.");
        }

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
    private static void AddScaled<T>(ref T d, T s, ref T x, nuint length)
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
