using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Optim.Kernels;

/// <summary>
/// The two loops every network kernel is built from, over an <see cref="IElementOp{T}"/>:
/// <list type="bullet">
/// <item><c>Map</c>: d[i] = op(a[i], b[i], c[i]), the widest accelerated vectors first, then narrower ones,
/// then single elements; each element sees the same operations whichever loop reaches it.</item>
/// <item><c>Sum</c>: Σ op(a[i], b[i], c[i]) over one 64-byte line of lanes (16 floats or 8 doubles): term i
/// goes to lane i mod lanes, each lane adds its terms in ascending order, a partial last line is padded with +0 terms,
/// and the lanes are added pairwise (lane j + lane j + h for h = lanes/2, lanes/4, …, 1). Every vector width and the
/// scalar loop add exactly these numbers in exactly this order, so the sum has the same bits on every machine.</item>
/// </list>
/// </summary>
internal static class Lanes
{
    /// <summary>Lanes of one 64-byte line: 16 floats, 8 doubles.</summary>
    public static int Line<T>()
        where T : unmanaged => 64 / Unsafe.SizeOf<T>();

    /// <summary>d[i] ← op(a[i], b[i], c[i]) for i below <paramref name="n"/>; <paramref name="d"/> may be one of the operands (in place).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Map<T, TOp>(TOp op, ref T a, ref T b, ref T c, ref T d, int n)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TOp : struct, IElementOp<T>
    {
        nuint i = 0;
        nuint length = (nuint)n;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + (nuint)Vector512<T>.Count <= length; i += (nuint)Vector512<T>.Count)
            {
                op.Apply(Vector512.LoadUnsafe(ref a, i), Vector512.LoadUnsafe(ref b, i), Vector512.LoadUnsafe(ref c, i)).StoreUnsafe(ref d, i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + (nuint)Vector256<T>.Count <= length; i += (nuint)Vector256<T>.Count)
            {
                op.Apply(Vector256.LoadUnsafe(ref a, i), Vector256.LoadUnsafe(ref b, i), Vector256.LoadUnsafe(ref c, i)).StoreUnsafe(ref d, i);
            }
        }

        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + (nuint)Vector128<T>.Count <= length; i += (nuint)Vector128<T>.Count)
            {
                op.Apply(Vector128.LoadUnsafe(ref a, i), Vector128.LoadUnsafe(ref b, i), Vector128.LoadUnsafe(ref c, i)).StoreUnsafe(ref d, i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref d, i) = op.Apply(Unsafe.Add(ref a, i), Unsafe.Add(ref b, i), Unsafe.Add(ref c, i));
        }
    }

    /// <summary>d[i] ← op(a[i], b[i], c[i]) over spans (operands the op ignores may be any span at least as long).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Map<T, TOp>(TOp op, ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> c, Span<T> d, int n)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TOp : struct, IElementOp<T> =>
        Map(op, ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), ref MemoryMarshal.GetReference(c), ref MemoryMarshal.GetReference(d), n);

    /// <summary>Σ op(a[i], b[i], c[i]) for i below <paramref name="n"/>, in the fixed lane order described on <see cref="Lanes"/>.</summary>
    public static T Sum<T, TOp>(TOp op, ref T a, ref T b, ref T c, int n)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TOp : struct, IElementOp<T>
    {
        int lanes = Line<T>();
        int full = n - (n % lanes);

        // The partial last line, computed element by element and padded with +0 terms; every path adds it as one line.
        Span<T> tail = stackalloc T[16];
        tail.Clear();
        for (int i = full; i < n; i++)
        {
            tail[i - full] = op.Apply(Unsafe.Add(ref a, i), Unsafe.Add(ref b, i), Unsafe.Add(ref c, i));
        }

        bool hasTail = full < n;
        ref T t = ref MemoryMarshal.GetReference(tail);
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<T> acc = Vector512<T>.Zero;
            for (nuint i = 0; i < (nuint)full; i += (nuint)lanes)
            {
                acc += op.Apply(Vector512.LoadUnsafe(ref a, i), Vector512.LoadUnsafe(ref b, i), Vector512.LoadUnsafe(ref c, i));
            }

            if (hasTail)
            {
                acc += Vector512.LoadUnsafe(ref t);
            }

            return Reduce(acc.GetLower() + acc.GetUpper());
        }

        if (Vector256.IsHardwareAccelerated)
        {
            nuint half = (nuint)Vector256<T>.Count;
            Vector256<T> a0 = Vector256<T>.Zero, a1 = a0;
            for (nuint i = 0; i < (nuint)full; i += (nuint)lanes)
            {
                a0 += op.Apply(Vector256.LoadUnsafe(ref a, i), Vector256.LoadUnsafe(ref b, i), Vector256.LoadUnsafe(ref c, i));
                a1 += op.Apply(Vector256.LoadUnsafe(ref a, i + half), Vector256.LoadUnsafe(ref b, i + half), Vector256.LoadUnsafe(ref c, i + half));
            }

            if (hasTail)
            {
                a0 += Vector256.LoadUnsafe(ref t);
                a1 += Vector256.LoadUnsafe(ref t, half);
            }

            return Reduce(a0 + a1);
        }

        if (Vector128.IsHardwareAccelerated)
        {
            nuint q = (nuint)Vector128<T>.Count;
            Vector128<T> a0 = Vector128<T>.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (nuint i = 0; i < (nuint)full; i += (nuint)lanes)
            {
                a0 += op.Apply(Vector128.LoadUnsafe(ref a, i), Vector128.LoadUnsafe(ref b, i), Vector128.LoadUnsafe(ref c, i));
                a1 += op.Apply(Vector128.LoadUnsafe(ref a, i + q), Vector128.LoadUnsafe(ref b, i + q), Vector128.LoadUnsafe(ref c, i + q));
                a2 += op.Apply(Vector128.LoadUnsafe(ref a, i + (2 * q)), Vector128.LoadUnsafe(ref b, i + (2 * q)), Vector128.LoadUnsafe(ref c, i + (2 * q)));
                a3 += op.Apply(Vector128.LoadUnsafe(ref a, i + (3 * q)), Vector128.LoadUnsafe(ref b, i + (3 * q)), Vector128.LoadUnsafe(ref c, i + (3 * q)));
            }

            if (hasTail)
            {
                a0 += Vector128.LoadUnsafe(ref t);
                a1 += Vector128.LoadUnsafe(ref t, q);
                a2 += Vector128.LoadUnsafe(ref t, 2 * q);
                a3 += Vector128.LoadUnsafe(ref t, 3 * q);
            }

            // Lanes j and j + lanes/2, then j and j + lanes/4.
            return Reduce((a0 + a2) + (a1 + a3));
        }

        // No vectors: the line's lanes one by one, the same tree.
        Span<T> lane = stackalloc T[16];
        lane.Clear();
        for (int i = 0; i < full; i += lanes)
        {
            for (int j = 0; j < lanes; j++)
            {
                lane[j] += op.Apply(Unsafe.Add(ref a, i + j), Unsafe.Add(ref b, i + j), Unsafe.Add(ref c, i + j));
            }
        }

        if (hasTail)
        {
            for (int j = 0; j < lanes; j++)
            {
                lane[j] += tail[j];
            }
        }

        for (int h = lanes / 2; h >= 1; h /= 2)
        {
            for (int j = 0; j < h; j++)
            {
                lane[j] += lane[j + h];
            }
        }

        return lane[0];
    }

    /// <summary><see cref="Sum{T, TOp}(TOp, ref T, ref T, ref T, int)"/> over spans.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum<T, TOp>(TOp op, ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> c, int n)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TOp : struct, IElementOp<T> =>
        Sum(op, ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), ref MemoryMarshal.GetReference(c), n);

    /// <summary>Σ a[i]·b[i] in the fixed lane order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Dot<T>(ref T a, ref T b, int n)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        Sum(default(Product2<T>), ref a, ref b, ref a, n);

    /// <summary>The lane tree from half a line on: lanes j and j + lanes/4, then <see cref="Reduce{T}(Vector128{T})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Reduce<T>(Vector256<T> v)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => Reduce(v.GetLower() + v.GetUpper());

    /// <summary>The lane tree on a quarter line (4 floats or 2 doubles): lanes j and j + 2, then j and j + 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Reduce<T>(Vector128<T> v)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        Vector128<T>.Count == 4
            ? (v.GetElement(0) + v.GetElement(2)) + (v.GetElement(1) + v.GetElement(3))
            : v.GetElement(0) + v.GetElement(1);
}
