using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Optim;

// Adafactor's factored second moment and its update for a matrix: statistics per row and per column, never per element.
public static partial class MatrixKernels
{
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
        Span<T> lanes = KernelMath.LineAligned(stackalloc T[3 * perLine]);
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

        T cap = UpdateCap<T>(floor);
        bool negate = sign < 0;
        int perLine = 64 / Unsafe.SizeOf<T>();
        Span<T> lanes = KernelMath.LineAligned(stackalloc T[2 * perLine]);
        lanes.Clear();
        ref T sums = ref MemoryMarshal.GetReference(lanes);
        ColumnFactors(colAverage.Slice(0, cols), T.CreateTruncating(divisor), colFactors.Slice(0, cols));
        ref T x = ref MemoryMarshal.GetReference(colFactors);
        nuint length = (nuint)cols;
        for (int r = 0; r < rows; r++)
        {
            T a = RowFactor(rowAverage[r]);
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

        T cap = UpdateCap<T>(floor), keep = T.CreateTruncating(decay), step = T.CreateTruncating(stepSize);
        bool negate = sign < 0;
        ref T x = ref MemoryMarshal.GetReference(colFactors);
        nuint length = (nuint)cols;
        for (int r = 0; r < rows; r++)
        {
            T a = RowFactor(rowAverage[r]);
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

    /// <summary>1/√floor: the clamp of R̄C̄ᵀ/s at ε₁² (= floor) as a cap of its reciprocal square root.</summary>
    private static T UpdateCap<T>(double floor)
        where T : unmanaged, IFloatingPointIeee754<T> => T.One / T.Sqrt(T.CreateTruncating(floor));

    /// <summary>A row's factor ρ = 1/√R̄ of Adafactor's update.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T RowFactor<T>(T rowAverage)
        where T : unmanaged, IFloatingPointIeee754<T> => T.One / T.Sqrt(rowAverage);

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
}
