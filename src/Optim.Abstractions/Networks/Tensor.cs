using System;
using System.Numerics;

namespace Optim;

/// <summary>
/// A batch of values in a <see cref="ForwardAttribute"/> method: <see cref="Shape"/> is [batch, …one example's shape],
/// row-major. The generator reads forward methods and never runs them; called directly, a forward method computes
/// eagerly on tensors (every operation allocates its result): the slow reference its generated passes are tested
/// against.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>, the model's element type.</typeparam>
public sealed class Tensor<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly int[] _shape;

    /// <summary>Wraps <paramref name="values"/> (not copied) as a tensor of <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">The shape is empty, has a dimension below 1, or does not hold exactly the values' count.</exception>
    public Tensor(T[] values, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (int dimension in shape)
        {
            if (dimension < 1)
            {
                throw new ArgumentException($"Every dimension of a tensor's shape must be at least 1; got [{string.Join(", ", shape)}].", nameof(shape));
            }

            count *= dimension;
        }

        if (shape.Length == 0 || count != values.Length)
        {
            throw new ArgumentException($"A tensor of shape [{string.Join(", ", shape)}] holds {count} values; {values.Length} were given.", nameof(values));
        }

        Values = values;
        _shape = (int[])shape.Clone();
    }

    /// <summary>The values, row-major.</summary>
    public T[] Values { get; }

    /// <summary>The dimensions, batch first.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The batch size (the first dimension).</summary>
    public int Batch => _shape[0];

    /// <summary>Values per example (the product of every dimension but the first).</summary>
    public int PerExample => Values.Length / _shape[0];

    /// <summary>A residual connection: the element-wise sum of two tensors of one shape.</summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static Tensor<T> operator +(Tensor<T> left, Tensor<T> right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        if (!left.Shape.SequenceEqual(right.Shape))
        {
            throw new ArgumentException($"Tensors of shapes [{string.Join(", ", left._shape)}] and [{string.Join(", ", right._shape)}] cannot be added.", nameof(right));
        }

        var result = new T[left.Values.Length];
        Kernels.Elementwise.Add<T>(left.Values, right.Values, result);
        return new Tensor<T>(result, left._shape);
    }

    /// <summary>Every value multiplied by a constant.</summary>
    public static Tensor<T> operator *(Tensor<T> tensor, double factor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var result = new T[tensor.Values.Length];
        Kernels.Elementwise.Scale<T>(tensor.Values, factor, result);
        return new Tensor<T>(result, tensor._shape);
    }

    /// <summary>Every value multiplied by a constant.</summary>
    public static Tensor<T> operator *(double factor, Tensor<T> tensor) => tensor * factor;

    internal Tensor<T> With(T[] values) => new(values, _shape);

    internal static Tensor<T> Create(int[] shape) => new(new T[Product(shape)], shape);

    internal int[] ShapeWithLast(int last)
    {
        var shape = (int[])_shape.Clone();
        shape[^1] = last;
        return shape;
    }

    private static int Product(int[] shape)
    {
        int product = 1;
        foreach (int dimension in shape)
        {
            product *= dimension;
        }

        return product;
    }
}
