using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using static System.FormattableString;

namespace Optim.Training;

/// <summary>
/// Reads and writes the safetensors format (Hugging Face's, which PyTorch models are commonly shared in) for F32 and
/// F64 tensors: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// (<c>{"name": {"dtype": "F32", "shape": [4, 3], "data_offsets": [begin, end]}, …, "__metadata__": {…}}</c>)
/// padded with spaces, then the tensors' raw little-endian values. For spans (a model's parameters), write with
/// <see cref="SafetensorsWriter"/>.
/// </summary>
public static class Safetensors
{
    /// <summary>Atomically writes float tensors to <paramref name="path"/>, back to back in the list's order.</summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="tensors">Each tensor's name, shape (outermost first) and row-major values.</param>
    /// <param name="metadata">The optional <c>__metadata__</c> entries.</param>
    /// <exception cref="ArgumentException">
    /// A name is empty, reserved or repeated; a dimension is negative; a tensor's data length is not its shape's
    /// element count. Nothing is written.
    /// </exception>
    public static void Write(string path, IReadOnlyList<(string Name, int[] Shape, ReadOnlyMemory<float> Data)> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Write<float>(path, tensors, metadata);

    /// <summary>Atomically writes double tensors to <paramref name="path"/>, back to back in the list's order.</summary>
    /// <inheritdoc cref="Write(string, IReadOnlyList{ValueTuple{string, int[], ReadOnlyMemory{float}}}, IReadOnlyDictionary{string, string}?)"/>
    public static void Write(string path, IReadOnlyList<(string Name, int[] Shape, ReadOnlyMemory<double> Data)> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Write<double>(path, tensors, metadata);

    /// <summary>
    /// Reads the safetensors file at <paramref name="path"/> and checks it against <paramref name="expected"/> in full
    /// (structure, then every tensor's name, dtype and shape, then the data) before returning anything.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="expected">The tensors the file must hold, no more and no fewer, in any order.</param>
    /// <returns>The validated tensors, to copy into their destinations.</returns>
    /// <exception cref="InvalidDataException">
    /// The file is empty or truncated; its header length reaches past its end or exceeds 100 MB; its header is not
    /// valid JSON or not a valid header (a missing field, a negative dimension, a region of the wrong size, regions
    /// that overlap, leave gaps or leave the data section); or bytes follow the last tensor.
    /// </exception>
    /// <exception cref="ArgumentException">
    /// The file is valid but does not hold exactly the expected tensors: one is missing, unexpected, or of another dtype
    /// or shape. The message names the tensor.
    /// </exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SafetensorsContents Read(string path, IReadOnlyList<TensorSpec> expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
        return Read(stream, expected);
    }

    /// <summary>Reads a safetensors file from <paramref name="stream"/>, which must end where the file does.</summary>
    /// <inheritdoc cref="Read(string, IReadOnlyList{TensorSpec})"/>
    public static SafetensorsContents Read(Stream stream, IReadOnlyList<TensorSpec> expected)
    {
        ArgumentNullException.ThrowIfNull(stream);
        TensorSpec[] specs = CheckSpecs(expected, nameof(expected));
        var input = new BinaryInput(stream, "safetensors file", checksummed: false);

        Span<byte> prefix = stackalloc byte[sizeof(ulong)];
        if (input.ReadAtMost(prefix[..1]) == 0)
        {
            throw new InvalidDataException("The safetensors file is empty: it has no bytes at all.");
        }

        input.ReadExactly(prefix[1..], "the 8-byte header length");
        ulong headerLength = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > SafetensorsHeader.MaxBytes)
        {
            throw SafetensorsHeader.Malformed(Invariant($"its header length is {headerLength} bytes, more than the {SafetensorsHeader.MaxBytes}-byte limit"));
        }

        if (input.Length >= 0 && (long)headerLength > input.Length - input.Position)
        {
            throw SafetensorsHeader.Malformed(Invariant($"its header length is {headerLength} bytes, but only {input.Length - input.Position} bytes follow it"));
        }

        byte[] header = new byte[headerLength];
        input.ReadExactly(header, "the JSON header");
        long dataLength = input.Length >= 0 ? input.Length - input.Position : -1;
        (List<FileTensor> tensors, Dictionary<string, string> metadata) = SafetensorsHeader.Parse(header, dataLength);

        string? mismatch = Mismatch(specs, tensors);
        if (mismatch is not null)
        {
            throw new ArgumentException(mismatch, nameof(expected));
        }

        // Every tensor in the file is now an expected one, so the expected specs size the buffers; the regions tile the
        // data, so reading them in offset order reads the data section front to back.
        var specsByName = specs.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var values = new Dictionary<string, Array>(StringComparer.Ordinal);
        foreach (FileTensor tensor in tensors.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            TensorSpec spec = specsByName[tensor.Name];
            string what = $"the data of tensor '{tensor.Name}'";
            values[tensor.Name] = spec.DType == TensorDType.F32 ? ReadValues<float>(input, spec.ElementCount, what) : ReadValues<double>(input, spec.ElementCount, what);
        }

        input.RequireEnd("the last tensor's data");
        return new SafetensorsContents(specs, values, metadata);
    }

