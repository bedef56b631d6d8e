using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Optim;

/// <summary>
/// Element functions the generated kernels call that .NET has no single vector method for. Each overload performs the
/// same comparisons in the same order as the scalar one, so every vector width gives bit-identical results.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class KernelMath
{
    /// <summary>
    /// The part of a stack buffer that starts on a 64-byte line, one line shorter than <paramref name="buffer"/>. The
    /// kernels store each reduction's line of lanes with one vector store; aligned, the store never straddles two lines,
    /// and the scalar loads that add the lanes up read it from the store buffer instead of waiting for a split store to
    /// reach the cache (which made a per-tensor step's time depend on where the stack happened to start).
    /// Only for memory that cannot move (stackalloc).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Span<T> LineAligned<T>(Span<T> buffer)
        where T : unmanaged =>
        buffer.Slice(ElementsToLine(ref MemoryMarshal.GetReference(buffer)), buffer.Length - (Arena<T>.Alignment / Unsafe.SizeOf<T>()));

    /// <summary>
    /// How many elements lie between <paramref name="first"/> and the next 64-byte line boundary (0 when it is on one).
    /// Only for memory that cannot move: a pinned array or the stack.
    /// </summary>
    internal static unsafe int ElementsToLine<T>(ref T first)
        where T : unmanaged
    {
        nuint misalignment = (nuint)Unsafe.AsPointer(ref first) % Arena<T>.Alignment;
        return misalignment == 0 ? 0 : (int)((Arena<T>.Alignment - misalignment) / (nuint)Unsafe.SizeOf<T>());
    }

    /// <summary>torch.sign: 1 for x &gt; 0, −1 for x &lt; 0, and x itself for ±0 and NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sign(float x) => x > 0f ? 1f : (x < 0f ? -1f : x);

    /// <inheritdoc cref="Sign(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sign(double x) => x > 0d ? 1d : (x < 0d ? -1d : x);

    /// <inheritdoc cref="Sign(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Sign<T>(Vector128<T> x) =>
        Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<T>.Zero), Vector128<T>.One,
            Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<T>.Zero), -Vector128<T>.One, x));

    /// <inheritdoc cref="Sign(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Sign<T>(Vector256<T> x) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), Vector256<T>.One,
            Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<T>.Zero), -Vector256<T>.One, x));

    /// <inheritdoc cref="Sign(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Sign<T>(Vector512<T> x) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), Vector512<T>.One,
            Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<T>.Zero), -Vector512<T>.One, x));

    /// <summary>A mask whose first <paramref name="count"/> lanes (0 to the vector's lane count) are all ones, the rest zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> LeadingLanes512<T>(int count) =>
        Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(MaskTable), (nuint)(64 - (count * Unsafe.SizeOf<T>()))).As<byte, T>();

    /// <inheritdoc cref="LeadingLanes512{T}(int)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> LeadingLanes256<T>(int count) =>
        Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(MaskTable), (nuint)(64 - (count * Unsafe.SizeOf<T>()))).As<byte, T>();

    /// <inheritdoc cref="LeadingLanes512{T}(int)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> LeadingLanes128<T>(int count) =>
        Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(MaskTable), (nuint)(64 - (count * Unsafe.SizeOf<T>()))).As<byte, T>();

    /// <summary>
    /// Stores the first <paramref name="count"/> lanes of <paramref name="value"/> (0 to its lane count) at
    /// <paramref name="destination"/> and nothing past them: the last, partial vector of a pass. Unlike a masked
    /// read-blend-write of the whole vector, it never writes an element outside the values, so a thread updating the next
    /// tensor at the same moment cannot have a write undone.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreLeading<T>(Vector512<T> value, ref T destination, int count)
    {
        Vector256<T> half = value.GetLower();
        if (count >= Vector256<T>.Count)
        {
            half.StoreUnsafe(ref destination);
            destination = ref Unsafe.Add(ref destination, Vector256<T>.Count);
            count -= Vector256<T>.Count;
            half = value.GetUpper();
        }

        StoreLeading(half, ref destination, count);
    }

    /// <inheritdoc cref="StoreLeading{T}(Vector512{T}, ref T, int)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreLeading<T>(Vector256<T> value, ref T destination, int count)
    {
        Vector128<T> half = value.GetLower();
        if (count >= Vector128<T>.Count)
        {
            half.StoreUnsafe(ref destination);
            destination = ref Unsafe.Add(ref destination, Vector128<T>.Count);
            count -= Vector128<T>.Count;
            half = value.GetUpper();
        }

        StoreLeading(half, ref destination, count);
    }

    /// <inheritdoc cref="StoreLeading{T}(Vector512{T}, ref T, int)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreLeading<T>(Vector128<T> value, ref T destination, int count)
    {
        for (int lane = 0; lane < count; lane++)
        {
            Unsafe.Add(ref destination, lane) = value.GetElement(lane);
        }
    }

    /// <summary>64 bytes of ones then 64 of zeros: a mask of n leading bytes starts 64 − n bytes in.</summary>
    private static ReadOnlySpan<byte> MaskTable =>
    [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    /// <summary>
    /// The total of the per-lane partial sums a generated pass accumulates (one 64-byte line of lanes: element i goes to
    /// lane i mod lanes, whatever vector width ran), added in double in a fixed pairwise order so the result is the same
    /// on every machine.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumLanes(ReadOnlySpan<float> lanes) =>
        lanes.Length == 16 ? SumLine(ref MemoryMarshal.GetReference(lanes)) : SumAny(lanes);

    /// <inheritdoc cref="SumLanes(ReadOnlySpan{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumLanes(ReadOnlySpan<double> lanes) =>
        lanes.Length == 8 ? SumLine(ref MemoryMarshal.GetReference(lanes)) : SumAny(lanes);

    /// <summary>A float line (16 lanes), the usual case: the pairwise order written out.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double SumLine(ref float l) => Pairwise8(
        (double)l + Unsafe.Add(ref l, 1), (double)Unsafe.Add(ref l, 2) + Unsafe.Add(ref l, 3),
        (double)Unsafe.Add(ref l, 4) + Unsafe.Add(ref l, 5), (double)Unsafe.Add(ref l, 6) + Unsafe.Add(ref l, 7),
        (double)Unsafe.Add(ref l, 8) + Unsafe.Add(ref l, 9), (double)Unsafe.Add(ref l, 10) + Unsafe.Add(ref l, 11),
        (double)Unsafe.Add(ref l, 12) + Unsafe.Add(ref l, 13), (double)Unsafe.Add(ref l, 14) + Unsafe.Add(ref l, 15));

    /// <summary>A double line (8 lanes), the usual case: the pairwise order written out.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double SumLine(ref double l) => Pairwise8(
        l, Unsafe.Add(ref l, 1), Unsafe.Add(ref l, 2), Unsafe.Add(ref l, 3),
        Unsafe.Add(ref l, 4), Unsafe.Add(ref l, 5), Unsafe.Add(ref l, 6), Unsafe.Add(ref l, 7));

    private static double SumAny(ReadOnlySpan<float> lanes)
    {
        Span<double> partial = stackalloc double[lanes.Length];
        for (int i = 0; i < lanes.Length; i++)
        {
            partial[i] = lanes[i];
        }

        return PairwiseSum(partial);
    }

    private static double SumAny(ReadOnlySpan<double> lanes)
    {
        Span<double> partial = stackalloc double[lanes.Length];
        lanes.CopyTo(partial);
        return PairwiseSum(partial);
    }

    /// <summary><see cref="PairwiseSum"/> of eight values: ((a + b) + (c + d)) + ((e + f) + (g + h)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Pairwise8(double a, double b, double c, double d, double e, double f, double g, double h) =>
        ((a + b) + (c + d)) + ((e + f) + (g + h));

    private static double PairwiseSum(Span<double> values)
    {
        for (int width = values.Length; width > 1; width = (width + 1) / 2)
        {
            int half = width / 2;
            for (int i = 0; i < half; i++)
            {
                values[i] = values[2 * i] + values[(2 * i) + 1];
            }

            if (width % 2 == 1)
            {
                values[half] = values[width - 1];
            }
        }

        return values.Length == 0 ? 0 : values[0];
    }
}
