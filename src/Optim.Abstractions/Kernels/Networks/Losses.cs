using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.Intrinsics;

namespace Optim.Kernels;

/// <summary>
/// Losses with PyTorch's mean reduction. Each returns the mean loss as a double and writes dL/dy into
/// <c>dy</c> (already divided by the count, as PyTorch's mean backward does; pass an empty span to compute only the
/// loss). Mean squared error, L1 and smooth L1 run in vectors: the gradient element-wise, the loss as a sum in the fixed
/// lane order of <see cref="Lanes"/> (in T), then divided by the count in double. The logistic losses call the same
/// scalar exp and log on every element and sum in double, elements in order.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Losses
{
    /// <summary>mean (y − t)²; dy = (2/n)·(y − t).</summary>
    public static double MeanSquared<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> target, Span<T> dy)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int n = Check(y, target, dy);
        if (!dy.IsEmpty)
        {
            Lanes.Map(new DifferenceOp<T>(T.CreateTruncating(2.0 / n)), y, target, target, dy, n);
        }

        return double.CreateTruncating(Lanes.Sum(default(SquaredErrorOp<T>), y, target, target, n)) / n;
    }

    /// <summary>mean |y − t|; dy = sign(y − t)/n (0 where y = t, as PyTorch).</summary>
    public static double L1<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> target, Span<T> dy)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int n = Check(y, target, dy);
        if (!dy.IsEmpty)
        {
            Lanes.Map(new SignOp<T>(T.CreateTruncating(1.0 / n)), y, target, target, dy, n);
        }

        return double.CreateTruncating(Lanes.Sum(default(AbsoluteErrorOp<T>), y, target, target, n)) / n;
    }

    /// <summary>
    /// mean of 0.5·d²/β where |d| &lt; β, |d| − 0.5·β elsewhere (d = y − t; Huber with β = 1 by default); dy = d/(β·n)
    /// inside, ±1/n outside. β = 0 is L1, as in PyTorch.
    /// </summary>
    public static double SmoothL1<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> target, Span<T> dy, double beta = 1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!(beta >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "Smooth L1's beta must be 0 or more.");
        }

        if (beta == 0)
        {
            return L1(y, target, dy);
        }

        int n = Check(y, target, dy);
        T b = T.CreateTruncating(beta);
        if (!dy.IsEmpty)
        {
            Lanes.Map(new HuberGradientOp<T>(b, T.CreateTruncating(1.0 / n)), y, target, target, dy, n);
        }

        return double.CreateTruncating(Lanes.Sum(new HuberOp<T>(b), y, target, target, n)) / n;
    }

    /// <summary>mean of max(y, 0) − y·t + log(1 + e^(−|y|)) (targets t in [0, 1], y logits); dy = (σ(y) − t)/n.</summary>
    public static double BinaryCrossEntropyWithLogits<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> target, Span<T> dy)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int n = Check(y, target, dy);
        T norm = T.CreateTruncating(1.0 / n);
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            T v = y[i];
            T t = target[i];
            sum += double.CreateTruncating(T.Max(v, T.Zero) - (v * t) + T.Log(T.One + T.Exp(-T.Abs(v))));
            if (!dy.IsEmpty)
            {
                dy[i] = ((T.One / (T.One + T.Exp(-v))) - t) * norm;
            }
        }

        return sum / n;
    }

    /// <summary>
    /// mean over the batch of −log softmax(logits)[class], the log-softmax in its stable form (x − max − log Σ e^(x − max));
    /// dLogits = (softmax − one-hot)/batch (empty: loss only). Classes are the caller's to validate.
    /// </summary>
    public static double CrossEntropy<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> classes, Span<T> dLogits, int batch, int classCount)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Guard.Positive(batch, nameof(batch));
        Guard.Positive(classCount, nameof(classCount));
        Guard.Fits(logits.Length, (long)batch * classCount, nameof(logits));
        Guard.Fits(classes.Length, batch, nameof(classes));
        if (!dLogits.IsEmpty)
        {
            Guard.Fits(dLogits.Length, (long)batch * classCount, nameof(dLogits));
        }

        T norm = T.One / T.CreateTruncating(batch);
        double sum = 0;
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<T> row = logits.Slice(b * classCount, classCount);
            int target = classes[b];
            System.Diagnostics.Debug.Assert((uint)target < (uint)classCount, $"class {target} outside [0, {classCount})");
            T max = row[0];
            for (int j = 1; j < classCount; j++)
            {
                max = T.Max(max, row[j]);
            }

            T exps = T.Zero;
            for (int j = 0; j < classCount; j++)
            {
                exps += T.Exp(row[j] - max);
            }

            T logSum = T.Log(exps);
            sum -= double.CreateTruncating(row[target] - max - logSum);
            if (!dLogits.IsEmpty)
            {
                Span<T> grad = dLogits.Slice(b * classCount, classCount);
                for (int j = 0; j < classCount; j++)
                {
                    T softmax = T.Exp(row[j] - max - logSum);
                    grad[j] = (softmax * norm) - (j == target ? norm : T.Zero);
                }
            }
        }

        return sum / batch;
    }

    private static int Check<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> target, Span<T> dy)
    {
        int n = y.Length;
        Guard.Positive(n, nameof(y));
        Guard.Fits(target.Length, n, nameof(target));
        if (!dy.IsEmpty)
        {
            Guard.Fits(dy.Length, n, nameof(dy));
        }

        return n;
    }

    /// <summary>s·(a − b).</summary>
    private readonly struct DifferenceOp<T>(T s) : IElementOp<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Apply(T a, T b, T c) => s * (a - b);

        public Vector128<T> Apply(Vector128<T> a, Vector128<T> b, Vector128<T> c) => Vector128.Create(s) * (a - b);

        public Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c) => Vector256.Create(s) * (a - b);

        public Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c) => Vector512.Create(s) * (a - b);
    }

    /// <summary>(a − b)².</summary>
    private readonly struct SquaredErrorOp<T> : IElementOp<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Apply(T a, T b, T c) => (a - b) * (a - b);

        public Vector128<T> Apply(Vector128<T> a, Vector128<T> b, Vector128<T> c) => (a - b) * (a - b);

        public Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c) => (a - b) * (a - b);

        public Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c) => (a - b) * (a - b);
    }

    /// <summary>|a − b|.</summary>
    private readonly struct AbsoluteErrorOp<T> : IElementOp<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Apply(T a, T b, T c) => T.Abs(a - b);

        public Vector128<T> Apply(Vector128<T> a, Vector128<T> b, Vector128<T> c) => Vector128.Abs(a - b);

        public Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c) => Vector256.Abs(a - b);

        public Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c) => Vector512.Abs(a - b);
    }

    /// <summary>sign(a − b)·s (torch.sign: 0 for 0).</summary>
    private readonly struct SignOp<T>(T s) : IElementOp<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Apply(T a, T b, T c)
        {
            T d = a - b;
            return (d > T.Zero ? T.One : (d < T.Zero ? -T.One : d)) * s;
        }

        public Vector128<T> Apply(Vector128<T> a, Vector128<T> b, Vector128<T> c) => KernelMath.Sign(a - b) * Vector128.Create(s);

        public Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c) => KernelMath.Sign(a - b) * Vector256.Create(s);

        public Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c) => KernelMath.Sign(a - b) * Vector512.Create(s);
    }

    /// <summary>Smooth L1 of d = a − b: |d| &lt; β ? 0.5·|d|·|d|/β : |d| − 0.5·β.</summary>
    private readonly struct HuberOp<T>(T beta) : IElementOp<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Apply(T a, T b, T c)
        {
            T z = T.Abs(a - b);
            return z < beta ? Half * z * z / beta : z - (Half * beta);
        }

        public Vector128<T> Apply(Vector128<T> a, Vector128<T> b, Vector128<T> c)
        {
            Vector128<T> z = Vector128.Abs(a - b), bv = Vector128.Create(beta), h = Vector128.Create(Half);
            return Vector128.ConditionalSelect(Vector128.LessThan(z, bv), h * z * z / bv, z - (h * bv));
        }

        public Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c)
        {
            Vector256<T> z = Vector256.Abs(a - b), bv = Vector256.Create(beta), h = Vector256.Create(Half);
            return Vector256.ConditionalSelect(Vector256.LessThan(z, bv), h * z * z / bv, z - (h * bv));
        }

        public Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c)
        {
            Vector512<T> z = Vector512.Abs(a - b), bv = Vector512.Create(beta), h = Vector512.Create(Half);
            return Vector512.ConditionalSelect(Vector512.LessThan(z, bv), h * z * z / bv, z - (h * bv));
        }

        private static T Half => T.CreateTruncating(0.5);
    }

    /// <summary>Smooth L1's gradient of d = a − b: d &lt; −β ? −s : d &gt; β ? s : s·d/β (PyTorch's order).</summary>
    private readonly struct HuberGradientOp<T>(T beta, T s) : IElementOp<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Apply(T a, T b, T c)
        {
            T d = a - b;
            return d < -beta ? -s : (d > beta ? s : s * d / beta);
        }

        public Vector128<T> Apply(Vector128<T> a, Vector128<T> b, Vector128<T> c)
        {
            Vector128<T> d = a - b, bv = Vector128.Create(beta), sv = Vector128.Create(s);
            return Vector128.ConditionalSelect(Vector128.LessThan(d, -bv), -sv, Vector128.ConditionalSelect(Vector128.GreaterThan(d, bv), sv, sv * d / bv));
        }

        public Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c)
        {
            Vector256<T> d = a - b, bv = Vector256.Create(beta), sv = Vector256.Create(s);
            return Vector256.ConditionalSelect(Vector256.LessThan(d, -bv), -sv, Vector256.ConditionalSelect(Vector256.GreaterThan(d, bv), sv, sv * d / bv));
        }

        public Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c)
        {
            Vector512<T> d = a - b, bv = Vector512.Create(beta), sv = Vector512.Create(s);
            return Vector512.ConditionalSelect(Vector512.LessThan(d, -bv), -sv, Vector512.ConditionalSelect(Vector512.GreaterThan(d, bv), sv, sv * d / bv));
        }
    }
}
