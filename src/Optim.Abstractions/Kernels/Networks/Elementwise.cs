using System;
using System.ComponentModel;
using System.Numerics;

namespace Optim.Kernels;

/// <summary>Element-wise sums and scalings a network graph needs between layers (residual additions, gradient fan-in).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Elementwise
{
    /// <summary>y[i] = a[i] + b[i] for every i of <paramref name="a"/> (y may be a or b).</summary>
    public static void Add<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Guard.Fits(b.Length, a.Length, nameof(b));
        Guard.Fits(y.Length, a.Length, nameof(y));
        Lanes.Map(default(Sum2<T>), a, b, b, y, a.Length);
    }

    /// <summary>y[i] = x[i]·factor (factor rounded to T first, as PyTorch converts a scalar), for every i of <paramref name="x"/>.</summary>
    public static void Scale<T>(ReadOnlySpan<T> x, double factor, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Guard.Fits(y.Length, x.Length, nameof(y));
        Lanes.Map(new Scaled<T>(T.CreateTruncating(factor)), x, x, x, y, x.Length);
    }

    /// <summary>into[i] += dx[i] for every i of <paramref name="dx"/>: a second gradient contribution added to the first.</summary>
    public static void Accumulate<T>(ReadOnlySpan<T> dx, Span<T> into)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Guard.Fits(into.Length, dx.Length, nameof(into));
        Lanes.Map(default(Sum2<T>), into, dx, dx, into, dx.Length);
    }
}
