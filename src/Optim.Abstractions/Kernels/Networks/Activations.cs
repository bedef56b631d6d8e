using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.Intrinsics;

namespace Optim.Kernels;

/// <summary>The element-wise activations a network can use, with PyTorch's semantics.</summary>
public enum Activation
{
    /// <summary>max(x, 0); gradient 0 at x = 0 (and for x ≤ 0).</summary>
    Relu,

    /// <summary>x for x &gt; 0, slope·x otherwise.</summary>
    LeakyRelu,

    /// <summary>tanh(x).</summary>
    Tanh,

    /// <summary>1 / (1 + e^(−x)).</summary>
    Sigmoid,

    /// <summary>x·Φ(x), Φ the standard normal CDF (the erf form, PyTorch's default GELU).</summary>
    Gelu,

    /// <summary>0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (PyTorch's GELU with approximate = "tanh").</summary>
    GeluTanh,

    /// <summary>x·sigmoid(x).</summary>
    Silu,
}

/// <summary>
/// Element-wise activations, forward and backward. Relu and LeakyRelu run in vectors (a compare and a select, the scalar
/// tail the same); the others call the same scalar functions on every element (<c>T.Exp</c>, <c>T.Tanh</c>, and for GELU
/// an erf computed here), so results do not depend on the vector width.
/// <para>
/// In place: <c>y</c> may be <c>x</c> itself in <see cref="Forward{T}"/>, and <c>dx</c> may be <c>dy</c> in
/// <see cref="Backward{T}"/> (each element is read before it is written). The backward pass of Relu, LeakyRelu, Gelu,
/// GeluTanh and Silu reads the input x; Tanh and Sigmoid read the output y (<see cref="BackwardReadsInput"/>), so an
/// in-place forward pass suits only the latter two when the backward pass is needed. The span a kind does not read may
/// be empty.
/// </para>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Activations
{
    /// <summary>Whether <see cref="Backward{T}"/> of <paramref name="kind"/> reads the input x (true) or the output y (false).</summary>
    public static bool BackwardReadsInput(Activation kind) => kind is not (Activation.Tanh or Activation.Sigmoid);

    /// <summary>y[i] = f(x[i]) for every i of <paramref name="x"/>; <paramref name="slope"/> is LeakyRelu's negative slope.</summary>
    public static void Forward<T>(Activation kind, double slope, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int n = x.Length;
        Guard.Fits(y.Length, n, nameof(y));
        switch (kind)
        {
            case Activation.Relu:
                Lanes.Map(default(ReluOp<T>), x, x, x, y, n);
                break;
            case Activation.LeakyRelu:
                Lanes.Map(new LeakyReluOp<T>(T.CreateTruncating(slope)), x, x, x, y, n);
                break;
            case Activation.Tanh:
                for (int i = 0; i < n; i++)
                {
                    y[i] = T.Tanh(x[i]);
                }

                break;
            case Activation.Sigmoid:
                for (int i = 0; i < n; i++)
                {
                    y[i] = Sigmoid(x[i]);
                }

                break;
            case Activation.Gelu:
                for (int i = 0; i < n; i++)
                {
                    T v = x[i];
                    y[i] = v * Phi(v);
                }

                break;
            case Activation.GeluTanh:
                for (int i = 0; i < n; i++)
                {
                    T v = x[i];
                    y[i] = Half<T>() * v * (T.One + T.Tanh(TanhInner(v)));
                }

                break;
            case Activation.Silu:
                for (int i = 0; i < n; i++)
                {
                    T v = x[i];
                    y[i] = v * Sigmoid(v);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    /// <summary>
    /// dx[i] = f'(·)·dy[i] for every i of <paramref name="dy"/> (dx overwritten), PyTorch's backward formulas; reads
    /// <paramref name="x"/> or <paramref name="y"/> as <see cref="BackwardReadsInput"/> says.
    /// </summary>
    public static void Backward<T>(Activation kind, double slope, ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int n = dy.Length;
        Guard.Fits(dx.Length, n, nameof(dx));
        Guard.Fits(BackwardReadsInput(kind) ? x.Length : y.Length, n, BackwardReadsInput(kind) ? nameof(x) : nameof(y));
        switch (kind)
        {
            case Activation.Relu:
                Lanes.Map(default(ReluBackwardOp<T>), x, dy, dy, dx, n);
                break;
            case Activation.LeakyRelu:
                Lanes.Map(new LeakyReluBackwardOp<T>(T.CreateTruncating(slope)), x, dy, dy, dx, n);
                break;
            case Activation.Tanh:
                for (int i = 0; i < n; i++)
                {
                    T v = y[i];
                    dx[i] = dy[i] * (T.One - (v * v));
                }

                break;
            case Activation.Sigmoid:
                for (int i = 0; i < n; i++)
                {
                    T v = y[i];
                    dx[i] = dy[i] * (T.One - v) * v;
                }

                break;
            case Activation.Gelu:
                for (int i = 0; i < n; i++)
                {
                    // Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π).
                    T v = x[i];
                    double xd = double.CreateTruncating(v);
                    T pdf = T.CreateTruncating(Math.Exp(-0.5 * xd * xd) * NetworkMath.InverseSqrt2Pi);
                    dx[i] = dy[i] * (Phi(v) + (v * pdf));
                }

                break;
            case Activation.GeluTanh:
                for (int i = 0; i < n; i++)
                {
                    // d/dx ½x(1 + tanh u) = ½(1 + tanh u) + ½x·(1 − tanh² u)·√(2/π)(1 + 3·0.044715·x²).
                    T v = x[i];
                    T th = T.Tanh(TanhInner(v));
                    T right = T.One + th;
                    T inner = Beta<T>() * (T.One + (Three<T>() * Kappa<T>() * v * v));
                    dx[i] = dy[i] * ((Half<T>() * right) + (Half<T>() * v * ((T.One - (th * th)) * inner)));
                }

                break;
            case Activation.Silu:
                for (int i = 0; i < n; i++)
                {
                    // σ(x)·(1 + x·(1 − σ(x))).
                    T v = x[i];
                    T s = Sigmoid(v);
                    dx[i] = dy[i] * (s * (T.One + (v * (T.One - s))));
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    private static T Half<T>()
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => T.CreateTruncating(0.5);

    private static T Three<T>()
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => T.CreateTruncating(3.0);

    /// <summary>√(2/π), GELU-tanh's β.</summary>
    private static T Beta<T>()
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => T.CreateTruncating(0.7978845608028654);

    /// <summary>GELU-tanh's κ = 0.044715.</summary>
    private static T Kappa<T>()
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => T.CreateTruncating(0.044715);

    private static T Sigmoid<T>(T v)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => T.One / (T.One + T.Exp(-v));

    /// <summary>Φ(x) = ½(1 + erf(x/√2)), computed in double and rounded to T.</summary>
    private static T Phi<T>(T v)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        T.CreateTruncating(0.5 * (1 + NetworkMath.Erf(double.CreateTruncating(v) * NetworkMath.Sqrt1Over2)));

    /// <summary>√(2/π)·(x + κx³).</summary>
    private static T TanhInner<T>(T v)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => Beta<T>() * (v + (Kappa<T>() * v * v * v));

    /// <summary>x ≤ 0 ? 0 : x (NaN passes through, as in PyTorch).</summary>
    private readonly struct ReluOp<T> : IElementOp<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Apply(T a, T b, T c) => a <= T.Zero ? T.Zero : a;

        public Vector128<T> Apply(Vector128<T> a, Vector128<T> b, Vector128<T> c) => Vector128.ConditionalSelect(Vector128.LessThanOrEqual(a, Vector128<T>.Zero), Vector128<T>.Zero, a);

        public Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c) => Vector256.ConditionalSelect(Vector256.LessThanOrEqual(a, Vector256<T>.Zero), Vector256<T>.Zero, a);

        public Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c) => Vector512.ConditionalSelect(Vector512.LessThanOrEqual(a, Vector512<T>.Zero), Vector512<T>.Zero, a);
    }

    /// <summary>x ≤ 0 ? 0 : dy (a = x, b = dy; PyTorch's threshold_backward).</summary>
    private readonly struct ReluBackwardOp<T> : IElementOp<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Apply(T a, T b, T c) => a <= T.Zero ? T.Zero : b;

        public Vector128<T> Apply(Vector128<T> a, Vector128<T> b, Vector128<T> c) => Vector128.ConditionalSelect(Vector128.LessThanOrEqual(a, Vector128<T>.Zero), Vector128<T>.Zero, b);

        public Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c) => Vector256.ConditionalSelect(Vector256.LessThanOrEqual(a, Vector256<T>.Zero), Vector256<T>.Zero, b);

        public Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c) => Vector512.ConditionalSelect(Vector512.LessThanOrEqual(a, Vector512<T>.Zero), Vector512<T>.Zero, b);
    }

    /// <summary>x &gt; 0 ? x : slope·x.</summary>
    private readonly struct LeakyReluOp<T>(T slope) : IElementOp<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Apply(T a, T b, T c) => a > T.Zero ? a : a * slope;

        public Vector128<T> Apply(Vector128<T> a, Vector128<T> b, Vector128<T> c) => Vector128.ConditionalSelect(Vector128.GreaterThan(a, Vector128<T>.Zero), a, a * Vector128.Create(slope));

        public Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c) => Vector256.ConditionalSelect(Vector256.GreaterThan(a, Vector256<T>.Zero), a, a * Vector256.Create(slope));

        public Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c) => Vector512.ConditionalSelect(Vector512.GreaterThan(a, Vector512<T>.Zero), a, a * Vector512.Create(slope));
    }

    /// <summary>x &gt; 0 ? dy : slope·dy (a = x, b = dy).</summary>
    private readonly struct LeakyReluBackwardOp<T>(T slope) : IElementOp<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Apply(T a, T b, T c) => a > T.Zero ? b : b * slope;

        public Vector128<T> Apply(Vector128<T> a, Vector128<T> b, Vector128<T> c) => Vector128.ConditionalSelect(Vector128.GreaterThan(a, Vector128<T>.Zero), b, b * Vector128.Create(slope));

        public Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c) => Vector256.ConditionalSelect(Vector256.GreaterThan(a, Vector256<T>.Zero), b, b * Vector256.Create(slope));

        public Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c) => Vector512.ConditionalSelect(Vector512.GreaterThan(a, Vector512<T>.Zero), b, b * Vector512.Create(slope));
    }
}
