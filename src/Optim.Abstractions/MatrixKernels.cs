using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Optim;

/// <summary>
/// Matrix routines that generated optimizers call on one parameter tensor at a time (Muon's orthogonalization,
/// Adafactor's factored statistics and update). In products every output element accumulates its terms in ascending
/// order with one multiply and one add each, on every vector width and in the scalar loop: results are bit-identical
/// whichever path the CPU takes.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class MatrixKernels
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
            // Each product packs the right operand's columns into a section no operand of that product uses.
            Transpose(x, m, k, xt);
            Multiply(x, m, k, xt, m, gram, product);                 // A = X·Xᵀ
            Multiply(gram, m, m, gram, m, gramUpdate, product);      // A·A
            for (int i = 0; i < gram.Length; i++)
            {
                gramUpdate[i] = (tb * gram[i]) + (tc * gramUpdate[i]);   // B = b·A + c·A·A
            }

            Multiply(gramUpdate, m, m, x, k, product, xt);           // B·X
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
    /// <paramref name="gradient"/> (rows × cols), blended into the running averages with PyTorch's
    /// <c>lerp(average, mean, weight)</c>: <c>average + weight·(mean − average)</c> when weight &lt; 0.5, else
    /// <c>mean − (mean − average)·(1 − weight)</c>. Returns the sum of the updated row averages, in double. The same pass
    /// reads the parameters beside the gradient for ‖θ‖² (Adafactor's relative step size), so each is read from memory once.
    /// </summary>
    /// <param name="parameters">The parameters θ, rows × cols, read only.</param>
    /// <param name="gradient">The gradient, rows × cols.</param>
    /// <param name="rowAverage">Its first <paramref name="rows"/> elements hold the row averages.</param>
    /// <param name="colAverage">Its first <paramref name="cols"/> elements hold the column averages.</param>
    /// <param name="scratch">At least <paramref name="cols"/> elements of working space.</param>
    /// <param name="rows">Rows of the matrix.</param>
    /// <param name="cols">Columns of the matrix.</param>
    /// <param name="weight">The blend weight (Adafactor's 1 − β₂ₜ = t^β₂decay).</param>
    /// <param name="parameterSquares">
    /// Σ θ², accumulated as <see cref="FactoredUpdate{T}"/> accumulates Σ U²: element (r, c) into lane c mod L in increasing
    /// c, row after row, the lanes then added in double; the same on every vector width.
    /// </param>
    public static double FactoredMeanSquares<T>(ReadOnlySpan<T> parameters, ReadOnlySpan<T> gradient, Span<T> rowAverage, Span<T> colAverage, Span<T> scratch, int rows, int cols, double weight, out double parameterSquares)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rows <= 0 || cols <= 0 || parameters.Length < rows * cols || gradient.Length < rows * cols || rowAverage.Length < rows || colAverage.Length < cols || scratch.Length < cols)
        {
            throw new ArgumentException($"A {rows} × {cols} matrix needs {rows * cols} parameters and gradients, {rows} row and {cols} column averages and {cols} elements of scratch.");
        }

        T w = T.CreateTruncating(weight);
        T oneMinusW = T.CreateTruncating(1 - weight);
        bool small = Math.Abs(weight) < 0.5;
        T rowCount = T.CreateTruncating(rows), colCount = T.CreateTruncating(cols);

        // Column sums of squares: row by row, each column accumulating in row order (the same on every width). A row's sum
        // of squares and Σ θ² go lane by lane (element c to lane c mod L), each lane in increasing c.
        Span<T> colSquares = scratch.Slice(0, cols);
        colSquares.Clear();
        int perLine = 64 / Unsafe.SizeOf<T>();
        Span<T> lanes = stackalloc T[2 * perLine];
        lanes.Clear();
        Span<T> rowLanes = lanes.Slice(0, perLine), parameterLanes = lanes.Slice(perLine);
        for (int r = 0; r < rows; r++)
        {
            rowLanes.Clear();
            RowSquares(
                ref MemoryMarshal.GetReference(gradient.Slice(r * cols, cols)),
                ref MemoryMarshal.GetReference(parameters.Slice(r * cols, cols)),
                ref MemoryMarshal.GetReference(colSquares),
                (nuint)cols,
                ref MemoryMarshal.GetReference(rowLanes),
                ref MemoryMarshal.GetReference(parameterLanes));

            T mean = T.CreateTruncating(LaneTotal(rowLanes)) / colCount;
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

        parameterSquares = LaneTotal(parameterLanes);
        return sum;
    }

    /// <summary>
    /// The size of Adafactor's update for a matrix, without storing the update: Σ U² for
    /// U[r, c] = min(ρ[r]·κ[c], 1/√floor)·gradient[r·cols + c], negated when <paramref name="sign"/> is negative, with
    /// ρ[r] = 1/√rowAverage[r] and κ[c] = √(divisor/colAverage[c]) rounded to <typeparamref name="T"/>; κ is left in
    /// <paramref name="colFactors"/> for <see cref="FactoredStep{T}"/>, which computes U again as it applies it. That is
    /// torch.optim.Adafactor's <c>rsqrt(clamp((row_var @ col_var) / row_mean, min = eps1²))·grad</c> with the reciprocal
    /// square root of the outer product split into its row and column factors: a square root and a division per row and per
    /// column, then two multiplies and a minimum per element instead of a square root and two divisions (within a few units
    /// in the last place of PyTorch's order of operations; the clamp at ε₁² becomes the cap 1/ε₁, with the same result for
    /// zero and infinite averages). Σ U² is accumulated as the generated passes accumulate sums: element (r, c) into lane
    /// c mod L (L elements = one 64-byte line) in increasing c, row after row, then the lanes added in double
    /// (<see cref="KernelMath.SumLanes(ReadOnlySpan{float})"/>); the same on every vector width.
    /// </summary>
    /// <param name="gradient">The gradient, rows × cols.</param>
    /// <param name="rowAverage">The row averages R̄ (first <paramref name="rows"/> elements).</param>
    /// <param name="colAverage">The column averages C̄ (first <paramref name="cols"/> elements).</param>
    /// <param name="colFactors">Its first <paramref name="cols"/> elements receive the column factors κ.</param>
    /// <param name="rows">Rows of the matrix.</param>
    /// <param name="cols">Columns of the matrix.</param>
    /// <param name="divisor">max(mean(R̄), ε₁), already rounded to <typeparamref name="T"/>.</param>
    /// <param name="floor">ε₁², rounded to <typeparamref name="T"/> here.</param>
    /// <param name="sign">−1 to negate the update (Adafactor's <c>maximize</c>), else 1.</param>
    public static double FactoredUpdate<T>(ReadOnlySpan<T> gradient, ReadOnlySpan<T> rowAverage, ReadOnlySpan<T> colAverage, Span<T> colFactors, int rows, int cols, double divisor, double floor, double sign)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rows <= 0 || cols <= 0 || gradient.Length < rows * cols || rowAverage.Length < rows || colAverage.Length < cols || colFactors.Length < cols)
        {
            throw new ArgumentException($"A {rows} × {cols} update needs {rows * cols} gradients, {rows} row and {cols} column averages and room for {cols} column factors.");
        }

        T cap = T.One / T.Sqrt(T.CreateTruncating(floor));
        bool negate = sign < 0;
        int perLine = 64 / Unsafe.SizeOf<T>();
        Span<T> lanes = stackalloc T[perLine];
        lanes.Clear();
        ref T sums = ref MemoryMarshal.GetReference(lanes);
        ColumnFactors(colAverage.Slice(0, cols), T.CreateTruncating(divisor), colFactors.Slice(0, cols));
        ref T x = ref MemoryMarshal.GetReference(colFactors);
        nuint length = (nuint)cols;
        for (int r = 0; r < rows; r++)
        {
            T a = T.One / T.Sqrt(rowAverage[r]);
            ref T g = ref MemoryMarshal.GetReference(gradient.Slice(r * cols, cols));
            nuint i = 0;

            // Each lane's running sum gets the row's terms in increasing column order whatever the width: whole lines in
            // registers (one 512-bit or two 256-bit accumulators, vector k of a line holding lanes [k·Count, (k + 1)·Count)),
            // the rest of the row added to the lanes in memory.
            if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && Vector512<T>.Count == perLine)
            {
                Vector512<T> av = Vector512.Create(a), cv = Vector512.Create(cap);
                Vector512<T> s0 = Vector512.LoadUnsafe(ref sums);
                for (; i + (nuint)perLine <= length; i += (nuint)perLine)
                {
                    Vector512<T> u = FactoredValue(av, Vector512.LoadUnsafe(ref x, i), Vector512.LoadUnsafe(ref g, i), cv, negate);
                    s0 += u * u;
                }

                s0.StoreUnsafe(ref sums);
            }
            else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && 2 * Vector256<T>.Count == perLine)
            {
                nuint width = (nuint)Vector256<T>.Count;
                Vector256<T> av = Vector256.Create(a), cv = Vector256.Create(cap);
                Vector256<T> s0 = Vector256.LoadUnsafe(ref sums), s1 = Vector256.LoadUnsafe(ref sums, width);
                for (; i + (nuint)perLine <= length; i += (nuint)perLine)
                {
                    Vector256<T> u0 = FactoredValue(av, Vector256.LoadUnsafe(ref x, i), Vector256.LoadUnsafe(ref g, i), cv, negate);
                    Vector256<T> u1 = FactoredValue(av, Vector256.LoadUnsafe(ref x, i + width), Vector256.LoadUnsafe(ref g, i + width), cv, negate);
                    s0 += u0 * u0;
                    s1 += u1 * u1;
                }

                s0.StoreUnsafe(ref sums);
                s1.StoreUnsafe(ref sums, width);
            }

            // What is left of the row in 128-bit vectors (all of it without wider ones, or a row shorter than a line),
            // each added to its lanes where they are kept: i is a multiple of the vector's width here.
            if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
            {
                nuint width = (nuint)Vector128<T>.Count;
                Vector128<T> av = Vector128.Create(a), cv = Vector128.Create(cap);
                for (; i + width <= length; i += width)
                {
                    ref T lane = ref Unsafe.Add(ref sums, (int)(i % (nuint)perLine));
                    Vector128<T> u = FactoredValue(av, Vector128.LoadUnsafe(ref x, i), Vector128.LoadUnsafe(ref g, i), cv, negate);
                    (Vector128.LoadUnsafe(ref lane) + (u * u)).StoreUnsafe(ref lane);
                }
            }

            for (; i < length; i++)
            {
                T u = FactoredValue(a, Unsafe.Add(ref x, i), Unsafe.Add(ref g, i), cap, negate);
                Unsafe.Add(ref sums, (int)(i % (nuint)perLine)) += u * u;
            }
        }

        return LaneTotal(lanes);
    }

    /// <summary>
    /// Adafactor's parameter update for a matrix: θ ← θ·<paramref name="decay"/> − <paramref name="stepSize"/>·U, with U
    /// computed from the gradient, the row averages and the column factors exactly as <see cref="FactoredUpdate{T}"/>
    /// computed it for Σ U² (the same operations on the same values, so the same bits). Reading g again here instead of a
    /// stored U keeps the update's working memory to one value per column.
    /// </summary>
    /// <param name="parameters">θ, rows × cols, updated in place.</param>
    /// <param name="gradient">The gradient, rows × cols.</param>
    /// <param name="rowAverage">The row averages R̄ (first <paramref name="rows"/> elements).</param>
    /// <param name="colFactors">The column factors κ <see cref="FactoredUpdate{T}"/> left (first <paramref name="cols"/> elements).</param>
    /// <param name="rows">Rows of the matrix.</param>
    /// <param name="cols">Columns of the matrix.</param>
    /// <param name="floor">ε₁², as given to <see cref="FactoredUpdate{T}"/>.</param>
    /// <param name="sign">As given to <see cref="FactoredUpdate{T}"/>.</param>
    /// <param name="decay">1 − γλ (decoupled weight decay; 1 for none, which leaves θ's bits as they are).</param>
    /// <param name="stepSize">αₜ/max(1, RMS(U)/d), already rounded to <typeparamref name="T"/>.</param>
    public static void FactoredStep<T>(Span<T> parameters, ReadOnlySpan<T> gradient, ReadOnlySpan<T> rowAverage, ReadOnlySpan<T> colFactors, int rows, int cols, double floor, double sign, double decay, double stepSize)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rows <= 0 || cols <= 0 || parameters.Length < rows * cols || gradient.Length < rows * cols || rowAverage.Length < rows || colFactors.Length < cols)
        {
            throw new ArgumentException($"A {rows} × {cols} step needs {rows * cols} parameters and gradients, {rows} row averages and {cols} column factors.");
        }

        T cap = T.One / T.Sqrt(T.CreateTruncating(floor)), keep = T.CreateTruncating(decay), step = T.CreateTruncating(stepSize);
        bool negate = sign < 0;
        ref T x = ref MemoryMarshal.GetReference(colFactors);
        nuint length = (nuint)cols;
        for (int r = 0; r < rows; r++)
        {
            T a = T.One / T.Sqrt(rowAverage[r]);
            ref T g = ref MemoryMarshal.GetReference(gradient.Slice(r * cols, cols));
            ref T p = ref MemoryMarshal.GetReference(parameters.Slice(r * cols, cols));
            nuint i = 0;

            // Each element on its own: the widest vectors first, then narrower ones for what is left of the row.
            if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
            {
                Vector512<T> av = Vector512.Create(a), cv = Vector512.Create(cap), kv = Vector512.Create(keep), sv = Vector512.Create(step);
                for (; i + (nuint)Vector512<T>.Count <= length; i += (nuint)Vector512<T>.Count)
                {
                    Vector512<T> u = FactoredValue(av, Vector512.LoadUnsafe(ref x, i), Vector512.LoadUnsafe(ref g, i), cv, negate);
                    ((Vector512.LoadUnsafe(ref p, i) * kv) - (sv * u)).StoreUnsafe(ref p, i);
                }
            }

            if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
            {
                Vector256<T> av = Vector256.Create(a), cv = Vector256.Create(cap), kv = Vector256.Create(keep), sv = Vector256.Create(step);
                for (; i + (nuint)Vector256<T>.Count <= length; i += (nuint)Vector256<T>.Count)
                {
                    Vector256<T> u = FactoredValue(av, Vector256.LoadUnsafe(ref x, i), Vector256.LoadUnsafe(ref g, i), cv, negate);
                    ((Vector256.LoadUnsafe(ref p, i) * kv) - (sv * u)).StoreUnsafe(ref p, i);
                }
            }

            if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
            {
                Vector128<T> av = Vector128.Create(a), cv = Vector128.Create(cap), kv = Vector128.Create(keep), sv = Vector128.Create(step);
                for (; i + (nuint)Vector128<T>.Count <= length; i += (nuint)Vector128<T>.Count)
                {
                    Vector128<T> u = FactoredValue(av, Vector128.LoadUnsafe(ref x, i), Vector128.LoadUnsafe(ref g, i), cv, negate);
                    ((Vector128.LoadUnsafe(ref p, i) * kv) - (sv * u)).StoreUnsafe(ref p, i);
                }
            }

            for (; i < length; i++)
            {
                T u = FactoredValue(a, Unsafe.Add(ref x, i), Unsafe.Add(ref g, i), cap, negate);
                Unsafe.Add(ref p, i) = (Unsafe.Add(ref p, i) * keep) - (step * u);
            }
        }
    }

    /// <summary>One element of Adafactor's factored update: min(ρ·κ, cap)·g, negated for <c>maximize</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T FactoredValue<T>(T rowFactor, T colFactor, T g, T cap, bool negate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T value = T.Min(rowFactor * colFactor, cap) * g;
        return negate ? -value : value;
    }

    /// <inheritdoc cref="FactoredValue{T}(T, T, T, T, bool)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> FactoredValue<T>(Vector512<T> rowFactor, Vector512<T> colFactors, Vector512<T> g, Vector512<T> cap, bool negate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector512<T> value = Vector512.Min(rowFactor * colFactors, cap) * g;
        return negate ? -value : value;
    }

    /// <inheritdoc cref="FactoredValue{T}(T, T, T, T, bool)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> FactoredValue<T>(Vector256<T> rowFactor, Vector256<T> colFactors, Vector256<T> g, Vector256<T> cap, bool negate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector256<T> value = Vector256.Min(rowFactor * colFactors, cap) * g;
        return negate ? -value : value;
    }

    /// <inheritdoc cref="FactoredValue{T}(T, T, T, T, bool)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> FactoredValue<T>(Vector128<T> rowFactor, Vector128<T> colFactors, Vector128<T> g, Vector128<T> cap, bool negate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector128<T> value = Vector128.Min(rowFactor * colFactors, cap) * g;
        return negate ? -value : value;
    }

    /// <summary>factors[c] ← √(divisor / averages[c]): a correctly rounded division and square root per element on every path.</summary>
    private static void ColumnFactors<T>(ReadOnlySpan<T> averages, T divisor, Span<T> factors)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T d = ref MemoryMarshal.GetReference(factors);
        ref T x = ref MemoryMarshal.GetReference(averages);
        nuint length = (nuint)factors.Length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            var dv = Vector512.Create(divisor);
            for (; i + (nuint)Vector512<T>.Count <= length; i += (nuint)Vector512<T>.Count)
            {
                Vector512.Sqrt(dv / Vector512.LoadUnsafe(ref x, i)).StoreUnsafe(ref d, i);
            }
        }

        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            var dv = Vector256.Create(divisor);
            for (; i + (nuint)Vector256<T>.Count <= length; i += (nuint)Vector256<T>.Count)
            {
                Vector256.Sqrt(dv / Vector256.LoadUnsafe(ref x, i)).StoreUnsafe(ref d, i);
            }
        }

        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            var dv = Vector128.Create(divisor);
            for (; i + (nuint)Vector128<T>.Count <= length; i += (nuint)Vector128<T>.Count)
            {
                Vector128.Sqrt(dv / Vector128.LoadUnsafe(ref x, i)).StoreUnsafe(ref d, i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref d, i) = T.Sqrt(divisor / Unsafe.Add(ref x, i));
        }
    }

    /// <summary>
    /// One row of <see cref="FactoredMeanSquares{T}"/>: colSquares[c] ← colSquares[c] + g[c]², and g[c]² and θ[c]² added to
    /// lane c mod L of <paramref name="rowLanes"/> and <paramref name="parameterLanes"/> (one 64-byte line each), every lane
    /// in increasing c: whole lines in registers (one 512-bit or two 256-bit accumulators per line), the rest in 128-bit
    /// vectors added to the lanes in memory, then element by element, so every machine adds the same terms in the same order.
    /// </summary>
    private static void RowSquares<T>(ref T g, ref T p, ref T colSquares, nuint length, ref T rowLanes, ref T parameterLanes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint perLine = (nuint)(64 / Unsafe.SizeOf<T>());
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && (nuint)Vector512<T>.Count == perLine)
        {
            Vector512<T> gs = Vector512.LoadUnsafe(ref rowLanes), ps = Vector512.LoadUnsafe(ref parameterLanes);
            for (; i + perLine <= length; i += perLine)
            {
                Vector512<T> x = Vector512.LoadUnsafe(ref g, i), y = Vector512.LoadUnsafe(ref p, i);
                Vector512<T> square = x * x;
                (Vector512.LoadUnsafe(ref colSquares, i) + square).StoreUnsafe(ref colSquares, i);
                gs += square;
                ps += y * y;
            }

            gs.StoreUnsafe(ref rowLanes);
            ps.StoreUnsafe(ref parameterLanes);
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && 2 * (nuint)Vector256<T>.Count == perLine)
        {
            nuint width = (nuint)Vector256<T>.Count;
            Vector256<T> gs0 = Vector256.LoadUnsafe(ref rowLanes), gs1 = Vector256.LoadUnsafe(ref rowLanes, width);
            Vector256<T> ps0 = Vector256.LoadUnsafe(ref parameterLanes), ps1 = Vector256.LoadUnsafe(ref parameterLanes, width);
            for (; i + perLine <= length; i += perLine)
            {
                Vector256<T> x0 = Vector256.LoadUnsafe(ref g, i), x1 = Vector256.LoadUnsafe(ref g, i + width);
                Vector256<T> y0 = Vector256.LoadUnsafe(ref p, i), y1 = Vector256.LoadUnsafe(ref p, i + width);
                Vector256<T> square0 = x0 * x0, square1 = x1 * x1;
                (Vector256.LoadUnsafe(ref colSquares, i) + square0).StoreUnsafe(ref colSquares, i);
                (Vector256.LoadUnsafe(ref colSquares, i + width) + square1).StoreUnsafe(ref colSquares, i + width);
                gs0 += square0;
                gs1 += square1;
                ps0 += y0 * y0;
                ps1 += y1 * y1;
            }

            gs0.StoreUnsafe(ref rowLanes);
            gs1.StoreUnsafe(ref rowLanes, width);
            ps0.StoreUnsafe(ref parameterLanes);
            ps1.StoreUnsafe(ref parameterLanes, width);
        }

        // What is left of the row (all of it without wider vectors): i is a multiple of the vector's width here.
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            nuint width = (nuint)Vector128<T>.Count;
            for (; i + width <= length; i += width)
            {
                Vector128<T> x = Vector128.LoadUnsafe(ref g, i), y = Vector128.LoadUnsafe(ref p, i);
                Vector128<T> square = x * x;
                (Vector128.LoadUnsafe(ref colSquares, i) + square).StoreUnsafe(ref colSquares, i);
                ref T lane = ref Unsafe.Add(ref rowLanes, i % perLine);
                (Vector128.LoadUnsafe(ref lane) + square).StoreUnsafe(ref lane);
                ref T parameterLane = ref Unsafe.Add(ref parameterLanes, i % perLine);
                (Vector128.LoadUnsafe(ref parameterLane) + (y * y)).StoreUnsafe(ref parameterLane);
            }
        }

        for (; i < length; i++)
        {
            T x = Unsafe.Add(ref g, i), y = Unsafe.Add(ref p, i);
            T square = x * x;
            Unsafe.Add(ref colSquares, i) = Unsafe.Add(ref colSquares, i) + square;
            Unsafe.Add(ref rowLanes, i % perLine) += square;
            Unsafe.Add(ref parameterLanes, i % perLine) += y * y;
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
    private static void Multiply<T>(ReadOnlySpan<T> left, int n, int inner, ReadOnlySpan<T> right, int width, Span<T> result, Span<T> pack)
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

            for (int row = 0; row < n; row += 4)
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
        }
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
    private static void MultiplyByRows<T>(ReadOnlySpan<T> left, int n, int inner, ReadOnlySpan<T> right, int width, Span<T> result)
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