    /// <summary>The dtype of <typeparamref name="T"/>.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither float nor double.</exception>
    internal static TensorDType DTypeOf<T>() =>
        typeof(T) == typeof(float) ? TensorDType.F32
        : typeof(T) == typeof(double) ? TensorDType.F64
        : throw new NotSupportedException($"Optim reads and writes F32 (float) and F64 (double) tensors, not {typeof(T).Name}.");

    /// <summary>A copy of <paramref name="specs"/>, checked for nulls and repeated names.</summary>
    internal static TensorSpec[] CheckSpecs(IReadOnlyList<TensorSpec> specs, string parameter)
    {
        ArgumentNullException.ThrowIfNull(specs, parameter);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var copy = new TensorSpec[specs.Count];
        for (int i = 0; i < copy.Length; i++)
        {
            copy[i] = specs[i] ?? throw new ArgumentException(Invariant($"Tensor {i} is null."), parameter);
            if (!names.Add(copy[i].Name))
            {
                throw new ArgumentException($"Two tensors are named '{copy[i].Name}'.", parameter);
            }
        }

        return copy;
    }

    private static void Write<T>(string path, IReadOnlyList<(string Name, int[] Shape, ReadOnlyMemory<T> Data)> tensors, IReadOnlyDictionary<string, string>? metadata)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var specs = new TensorSpec[tensors.Count];
        for (int i = 0; i < specs.Length; i++)
        {
            (string name, int[] shape, ReadOnlyMemory<T> data) = tensors[i];
            ArgumentNullException.ThrowIfNull(shape, nameof(tensors));
            specs[i] = new TensorSpec(name, DTypeOf<T>(), shape);
            if (data.Length != specs[i].ElementCount)
            {
                throw new ArgumentException(Invariant($"Tensor '{name}' of shape {SafetensorsHeader.Format(shape)} has {specs[i].ElementCount} elements, but its data has {data.Length}."), nameof(tensors));
            }
        }

        using var writer = new SafetensorsWriter(path, specs, metadata);
        foreach ((string name, _, ReadOnlyMemory<T> data) in tensors)
        {
            writer.Write(name, data.Span);
        }

        writer.Commit();
    }

    private static T[] ReadValues<T>(BinaryInput input, int count, string what)
        where T : unmanaged
    {
        var values = new T[count];
        input.ReadValues<T>(values, what);
        return values;
    }

    /// <summary>The first way the file's tensors differ from the expected ones, or null.</summary>
    private static string? Mismatch(TensorSpec[] expected, List<FileTensor> found)
    {
        var byName = found.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (TensorSpec spec in expected)
        {
            if (!byName.TryGetValue(spec.Name, out FileTensor? tensor))
            {
                return $"Tensor '{spec.Name}' is missing from the file.";
            }

            string dtype = SafetensorsHeader.Name(spec.DType);
            if (tensor.DType != dtype)
            {
                return $"Tensor '{spec.Name}' is {tensor.DType} in the file, expected {dtype}.";
            }

            if (!tensor.Shape.SequenceEqual(spec.Shape.Select(d => (long)d)))
            {
                return $"Tensor '{spec.Name}' has shape {SafetensorsHeader.Format(tensor.Shape)} in the file, expected {SafetensorsHeader.Format(spec.Shape)}.";
            }
        }

        var expectedNames = expected.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        FileTensor? extra = found.FirstOrDefault(t => !expectedNames.Contains(t.Name));
        return extra is null ? null : $"The file holds a tensor '{extra.Name}' ({extra.DType}, shape {SafetensorsHeader.Format(extra.Shape)}) that was not expected.";
    }
}
