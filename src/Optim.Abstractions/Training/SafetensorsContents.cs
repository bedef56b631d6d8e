using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;
using System.Numerics;
using static System.FormattableString;

namespace Optim.Training;

/// <summary>
/// A safetensors file that <see cref="Safetensors.Read(string, IReadOnlyList{TensorSpec})"/> has read in full and found
/// to hold exactly the expected tensors. Copying out of it cannot fail for a reason in the file.
/// </summary>
public sealed class SafetensorsContents
{
    private readonly Dictionary<string, TensorSpec> _specs;
    private readonly Dictionary<string, Array> _values;

    internal SafetensorsContents(TensorSpec[] tensors, Dictionary<string, Array> values, Dictionary<string, string> metadata)
    {
        Tensors = Array.AsReadOnly(tensors);
        _specs = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        _values = values;
        Metadata = new ReadOnlyDictionary<string, string>(metadata);
    }

    /// <summary>The tensors, as they were expected (every one of them is in the file).</summary>
    public ReadOnlyCollection<TensorSpec> Tensors { get; }

    /// <summary>The file's <c>__metadata__</c> entries (empty if it has none).</summary>
    public ReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The values of tensor <paramref name="name"/>, row-major.</summary>
    /// <typeparam name="T"><see cref="float"/> for an F32 tensor, <see cref="double"/> for an F64 one.</typeparam>
    /// <exception cref="ArgumentException">There is no tensor <paramref name="name"/>, or it holds the other element type.</exception>
    public ReadOnlySpan<T> GetTensor<T>(string name)
        where T : unmanaged, IFloatingPointIeee754<T> => Values<T>(name);

    /// <summary>Copies tensor <paramref name="name"/> into <paramref name="destination"/>, which must have its element count.</summary>
    /// <typeparam name="T"><see cref="float"/> for an F32 tensor, <see cref="double"/> for an F64 one.</typeparam>
    /// <exception cref="ArgumentException">
    /// There is no tensor <paramref name="name"/>, it holds the other element type, or <paramref name="destination"/>'s
    /// length differs from its element count (nothing is copied).
    /// </exception>
    public void CopyTo<T>(string name, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] values = Values<T>(name);
        if (destination.Length != values.Length)
        {
            throw new ArgumentException(Invariant($"Tensor '{name}' has {values.Length} elements but the destination holds {destination.Length}."), nameof(destination));
        }

        values.CopyTo(destination);
    }

    private T[] Values<T>(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_specs.TryGetValue(name, out TensorSpec? spec))
        {
            throw new ArgumentException($"There is no tensor '{name}'.", nameof(name));
        }

        return _values[name] as T[]
            ?? throw new ArgumentException($"Tensor '{name}' holds {spec.DType} values; read it as {(spec.DType == TensorDType.F32 ? "float" : "double")}, not {typeof(T).Name}.", nameof(name));
    }
}
