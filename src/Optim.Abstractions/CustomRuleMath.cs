using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
#if !NET9_0_OR_GREATER
using System.Runtime.Intrinsics.X86;
#endif

namespace Optim;

/// <summary>
/// Vector forms of the <c>Math</c>/<c>MathF</c> functions a custom <c>[UpdateRule]</c> may call on element values, with
/// exactly the scalar function's result in every lane, so the generated <c>Step()</c> matches calling the rule per element.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class CustomRuleMath
{
    /// <summary>
    /// <c>MathF.Sign(x)</c> converted to float: 1, −1, or +0 for ±0. For NaN, where <c>MathF.Sign</c> throws, the lane
    /// is NaN (it cannot throw per lane); NaN then flows on visibly instead of turning into a number.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sign(float x) => x > 0f ? 1f : x < 0f ? -1f : float.IsNaN(x) ? x : 0f;

    /// <inheritdoc cref="Sign(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sign(double x) => x > 0d ? 1d : x < 0d ? -1d : double.IsNaN(x) ? x : 0d;

    /// <inheritdoc cref="Sign(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Sign<T>(Vector128<T> x) =>
        Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<T>.Zero), Vector128<T>.One,
            Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<T>.Zero), -Vector128<T>.One,
                Vector128.ConditionalSelect(Vector128.Equals(x, x), Vector128<T>.Zero, x)));

    /// <inheritdoc cref="Sign(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Sign<T>(Vector256<T> x) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), Vector256<T>.One,
            Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<T>.Zero), -Vector256<T>.One,
                Vector256.ConditionalSelect(Vector256.Equals(x, x), Vector256<T>.Zero, x)));

    /// <inheritdoc cref="Sign(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Sign<T>(Vector512<T> x) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), Vector512<T>.One,
            Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<T>.Zero), -Vector512<T>.One,
                Vector512.ConditionalSelect(Vector512.Equals(x, x), Vector512<T>.Zero, x)));

    /// <summary><c>MathF.FusedMultiplyAdd(a, b, c)</c>: a·b + c rounded once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float FusedMultiplyAdd(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);

    /// <inheritdoc cref="FusedMultiplyAdd(float, float, float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double FusedMultiplyAdd(double a, double b, double c) => Math.FusedMultiplyAdd(a, b, c);

#if NET9_0_OR_GREATER
    /// <inheritdoc cref="FusedMultiplyAdd(float, float, float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> FusedMultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.FusedMultiplyAdd(a, b, c);

    /// <inheritdoc cref="FusedMultiplyAdd(float, float, float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> FusedMultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);

    /// <inheritdoc cref="FusedMultiplyAdd(float, float, float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FusedMultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);

    /// <inheritdoc cref="FusedMultiplyAdd(float, float, float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> FusedMultiplyAdd(Vector128<double> a, Vector128<double> b, Vector128<double> c) => Vector128.FusedMultiplyAdd(a, b, c);

    /// <inheritdoc cref="FusedMultiplyAdd(float, float, float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> FusedMultiplyAdd(Vector256<double> a, Vector256<double> b, Vector256<double> c) => Vector256.FusedMultiplyAdd(a, b, c);

    /// <inheritdoc cref="FusedMultiplyAdd(float, float, float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> FusedMultiplyAdd(Vector512<double> a, Vector512<double> b, Vector512<double> c) => Vector512.FusedMultiplyAdd(a, b, c);
#else
    /// <inheritdoc cref="FusedMultiplyAdd(float, float, float)"/>
    public static Vector128<float> FusedMultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c)
    {
        if (Fma.IsSupported)
        {
            return Fma.MultiplyAdd(a, b, c);
        }

        Span<float> lanes = stackalloc float[Vector128<float>.Count];
        for (int i = 0; i < lanes.Length; i++)
        {
            lanes[i] = MathF.FusedMultiplyAdd(a.GetElement(i), b.GetElement(i), c.GetElement(i));
        }

        return Vector128.Create<float>(lanes);
    }

    /// <inheritdoc cref="FusedMultiplyAdd(float, float, float)"/>
    public static Vector256<float> FusedMultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : Vector256.Create(FusedMultiplyAdd(a.GetLower(), b.GetLower(), c.GetLower()), FusedMultiplyAdd(a.GetUpper(), b.GetUpper(), c.GetUpper()));

    /// <inheritdoc cref="FusedMultiplyAdd(float, float, float)"/>
    public static Vector512<float> FusedMultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
        Avx512F.IsSupported ? Avx512F.FusedMultiplyAdd(a, b, c) : Vector512.Create(FusedMultiplyAdd(a.GetLower(), b.GetLower(), c.GetLower()), FusedMultiplyAdd(a.GetUpper(), b.GetUpper(), c.GetUpper()));

    /// <inheritdoc cref="FusedMultiplyAdd(float, float, float)"/>
    public static Vector128<double> FusedMultiplyAdd(Vector128<double> a, Vector128<double> b, Vector128<double> c)
    {
        if (Fma.IsSupported)
        {
            return Fma.MultiplyAdd(a, b, c);
        }

        return Vector128.Create(
            Math.FusedMultiplyAdd(a.GetElement(0), b.GetElement(0), c.GetElement(0)),
            Math.FusedMultiplyAdd(a.GetElement(1), b.GetElement(1), c.GetElement(1)));
    }

    /// <inheritdoc cref="FusedMultiplyAdd(float, float, float)"/>
    public static Vector256<double> FusedMultiplyAdd(Vector256<double> a, Vector256<double> b, Vector256<double> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : Vector256.Create(FusedMultiplyAdd(a.GetLower(), b.GetLower(), c.GetLower()), FusedMultiplyAdd(a.GetUpper(), b.GetUpper(), c.GetUpper()));

    /// <inheritdoc cref="FusedMultiplyAdd(float, float, float)"/>
    public static Vector512<double> FusedMultiplyAdd(Vector512<double> a, Vector512<double> b, Vector512<double> c) =>
        Avx512F.IsSupported ? Avx512F.FusedMultiplyAdd(a, b, c) : Vector512.Create(FusedMultiplyAdd(a.GetLower(), b.GetLower(), c.GetLower()), FusedMultiplyAdd(a.GetUpper(), b.GetUpper(), c.GetUpper()));
#endif
}
