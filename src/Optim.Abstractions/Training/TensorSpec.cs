using System;
using System.Collections.ObjectModel;

namespace Optim.Training;

/// <summary>A tensor's name, element type and shape: what a safetensors file declares for each tensor it holds.</summary>
public sealed class TensorSpec
{
    /// <param name="name">The tensor's name, e.g. <c>"layers.0.weight"</c>; not empty, not <c>__metadata__</c>.</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">The dimensions, outermost first (row-major); none for a scalar. Each is 0 or more.</param>
    /// <exception cref="ArgumentException">
    /// The name is empty, reserved or not valid UTF-16; the dtype is undefined; a dimension is negative; or the tensor
    /// has more elements than an array can hold.
    /// </exception>
    public TensorSpec(string name, TensorDType dtype, params ReadOnlySpan<int> shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == SafetensorsHeader.MetadataKey)
        {
            throw new ArgumentException($"'{SafetensorsHeader.MetadataKey}' is reserved for the file's metadata.", nameof(name));
        }

        StrictUtf8.GetBytes(name, nameof(name));
        if (dtype is not (TensorDType.F32 or TensorDType.F64))
        {
            throw new ArgumentException($"Tensor '{name}' has an undefined dtype ({(int)dtype}).", nameof(dtype));
        }

        long count = 1;
        foreach (int dimension in shape)
        {
            if (dimension < 0)
            {
                throw new ArgumentException($"Tensor '{name}' has a negative dimension in its shape {SafetensorsHeader.Format(shape)}.", nameof(shape));
            }

            count = Math.Min(count * dimension, long.MaxValue / int.MaxValue);
        }

        if (count > Array.MaxLength)
        {
            throw new ArgumentException($"Tensor '{name}' of shape {SafetensorsHeader.Format(shape)} has more elements than an array can hold.", nameof(shape));
        }

        Name = name;
        DType = dtype;
        Shape = Array.AsReadOnly(shape.ToArray());
        ElementCount = (int)count;
    }

    /// <summary>The tensor's name.</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public TensorDType DType { get; }

    /// <summary>The dimensions, outermost first.</summary>
    public ReadOnlyCollection<int> Shape { get; }

    /// <summary>The number of elements: the product of the dimensions (1 for a scalar).</summary>
    public int ElementCount { get; }

    /// <summary>Name, dtype and shape, e.g. <c>fc.weight F32 [4, 3]</c>.</summary>
    public override string ToString() => $"{Name} {DType} {SafetensorsHeader.Format(Shape)}";
}

/// <summary>The element types Optim reads and writes in safetensors files, named as the format names them.</summary>
public enum TensorDType
{
    /// <summary>IEEE 754 binary32, C# <see cref="float"/> (PyTorch's <c>torch.float32</c>).</summary>
    F32,

    /// <summary>IEEE 754 binary64, C# <see cref="double"/> (PyTorch's <c>torch.float64</c>).</summary>
    F64,
}
