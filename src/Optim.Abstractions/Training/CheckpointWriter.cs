using System;
using System.IO;
using System.Numerics;
using static System.FormattableString;

namespace Optim.Training;

/// <summary>
/// Writes a checkpoint (format version 2, docs/checkpoints.md) entry by entry, in the order its
/// <see cref="CheckpointLayout"/> lists them: every section, then every scalar, then <see cref="Commit"/>, which adds the
/// layout's hyperparameters. Each entry is checked against the layout (name, length, kind) before a byte of it is written.
/// </summary>
/// <remarks>
/// Written to a path, the checkpoint goes to a temporary file in the same folder that <see cref="Commit"/> flushes to the
/// disk and moves over the target; disposing without committing (an exception part-way through) deletes the temporary
/// file and leaves the previous checkpoint as it was. Written to a stream, an abandoned checkpoint stays half-written.
/// </remarks>
/// <typeparam name="T">The element type of the model's values, <see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class CheckpointWriter<T> : IDisposable
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly CheckpointLayout _layout;
    private readonly byte _elementCode = CheckpointFormat.ElementCode<T>();
    private readonly AtomicFile? _file;
    private readonly Stream _stream;
    private readonly BinaryOutput _output;
    private int _next;
    private bool _closed;

    /// <summary>Starts a checkpoint on <paramref name="stream"/> (which it does not close), writing the header.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither float nor double.</exception>
    public CheckpointWriter(Stream stream, CheckpointLayout layout)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(layout);
        _layout = layout;
        _stream = stream;
        _output = new BinaryOutput(stream, checksummed: true);
        WriteHeader();
    }

    /// <summary>
    /// Starts a checkpoint that <see cref="Commit"/> will atomically put at <paramref name="path"/>, writing the
    /// header to a temporary file next to it.
    /// </summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither float nor double.</exception>
    public CheckpointWriter(string path, CheckpointLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        _layout = layout;
        _file = new AtomicFile(path);
        _stream = _file.Stream;
        _output = new BinaryOutput(_stream, checksummed: true);
        try
        {
            WriteHeader();
        }
        catch
        {
            _file.Dispose();
            throw;
        }
    }

    /// <summary>Writes the next section, which the layout says is <paramref name="name"/> with <paramref name="values"/>' length.</summary>
    /// <exception cref="ArgumentException">The next section has another name, or another length.</exception>
    /// <exception cref="InvalidOperationException">Every section has been written; or the writer is closed.</exception>
    public void WriteSection(string name, ReadOnlySpan<T> values)
    {
        ThrowIfClosed();
        if (_next >= _layout.Sections.Count)
        {
            throw new InvalidOperationException($"Section '{name}' comes after every section of '{_layout.ModelType}''s layout has been written.");
        }

        CheckpointSection section = _layout.Sections[_next];
        if (!string.Equals(name, section.Name, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The next section of '{_layout.ModelType}''s layout is '{section.Name}', not '{name}'.", nameof(name));
        }

        if (values.Length != section.Length)
        {
            throw new ArgumentException(Invariant($"Section '{name}' has {values.Length} values; the layout says {section.Length}."), nameof(values));
        }

        _output.WriteString(StrictUtf8.Encoding.GetBytes(name));
        _output.WriteUInt32((uint)values.Length);
        _output.WriteValues(values);
        _next++;
        WriteScalarCountIfDue();
    }

    /// <summary>Writes the next scalar, which the layout says is the 64-bit integer <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The next scalar has another name, or is a double.</exception>
    /// <exception cref="InvalidOperationException">Sections remain to be written, or every scalar has been; or the writer is closed.</exception>
    public void WriteScalar(string name, long value) => WriteScalar(name, CheckpointScalarKind.WholeNumber, (ulong)value);

    /// <summary>Writes the next scalar, which the layout says is the double <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The next scalar has another name, or is a 64-bit integer.</exception>
    /// <exception cref="InvalidOperationException">Sections remain to be written, or every scalar has been; or the writer is closed.</exception>
    public void WriteScalar(string name, double value) => WriteScalar(name, CheckpointScalarKind.RealNumber, BitConverter.DoubleToUInt64Bits(value));

    /// <summary>
    /// Writes the layout's hyperparameters and the checksum, and flushes. Written to a path, the file is flushed to the disk and moved over the target,
    /// replacing any previous checkpoint there in one step.
    /// </summary>
    /// <exception cref="InvalidOperationException">An entry of the layout has not been written; or the writer is closed.</exception>
    public void Commit()
    {
        ThrowIfClosed();
        if (_next < _layout.Sections.Count + _layout.Scalars.Count)
        {
            string missing = _next < _layout.Sections.Count
                ? $"section '{_layout.Sections[_next].Name}'"
                : $"scalar '{_layout.Scalars[_next - _layout.Sections.Count].Name}'";
            throw new InvalidOperationException($"The checkpoint of '{_layout.ModelType}' is incomplete: {missing} has not been written.");
        }

        _output.WriteUInt32((uint)_layout.Hyperparameters.Count);
        foreach (CheckpointHyperparameter hyperparameter in _layout.Hyperparameters)
        {
            _output.WriteString(StrictUtf8.Encoding.GetBytes(hyperparameter.Name));
            _output.WriteUInt64(BitConverter.DoubleToUInt64Bits(hyperparameter.Value));
        }

        _output.WriteUInt32(_output.Crc);
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

    private void WriteHeader()
    {
        _output.Write(CheckpointFormat.Magic);
        _output.WriteUInt32(CheckpointFormat.CurrentVersion);
        _output.WriteString(_layout.ModelTypeUtf8);
        _output.WriteByte(_elementCode);
        _output.WriteString(_layout.OptimizerUtf8);
        _output.WriteUInt64(_layout.Hash);
        _output.WriteUInt32((uint)_layout.Sections.Count);
        WriteScalarCountIfDue();
    }

    private void WriteScalarCountIfDue()
    {
        if (_next == _layout.Sections.Count)
        {
            _output.WriteUInt32((uint)_layout.Scalars.Count);
        }
    }

    private void WriteScalar(string name, CheckpointScalarKind kind, ulong bits)
    {
        ThrowIfClosed();
        int index = _next - _layout.Sections.Count;
        if (index < 0)
        {
            throw new InvalidOperationException($"Scalar '{name}' comes before section '{_layout.Sections[_next].Name}' has been written; sections come first.");
        }

        if (index >= _layout.Scalars.Count)
        {
            throw new InvalidOperationException($"Scalar '{name}' comes after every scalar of '{_layout.ModelType}''s layout has been written.");
        }

        CheckpointScalar scalar = _layout.Scalars[index];
        if (!string.Equals(name, scalar.Name, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The next scalar of '{_layout.ModelType}''s layout is '{scalar.Name}', not '{name}'.", nameof(name));
        }

        if (kind != scalar.Kind)
        {
            throw new ArgumentException($"Scalar '{name}' is {CheckpointFormat.Describe(scalar.Kind)} in the layout, not {CheckpointFormat.Describe(kind)}.", nameof(name));
        }

        _output.WriteString(StrictUtf8.Encoding.GetBytes(name));
        _output.WriteByte((byte)kind);
        _output.WriteUInt64(bits);
        _next++;
    }

    private void ThrowIfClosed()
    {
        if (_closed)
        {
            throw new InvalidOperationException("The checkpoint writer has been committed or disposed.");
        }
    }
}
