using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Optim.Kernels;

/// <summary>
/// Layer normalisation over the last dimension, PyTorch's LayerNorm: per row, mean μ and biased variance σ² of its
/// features, rstd = 1/√(σ² + eps), y = (x − μ)·rstd·γ + β. The row sums run in the fixed lane order of
/// <see cref="Lanes"/> and the per-feature loops in vectors with a scalar tail of the same operations, so every
/// width gives the same bits. Forward keeps μ and rstd per row for the backward pass.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class LayerNorm
{
    /// <summary>PyTorch's default eps.</summary>
    public const double DefaultEps = 1e-5;

    /// <summary>y = (x − μ)·rstd·γ + β row by row; <paramref name="mean"/> and <paramref name="rstd"/> receive μ and rstd per row.</summary>
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> y, Span<T> mean, Span<T> rstd, int rows, int features, double eps = DefaultEps)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(rows, features, x.Length, y.Length, gamma.Length, beta.Length, mean.Length, rstd.Length, nameof(x), nameof(y), nameof(gamma), nameof(beta));
        T n = T.CreateTruncating(features);
        T e = T.CreateTruncating(eps);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> row = x.Slice(r * features, features);
            T mu = Lanes.Sum(default(Identity<T>), row, row, row, features) / n;
            T variance = Lanes.Sum(new SquaredDeviation<T>(mu), row, row, row, features) / n;
            T scale = T.One / T.Sqrt(variance + e);
            mean[r] = mu;
            rstd[r] = scale;
            Lanes.Map(new NormalizeOp<T>(mu, scale), row, gamma, beta, y.Slice(r * features, features), features);
        }
    }

    /// <summary>
    /// dx (overwritten) = rstd·(dy·γ − mean(dy·γ) − x̂·mean(dy·γ·x̂)), x̂ = (x − μ)·rstd; dγ += Σ_rows dy·x̂ and
    /// dβ += Σ_rows dy, added to what the gradients hold, rows in order.
    /// </summary>
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, Span<T> dx, Span<T> dGamma, Span<T> dBeta, int rows, int features)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(rows, features, x.Length, dx.Length, gamma.Length, dGamma.Length, mean.Length, rstd.Length, nameof(x), nameof(dx), nameof(gamma), nameof(dGamma));
        Guard.Fits(dy.Length, (long)rows * features, nameof(dy));
        Guard.Fits(dBeta.Length, features, nameof(dBeta));
        T n = T.CreateTruncating(features);
        ref T g = ref MemoryMarshal.GetReference(gamma);
        ref T gg = ref MemoryMarshal.GetReference(dGamma);
        ref T gb = ref MemoryMarshal.GetReference(dBeta);
        for (int r = 0; r < rows; r++)
        {
            ref T d = ref MemoryMarshal.GetReference(dy.Slice(r * features, features));
            ref T xr = ref MemoryMarshal.GetReference(x.Slice(r * features, features));
            ref T hat = ref MemoryMarshal.GetReference(dx.Slice(r * features, features));

            // dx holds x̂ until the last map turns it into the gradient.
            Lanes.Map(new StandardizeOp<T>(mean[r], rstd[r]), ref xr, ref xr, ref xr, ref hat, features);
            T meanG = Lanes.Sum(default(Product2<T>), ref d, ref g, ref g, features) / n;
            T meanGx = Lanes.Sum(default(Product3<T>), ref d, ref g, ref hat, features) / n;
            Lanes.Map(default(AddProduct<T>), ref gg, ref d, ref hat, ref gg, features);
            Lanes.Map(default(Sum2<T>), ref gb, ref d, ref d, ref gb, features);
            Lanes.Map(new InputGradientOp<T>(rstd[r], meanG, meanGx), ref d, ref g, ref hat, ref hat, features);
        }
    }

    private static void Check(int rows, int features, int input, int output, int gamma, int beta, int mean, int rstd, string inputName, string outputName, string gammaName, string betaName)
    {
        Guard.Positive(rows, nameof(rows));
        Guard.Positive(features, nameof(features));
        Guard.Fits(input, (long)rows * features, inputName);
        Guard.Fits(output, (long)rows * features, outputName);
        Guard.Fits(gamma, features, gammaName);
        Guard.Fits(beta, features, betaName);
        Guard.Fits(mean, rows, nameof(mean));
        Guard.Fits(rstd, rows, nameof(rstd));
    }

    /// <summary>x̂ = (a − μ)·rstd, the same operations as the first part of <see cref="NormalizeOp{T}"/>.</summary>
    private readonly struct StandardizeOp<T>(T mu, T scale) : IElementOp<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Apply(T a, T b, T c) => (a - mu) * scale;

        public Vector128<T> Apply(Vector128<T> a, Vector128<T> b, Vector128<T> c) => (a - Vector128.Create(mu)) * Vector128.Create(scale);

        public Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c) => (a - Vector256.Create(mu)) * Vector256.Create(scale);

        public Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c) => (a - Vector512.Create(mu)) * Vector512.Create(scale);
    }

    /// <summary>y = ((a − μ)·rstd)·γ + β with a = x, b = γ, c = β.</summary>
    private readonly struct NormalizeOp<T>(T mu, T scale) : IElementOp<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Apply(T a, T b, T c) => ((a - mu) * scale * b) + c;

        public Vector128<T> Apply(Vector128<T> a, Vector128<T> b, Vector128<T> c) => ((a - Vector128.Create(mu)) * Vector128.Create(scale) * b) + c;

        public Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c) => ((a - Vector256.Create(mu)) * Vector256.Create(scale) * b) + c;

        public Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c) => ((a - Vector512.Create(mu)) * Vector512.Create(scale) * b) + c;
    }

    /// <summary>rstd·((dy·γ − mean(dy·γ)) − x̂·mean(dy·γ·x̂)) with a = dy, b = γ, c = x̂.</summary>
    private readonly struct InputGradientOp<T>(T scale, T meanG, T meanGx) : IElementOp<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T Apply(T a, T b, T c) => scale * (((a * b) - meanG) - (c * meanGx));

        public Vector128<T> Apply(Vector128<T> a, Vector128<T> b, Vector128<T> c) => Vector128.Create(scale) * (((a * b) - Vector128.Create(meanG)) - (c * Vector128.Create(meanGx)));

        public Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c) => Vector256.Create(scale) * (((a * b) - Vector256.Create(meanG)) - (c * Vector256.Create(meanGx)));

        public Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c) => Vector512.Create(scale) * (((a * b) - Vector512.Create(meanG)) - (c * Vector512.Create(meanGx)));
    }
}
