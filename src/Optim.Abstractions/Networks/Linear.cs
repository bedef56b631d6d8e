using System;
using System.Numerics;

namespace Optim;

/// <summary>
/// A fully connected layer declared with <see cref="LinearAttribute"/>: a view of its weight [out, in] and bias [out]
/// in the model's arena. In a <see cref="ForwardAttribute"/> method, <c>layer.Forward(x)</c> is y = x·Wᵀ + b.
/// </summary>
/// <typeparam name="T">The model's element type.</typeparam>
public readonly struct Linear<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly Arena<T> _arena;
    private readonly int _weight;
    private readonly int _bias;

    /// <summary>Used by generated code: the layer whose weight starts at <paramref name="weight"/> in <paramref name="arena"/>
    /// and whose bias starts at <paramref name="bias"/> (−1: no bias).</summary>
    public Linear(Arena<T> arena, int weight, int bias, int inFeatures, int outFeatures)
    {
        _arena = arena;
        _weight = weight;
        _bias = bias;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
    }

    /// <summary>Features of each input row.</summary>
    public int InFeatures { get; }

    /// <summary>Features of each output row.</summary>
    public int OutFeatures { get; }

    /// <summary>The weight, [OutFeatures, InFeatures] row-major (PyTorch's layout).</summary>
    public Span<T> Weight => _arena.Slice(_weight, InFeatures * OutFeatures);

    /// <summary>The bias, [OutFeatures]; empty when the layer has none.</summary>
    public Span<T> Bias => _bias < 0 ? Span<T>.Empty : _arena.Slice(_bias, OutFeatures);

    /// <summary>y = x·Wᵀ + b over the last dimension of <paramref name="x"/>, computed now (the eager reference).</summary>
    /// <exception cref="ArgumentException">The last dimension of <paramref name="x"/> is not <see cref="InFeatures"/>.</exception>
    public Tensor<T> Forward(Tensor<T> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Shape[^1] != InFeatures)
        {
            throw new ArgumentException($"Linear({InFeatures}, {OutFeatures}) was given {x.Shape[^1]} features per row.", nameof(x));
        }

        int rows = x.Values.Length / InFeatures;
        Tensor<T> y = Tensor<T>.Create(x.ShapeWithLast(OutFeatures));
        Kernels.Dense.Forward<T>(x.Values, Weight, Bias, y.Values, rows, InFeatures, OutFeatures);
        return y;
    }
}
