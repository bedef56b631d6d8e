using System;
using System.Numerics;

namespace Optim;

/// <summary>
/// A layer normalization declared with <see cref="LayerNormAttribute"/>: views of its weight (γ) and bias (β), both
/// [NormalizedShape]. <c>layer.Forward(x)</c> normalizes each row of the last dimension: (x − mean) / √(var + ε)·γ + β,
/// var biased.
/// </summary>
/// <typeparam name="T">The model's element type.</typeparam>
public readonly struct LayerNorm<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly Arena<T> _arena;
    private readonly int _weight;
    private readonly int _bias;

    /// <summary>Used by generated code: the layer whose γ and β start at these offsets of <paramref name="arena"/>.</summary>
    public LayerNorm(Arena<T> arena, int weight, int bias, int normalizedShape, double eps)
    {
        _arena = arena;
        _weight = weight;
        _bias = bias;
        NormalizedShape = normalizedShape;
        Eps = eps;
    }

    /// <summary>The size of the normalized (last) dimension.</summary>
    public int NormalizedShape { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public double Eps { get; }

    /// <summary>γ, [NormalizedShape].</summary>
    public Span<T> Weight => _arena.Slice(_weight, NormalizedShape);

    /// <summary>β, [NormalizedShape].</summary>
    public Span<T> Bias => _arena.Slice(_bias, NormalizedShape);

    /// <summary>Each row normalized, computed now (the eager reference).</summary>
    /// <exception cref="ArgumentException">The last dimension of <paramref name="x"/> is not <see cref="NormalizedShape"/>.</exception>
    public Tensor<T> Forward(Tensor<T> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Shape[^1] != NormalizedShape)
        {
            throw new ArgumentException($"LayerNorm({NormalizedShape}) was given rows of {x.Shape[^1]} values.", nameof(x));
        }

        int rows = x.Values.Length / NormalizedShape;
        var y = new T[x.Values.Length];
        var mean = new T[rows];
        var rstd = new T[rows];
        Kernels.LayerNorm.Forward<T>(x.Values, Weight, Bias, y, mean, rstd, rows, NormalizedShape, Eps);
        return x.With(y);
    }
}
