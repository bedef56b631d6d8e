using System;
using System.ComponentModel;
using System.Numerics;
using Optim.Training;

namespace Optim.Kernels;

/// <summary>
/// Inverted dropout: each element is kept with probability 1 − p and scaled by 1/(1 − p), or zeroed. The random stream
/// is SplitMix64 on the caller's 64-bit state (integer arithmetic only), so a seed gives the same mask on every machine;
/// the state advances by one step per element.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Dropout
{
    /// <summary>
    /// mask[i] = 0 (probability p) or 1/(1 − p) (in T, as PyTorch scales), y[i] = x[i]·mask[i], for every i of
    /// <paramref name="x"/>. An element is dropped when its uniform draw u = (next >> 11)·2⁻⁵³ is below p; p = 0 keeps
    /// every element unchanged.
    /// </summary>
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, Span<T> mask, double p, ref ulong state)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckProbability(p);
        int n = x.Length;
        Guard.Fits(y.Length, n, nameof(y));
        Guard.Fits(mask.Length, n, nameof(mask));
        T keep = T.One / T.CreateTruncating(1 - p);
        ulong s = state;
        for (int i = 0; i < n; i++)
        {
            s += Xoshiro256StarStar.Golden;
            double u = (Xoshiro256StarStar.Mix(s) >> 11) * (1.0 / (1UL << 53));
            mask[i] = u < p ? T.Zero : keep;
        }

        state = s;
        Lanes.Map(default(Product2<T>), x, mask, mask, y, n);
    }

    /// <summary>dx[i] = dy[i]·mask[i] (dx overwritten; may be dy itself). <paramref name="p"/> is checked as in <see cref="Forward{T}"/>.</summary>
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> mask, Span<T> dx, double p)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckProbability(p);
        int n = dy.Length;
        Guard.Fits(mask.Length, n, nameof(mask));
        Guard.Fits(dx.Length, n, nameof(dx));
        Lanes.Map(default(Product2<T>), dy, mask, mask, dx, n);
    }

    private static void CheckProbability(double p)
    {
        if (!(p >= 0 && p < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "The dropout probability must be in [0, 1).");
        }
    }
}
