using System;
using System.Collections.Generic;
using System.IO;
using System.Numerics;
using static System.FormattableString;

namespace Optim.Training;

/// <summary>
/// Writes a safetensors file tensor by tensor from spans: the header (declared up front) on creation, then each
/// tensor's values in the declared order, then <see cref="Commit"/>. Each tensor is checked against its declaration
/// (name, element type, element count) before a byte of it is written.
/// </summary>
/// <remarks>
/// Written to a path, the file goes to a temporary file in the same folder that <see cref="Commit"/> flushes to the
/// disk and moves over the target; disposing without committing deletes the temporary file and leaves any previous
/// file as it was.
/// </remarks>
public sealed class SafetensorsWriter : IDisposable
{
    private readonly TensorSpec[] _tensors;
    private readonly AtomicFile? _file;
    private readonly Stream _stream;
    private readonly BinaryOutput _output;
    private int _next;
    private bool _closed;

    /// <summary>Starts a safetensors file on <paramref name="stream"/> (which it does not close), writing its header.</summary>
    /// <param name="stream">Where to write.</param>
    /// <param name="tensors">The tensors, in the order their values will be written; names are unique.</param>
    /// <param name="metadata">The optional <c>__metadata__</c> entries, written in ordinal key order.</param>
    /// <exception cref="ArgumentException">Two tensors share a name, or a metadata key or value is null.</exception>
    public SafetensorsWriter(Stream stream, IReadOnlyList<TensorSpec> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _tensors = Validate(tensors, metadata);
        _stream = stream;
        _output = new BinaryOutput(stream, checksummed: false);
        WriteHeader(metadata);
    }

    /// <summary>
    /// Starts a safetensors file that <see cref="Commit"/> will atomically put at <paramref name="path"/>, writing the
    /// header to a temporary file next to it.
    /// </summary>
    /// <inheritdoc cref="SafetensorsWriter(Stream, IReadOnlyList{TensorSpec}, IReadOnlyDictionary{string, string}?)"/>
    public SafetensorsWriter(string path, IReadOnlyList<TensorSpec> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        _tensors = Validate(tensors, metadata);
        _file = new AtomicFile(path);
        _stream = _file.Stream;
        _output = new BinaryOutput(_stream, checksummed: false);
        try
        {
            WriteHeader(metadata);
        }
        catch
        {
            _file.Dispose();
            throw;
        }
    }

    /// <summary>Writes the values of the next declared tensor, <paramref name="name"/>.</summary>
    /// <typeparam name="T"><see cref="float"/> for an F32 tensor, <see cref="double"/> for an F64 one.</typeparam>
    /// <exception cref="ArgumentException">
    /// The next tensor has another name, another element type, or another number of elements.
    /// </exception>
    /// <exception cref="InvalidOperationException">Every tensor has been written; or the writer is closed.</exception>
    public void Write<T>(string name, ReadOnlySpan<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (_closed)
        {
            throw new InvalidOperationException("The safetensors writer has been committed or disposed.");
        }

        if (_next >= _tensors.Length)
        {
            throw new InvalidOperationException($"Tensor '{name}' comes after every declared tensor has been written.");
        }

        TensorSpec tensor = _tensors[_next];
        if (!string.Equals(name, tensor.Name, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The next declared tensor is '{tensor.Name}', not '{name}'.", nameof(name));
        }

        if (Safetensors.DTypeOf<T>() != tensor.DType)
        {
            throw new ArgumentException($"Tensor '{name}' is declared {tensor.DType}; its values cannot be {typeof(T).Name}.", nameof(values));
        }

        if (values.Length != tensor.ElementCount)
        {
            throw new ArgumentException(Invariant($"Tensor '{name}' of shape {SafetensorsHeader.Format(tensor.Shape)} has {tensor.ElementCount} elements, not {values.Length}."), nameof(values));
        }

        _output.WriteValues(values);
        _next++;
    }

    /// <summary>
    /// Finishes the file. Written to a path, it is flushed to the disk and moved over the target, replacing any
    /// previous file there in one step.
    /// </summary>
    /// <exception cref="InvalidOperationException">A declared tensor has not been written; or the writer is closed.</exception>
    public void Commit()
    {
        if (_closed)
        {
            throw new InvalidOperationException("The safetensors writer has been committed or disposed.");
        }

        if (_next < _tensors.Length)
        {
            throw new InvalidOperationException($"The safetensors file is incomplete: tensor '{_tensors[_next].Name}' has not been written.");
        }

        if (_file is null)
        {
            _stream.Flush();
        }
        else
        {
            _file.Commit();
        }

        _closed = true;
    }

    /// <summary>Closes the writer. Written to a path and not committed, the temporary file is deleted.</summary>
    public void Dispose()
    {
        _closed = true;
        _file?.Dispose();
    }

    private static TensorSpec[] Validate(IReadOnlyList<TensorSpec> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        TensorSpec[] copy = Safetensors.CheckSpecs(tensors, nameof(tensors));
        if (metadata is not null)
        {
            foreach (KeyValuePair<string, string> entry in metadata)
            {
                if (entry.Key is null || entry.Value is null)
                {
                    throw new ArgumentException("Metadata keys and values must not be null.", nameof(metadata));
                }

                StrictUtf8.GetBytes(entry.Key, nameof(metadata));
                StrictUtf8.GetBytes(entry.Value, nameof(metadata));
            }
        }

        return copy;
    }

    private void WriteHeader(IReadOnlyDictionary<string, string>? metadata)
    {
        byte[] header = SafetensorsHeader.Build(_tensors, metadata);
        _output.WriteUInt64((ulong)header.Length);
        _output.Write(header);
    }
}
