using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Optim;

/// <summary>
/// The reductions behind <see cref="OptimizeAttribute.ClipGradNorm"/> and <see cref="OptimizeAttribute.SkipNonFinite"/>:
/// a generated <c>Step()</c> calls them on its gradient section. Every result is the same at every vector width.
/// </summary>
public static class GradientNorm
{
    /// <summary>
    /// Elements per block of <see cref="SumOfSquares(ReadOnlySpan{float})"/>: the sum is the total, in block order, of each
    /// block's lane sum, so that blocks can be summed on several threads with the same result (see
    /// <see cref="GradientNormKernel{T}"/>). A multiple of every lane count.
    /// </summary>
    public const int BlockLength = 1 << 16;

    /// <summary>
    /// Σ x² over <paramref name="values"/>, in double, the same at every vector width and thread count: within each block of
    /// <see cref="BlockLength"/> elements each square is exact (a float's square fits a double), element i is added to lane
    /// i mod 16 in index order and the 16 lanes are summed pairwise; the block totals are added in order. Finite for finite
    /// values (no float gradient can overflow it); NaN or infinite if a value is.
    /// </summary>
    public static double SumOfSquares(ReadOnlySpan<float> values) => BlockTotal(values);

    /// <summary>
    /// Σ x² over <paramref name="values"/>, blocked as the float overload: within a block element i is squared and added to
    /// lane i mod 8 in index order (a multiply then an add, never fused) and the 8 lanes are summed pairwise. Infinite if a
    /// square overflows (|x| above about 1e154): check <see cref="AllFinite{T}"/> before calling that a non-finite gradient.
    /// </summary>
    public static double SumOfSquares(ReadOnlySpan<double> values) => BlockTotal(values);

    /// <summary>The block totals of <paramref name="values"/>, added in block order.</summary>
    private static double BlockTotal<T>(ReadOnlySpan<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = 0;
        for (int start = 0; start < values.Length; start += BlockLength)
        {
            total += BlockSumOfSquares(values.Slice(start, Math.Min(BlockLength, values.Length - start)));
        }

        return total;
    }

