using System;
using System.Numerics;

namespace Optim;

/// <summary>
/// A lookup table declared with <see cref="EmbeddingAttribute"/>: a view of its weight [num, dim]. In a
/// <see cref="ForwardAttribute"/> method, <c>layer.Forward(indices)</c> takes <see cref="Indices"/> [batch, n] and gives
/// [batch, n, dim], row i of the weight for index i.
/// </summary>
/// <typeparam name="T">The model's element type.</typeparam>
public readonly struct Embedding<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly Arena<T> _arena;
    private readonly int _weight;

    /// <summary>Used by generated code: the table whose weight starts at <paramref name="weight"/> in <paramref name="arena"/>.</summary>
    public Embedding(Arena<T> arena, int weight, int numEmbeddings, int embeddingDim)
    {
        _arena = arena;
        _weight = weight;
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
    }

    /// <summary>Rows of the table.</summary>
    public int NumEmbeddings { get; }

    /// <summary>Values per row.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The table, [NumEmbeddings, EmbeddingDim] row-major.</summary>
    public Span<T> Weight => _arena.Slice(_weight, NumEmbeddings * EmbeddingDim);

    /// <summary>The rows of <paramref name="indices"/>, computed now (the eager reference).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, NumEmbeddings).</exception>
    public Tensor<T> Forward(Indices indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        Kernels.NetworkChecks.Indices(indices.Values, NumEmbeddings, "indices");
        var shape = new int[indices.Shape.Length + 1];
        indices.Shape.CopyTo(shape);
        shape[^1] = EmbeddingDim;
        Tensor<T> y = Tensor<T>.Create(shape);
        Kernels.Embedding.Forward<T>(indices.Values, Weight, y.Values, indices.Values.Length, EmbeddingDim);
        return y;
    }
}

/// <summary>
/// Integer indices in a <see cref="ForwardAttribute"/> method (the input of an <see cref="Embedding{T}"/>): [batch, …].
/// </summary>
public sealed class Indices
{
    private readonly int[] _shape;

    /// <summary>Wraps <paramref name="values"/> (not copied) as indices of <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">The shape does not hold exactly the values' count.</exception>
    public Indices(int[] values, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (int dimension in shape)
        {
            count *= dimension < 1 ? 0 : dimension;
        }

        if (shape.Length == 0 || count != values.Length)
        {
            throw new ArgumentException($"Indices of shape [{string.Join(", ", shape)}] hold {count} values; {values.Length} were given.", nameof(values));
        }

        Values = values;
        _shape = (int[])shape.Clone();
    }

    /// <summary>The indices, row-major.</summary>
    public int[] Values { get; }

    /// <summary>The dimensions, batch first.</summary>
    public ReadOnlySpan<int> Shape => _shape;
}