    /// <summary>One block's sum, by element type.</summary>
    internal static double BlockSumOfSquares<T>(ReadOnlySpan<T> values)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float)
            ? BlockSumOfSquares(MemoryMarshal.Cast<T, float>(values))
            : BlockSumOfSquares(MemoryMarshal.Cast<T, double>(values));

    /// <summary>One block of <see cref="SumOfSquares(ReadOnlySpan{float})"/>.</summary>
    internal static double BlockSumOfSquares(ReadOnlySpan<float> values)
    {
        const int Lanes = 16;
        Span<double> lanes = KernelMath.LineAligned(stackalloc double[Lanes + 8]);
        lanes.Clear();
        ref float x = ref MemoryMarshal.GetReference(values);
        ref double lane = ref MemoryMarshal.GetReference(lanes);
        int i = 0;
        int whole = values.Length - (values.Length % Lanes);
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<double> a0 = default, a1 = default;
            for (; i < whole; i += Lanes)
            {
                (Vector512<double> lo, Vector512<double> hi) = Vector512.Widen(Vector512.LoadUnsafe(ref x, (nuint)i));
                a0 += lo * lo;
                a1 += hi * hi;
            }

            a0.StoreUnsafe(ref lane, 0);
            a1.StoreUnsafe(ref lane, 8);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i < whole; i += Lanes)
            {
                (Vector256<double> l0, Vector256<double> h0) = Vector256.Widen(Vector256.LoadUnsafe(ref x, (nuint)i));
                (Vector256<double> l1, Vector256<double> h1) = Vector256.Widen(Vector256.LoadUnsafe(ref x, (nuint)i + 8));
                a0 += l0 * l0;
                a1 += h0 * h0;
                a2 += l1 * l1;
                a3 += h1 * h1;
            }

            a0.StoreUnsafe(ref lane, 0);
            a1.StoreUnsafe(ref lane, 4);
            a2.StoreUnsafe(ref lane, 8);
            a3.StoreUnsafe(ref lane, 12);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            Span<Vector128<double>> a = stackalloc Vector128<double>[Lanes / 2];
            a.Clear();
            for (; i < whole; i += Lanes)
            {
                for (int k = 0; k < 4; k++)
                {
                    (Vector128<double> lo, Vector128<double> hi) = Vector128.Widen(Vector128.LoadUnsafe(ref x, (nuint)(i + (4 * k))));
                    a[2 * k] += lo * lo;
                    a[(2 * k) + 1] += hi * hi;
                }
            }

            MemoryMarshal.Cast<Vector128<double>, double>(a).CopyTo(lanes);
        }

        for (; i < values.Length; i++)
        {
            double v = Unsafe.Add(ref x, i);
            lanes[i % Lanes] += v * v;
        }

        return KernelMath.SumLanes(lanes);
    }

    /// <summary>One block of <see cref="SumOfSquares(ReadOnlySpan{double})"/>.</summary>
    internal static double BlockSumOfSquares(ReadOnlySpan<double> values)
    {
        const int Lanes = 8;
        Span<double> lanes = KernelMath.LineAligned(stackalloc double[Lanes + 8]);
        lanes.Clear();
        ref double x = ref MemoryMarshal.GetReference(values);
        ref double lane = ref MemoryMarshal.GetReference(lanes);
        int i = 0;
        int whole = values.Length - (values.Length % Lanes);
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<double> a0 = default;
            for (; i < whole; i += Lanes)
            {
                Vector512<double> v = Vector512.LoadUnsafe(ref x, (nuint)i);
                a0 += v * v;
            }

            a0.StoreUnsafe(ref lane, 0);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> a0 = default, a1 = default;
            for (; i < whole; i += Lanes)
            {
                Vector256<double> v0 = Vector256.LoadUnsafe(ref x, (nuint)i);
                Vector256<double> v1 = Vector256.LoadUnsafe(ref x, (nuint)i + 4);
                a0 += v0 * v0;
                a1 += v1 * v1;
            }

            a0.StoreUnsafe(ref lane, 0);
            a1.StoreUnsafe(ref lane, 4);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            Vector128<double> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i < whole; i += Lanes)
            {
                Vector128<double> v0 = Vector128.LoadUnsafe(ref x, (nuint)i);
                Vector128<double> v1 = Vector128.LoadUnsafe(ref x, (nuint)i + 2);
                Vector128<double> v2 = Vector128.LoadUnsafe(ref x, (nuint)i + 4);
                Vector128<double> v3 = Vector128.LoadUnsafe(ref x, (nuint)i + 6);
                a0 += v0 * v0;
                a1 += v1 * v1;
                a2 += v2 * v2;
                a3 += v3 * v3;
            }

            a0.StoreUnsafe(ref lane, 0);
            a1.StoreUnsafe(ref lane, 2);
            a2.StoreUnsafe(ref lane, 4);
            a3.StoreUnsafe(ref lane, 6);
        }

        for (; i < values.Length; i++)
        {
            double v = Unsafe.Add(ref x, i);
            double square = v * v;
            lanes[i % Lanes] += square;
        }

        return KernelMath.SumLanes(lanes);
    }

    /// <summary>Whether no value is NaN or infinite.</summary>
    public static bool AllFinite<T>(ReadOnlySpan<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (T value in values)
        {
            if (!T.IsFinite(value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// <c>clip_grad_norm_</c>'s factor: min(1, <paramref name="maxNorm"/> / (<paramref name="norm"/> + 1e−6)) in double;
    /// NaN for a NaN norm (the step then spreads it, as PyTorch does, unless the model skips non-finite steps).
    /// </summary>
    public static double ClipCoefficient(double maxNorm, double norm) => Math.Min(1.0, maxNorm / (norm + 1e-6));

    /// <summary>Multiplies every value by <paramref name="factor"/> in place (each product rounded once, as <c>mul_</c>).</summary>
    public static void Scale<T>(Span<T> values, T factor)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<T>.Count)
        {
            Span<Vector<T>> vectors = MemoryMarshal.Cast<T, Vector<T>>(values);
            for (int v = 0; v < vectors.Length; v++)
            {
                vectors[v] *= factor;
            }

            i = vectors.Length * Vector<T>.Count;
        }

        for (; i < values.Length; i++)
        {
            values[i] *= factor;
        }
    }
}

/// <summary>
/// <see cref="GradientNorm.SumOfSquares(ReadOnlySpan{float})"/> of a section of a model's arena split across
/// <see cref="StepWorkers"/>: each thread sums whole blocks into its own slots, and the block totals are then added in
/// order, so the result is the single-threaded one bit for bit. A parallel model with ClipGradNorm or SkipNonFinite keeps
/// one; nothing is allocated per step.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class GradientNormKernel<T> : RangeKernel
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly double[] _blocks;
    private Arena<T> _arena;
    private int _offset;
    private int _length;

    /// <summary>A kernel for sections of up to <paramref name="capacity"/> elements.</summary>
    public GradientNormKernel(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _blocks = new double[(capacity + GradientNorm.BlockLength - 1) / GradientNorm.BlockLength];
    }

    /// <summary>Σ x² over <paramref name="length"/> elements of <paramref name="arena"/> from <paramref name="offset"/>.</summary>
    public double SumOfSquares(Arena<T> arena, int offset, int length, int maxThreads)
    {
        int blocks = (length + GradientNorm.BlockLength - 1) / GradientNorm.BlockLength;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(blocks, _blocks.Length, nameof(length));
        _arena = arena;
        _offset = offset;
        _length = length;
        StepWorkers.Run(this, (nuint)length, maxThreads);
        double total = 0;
        for (int b = 0; b < blocks; b++)
        {
            total += _blocks[b];
        }

        return total;
    }

    /// <summary>Sums every block that starts in [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public override void Run(nuint start, nuint end)
    {
        const int Block = GradientNorm.BlockLength;
        for (nuint b = (start + Block - 1) / Block; b * Block < end; b++)
        {
            int first = (int)(b * Block);
            _blocks[b] = GradientNorm.BlockSumOfSquares<T>(_arena.Slice(_offset + first, Math.Min(Block, _length - first)));
        }
    }
}
