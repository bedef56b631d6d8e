using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Encodings.Web;
using System.Text.Json;
using static System.FormattableString;

namespace Optim.Training;

/// <summary>
/// The JSON header of a safetensors file: written with <see cref="Utf8JsonWriter"/> and read with
/// <see cref="Utf8JsonReader"/> token by token (no reflection, so trimming and NativeAOT keep working).
/// </summary>
internal static class SafetensorsHeader
{
    /// <summary>The header key of the free-form string-to-string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The largest header accepted, in bytes (as the reference implementation: 100 MB).</summary>
    public const long MaxBytes = 100_000_000;

    /// <summary>The JSON name of <paramref name="dtype"/>.</summary>
    public static string Name(TensorDType dtype) => dtype == TensorDType.F32 ? "F32" : "F64";

    /// <summary>The size in bytes of one <paramref name="dtype"/> element.</summary>
    public static int Size(TensorDType dtype) => dtype == TensorDType.F32 ? sizeof(float) : sizeof(double);

    /// <summary>A shape as the messages print it: <c>[4, 3]</c>.</summary>
    public static string Format<TDimension>(IEnumerable<TDimension> shape) => "[" + string.Join(", ", shape) + "]";

    /// <inheritdoc cref="Format{TDimension}(IEnumerable{TDimension})"/>
    public static string Format(ReadOnlySpan<int> shape) => Format<int>(shape.ToArray());

    /// <summary>
    /// The header of a file holding <paramref name="tensors"/> back to back in their order, padded with spaces to a
    /// multiple of 8 bytes so that the data starts 8-byte aligned.
    /// </summary>
    public static byte[] Build(IReadOnlyList<TensorSpec> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is not null)
            {
                json.WriteStartObject(MetadataKey);
                foreach (KeyValuePair<string, string> entry in metadata.OrderBy(e => e.Key, StringComparer.Ordinal))
                {
                    json.WriteString(entry.Key, entry.Value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (TensorSpec tensor in tensors)
            {
                long end = offset + ((long)tensor.ElementCount * Size(tensor.DType));
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", Name(tensor.DType));
                json.WriteStartArray("shape");
                foreach (int dimension in tensor.Shape)
                {
                    json.WriteNumberValue(dimension);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(end);
                json.WriteEndArray();
                json.WriteEndObject();
                offset = end;
            }

            json.WriteEndObject();
        }

        byte[] header = new byte[(buffer.WrittenCount + 7) & ~7];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    /// <summary>
    /// Parses a header and checks that its tensors' data regions tile the data section exactly: no overlap, no gap,
    /// nothing outside it, and (for dtypes whose size is known) each region the size its shape implies.
    /// </summary>
    /// <param name="json">The header bytes.</param>
    /// <param name="dataLength">The data section's length, or −1 if unknown (then the regions' extent defines it).</param>
    /// <exception cref="InvalidDataException">The header is not valid JSON or not a valid safetensors header.</exception>
    public static (List<FileTensor> Tensors, Dictionary<string, string> Metadata) Parse(ReadOnlySpan<byte> json, long dataLength)
    {
        var tensors = new List<FileTensor>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 4 });
        try
        {
            Expect(ref reader, JsonTokenType.StartObject, "the header");
            while (Next(ref reader) != JsonTokenType.EndObject)
            {
                string name = reader.GetString()!;
                if (!names.Add(name))
                {
                    throw Malformed($"the header declares '{name}' twice");
                }

                if (name == MetadataKey)
                {
                    ParseMetadata(ref reader, metadata);
                }
                else
                {
                    tensors.Add(ParseTensor(ref reader, name));
                }
            }

            if (reader.Read())
            {
                throw Malformed("the header has more JSON after its object");
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The safetensors header is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader reports invalid UTF-8 in a string when the string is read.
            throw new InvalidDataException($"The safetensors header is not valid JSON: {e.Message}", e);
        }

        CheckRegions(tensors, dataLength);
        return (tensors, metadata);
    }

    /// <summary>The size of one element of the safetensors dtype named <paramref name="dtype"/>, or 0 if unknown.</summary>
    private static int ElementSize(string dtype) => dtype switch
    {
        "BOOL" or "U8" or "I8" or "F8_E5M2" or "F8_E4M3" => 1,
        "U16" or "I16" or "F16" or "BF16" => 2,
        "U32" or "I32" or "F32" => 4,
        "U64" or "I64" or "F64" => 8,
        _ => 0,
    };

    /// <summary>An exception saying the header is malformed, and how.</summary>
    public static InvalidDataException Malformed(string message) => new($"The safetensors file is malformed: {message}.");

    private static void ParseMetadata(ref Utf8JsonReader reader, Dictionary<string, string> metadata)
    {
        Expect(ref reader, JsonTokenType.StartObject, $"\"{MetadataKey}\"");
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            string key = reader.GetString()!;
            if (Next(ref reader) != JsonTokenType.String)
            {
                throw Malformed($"metadata entry '{key}' is not a string");
            }

            if (!metadata.TryAdd(key, reader.GetString()!))
            {
                throw Malformed($"the metadata declares '{key}' twice");
            }
        }
    }

    private static FileTensor ParseTensor(ref Utf8JsonReader reader, string name)
    {
        string? dtype = null;
        List<long>? shape = null;
        ulong[]? offsets = null;
        Expect(ref reader, JsonTokenType.StartObject, $"tensor '{name}'");
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            string property = reader.GetString()!;
            Next(ref reader);
            switch (property)
            {
                case "dtype" when dtype is null:
                    dtype = reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw Malformed($"tensor '{name}' has a dtype that is not a string");
                    break;
                case "shape" when shape is null:
                    shape = [];
                    ExpectCurrent(ref reader, JsonTokenType.StartArray, $"the shape of tensor '{name}'");
                    while (Next(ref reader) != JsonTokenType.EndArray)
                    {
                        shape.Add(reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long dimension) && dimension >= 0
                            ? dimension
                            : throw Malformed($"the shape of tensor '{name}' holds something other than a whole number ≥ 0"));
                    }

                    break;
                case "data_offsets" when offsets is null:
                    var found = new List<ulong>();
                    ExpectCurrent(ref reader, JsonTokenType.StartArray, $"the data_offsets of tensor '{name}'");
                    while (Next(ref reader) != JsonTokenType.EndArray)
                    {
                        found.Add(reader.TokenType == JsonTokenType.Number && reader.TryGetUInt64(out ulong offset)
                            ? offset
                            : throw Malformed($"the data_offsets of tensor '{name}' hold something other than a whole number ≥ 0"));
                    }

                    offsets = found.Count == 2 ? [.. found] : throw Malformed(Invariant($"tensor '{name}' has {found.Count} data_offsets instead of 2 (begin, end)"));
                    break;
                case "dtype" or "shape" or "data_offsets":
                    throw Malformed($"tensor '{name}' declares \"{property}\" twice");
                default:
                    reader.Skip();
                    break;
            }
        }

        string missing = dtype is null ? "dtype" : shape is null ? "shape" : offsets is null ? "data_offsets" : "";
        return missing.Length == 0
            ? new FileTensor(name, dtype!, [.. shape!], offsets![0], offsets[1])
            : throw Malformed($"tensor '{name}' has no \"{missing}\"");
    }

    private static void CheckRegions(List<FileTensor> tensors, long dataLength)
    {
        foreach (FileTensor tensor in tensors)
        {
            if (tensor.End < tensor.Begin)
            {
                throw Malformed(Invariant($"tensor '{tensor.Name}' has data_offsets [{tensor.Begin}, {tensor.End}], which end before they begin"));
            }

            if (dataLength >= 0 && tensor.End > (ulong)dataLength)
            {
                throw Malformed(Invariant($"tensor '{tensor.Name}' ends at byte {tensor.End} of the data, but the file has {dataLength} bytes of data"));
            }

            int size = ElementSize(tensor.DType);
            if (size > 0)
            {
                // An unknown dtype's size is unknown; the tensor can still be skipped over (and refused by name).
                UInt128 bytes = (uint)size;
                foreach (long dimension in tensor.Shape)
                {
                    bytes = UInt128.Min(bytes * (ulong)dimension, (UInt128)ulong.MaxValue + 1);
                }

                if (bytes != tensor.End - tensor.Begin)
                {
                    throw Malformed(Invariant($"tensor '{tensor.Name}' ({tensor.DType}, shape {Format(tensor.Shape)}) needs {bytes} bytes but its data_offsets span {tensor.End - tensor.Begin}"));
                }
            }
        }

        ulong position = 0;
        FileTensor? previous = null;
        foreach (FileTensor tensor in tensors.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            if (tensor.Begin < position)
            {
                throw Malformed(Invariant($"the data of tensors '{previous!.Name}' [{previous.Begin}, {previous.End}) and '{tensor.Name}' [{tensor.Begin}, {tensor.End}) overlap"));
            }

            if (tensor.Begin > position)
            {
                throw Malformed(Invariant($"bytes [{position}, {tensor.Begin}) of the data belong to no tensor"));
            }

            position = tensor.End;
            previous = tensor;
        }

        if (dataLength >= 0 && position < (ulong)dataLength)
        {
            throw Malformed(Invariant($"bytes [{position}, {dataLength}) of the data belong to no tensor"));
        }
    }

    /// <summary>Moves to the next token and returns its type.</summary>
    private static JsonTokenType Next(ref Utf8JsonReader reader) =>
        reader.Read() ? reader.TokenType : throw Malformed("the header ends in the middle of its JSON");

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string what)
    {
        Next(ref reader);
        ExpectCurrent(ref reader, type, what);
    }

    private static void ExpectCurrent(ref Utf8JsonReader reader, JsonTokenType type, string what)
    {
        if (reader.TokenType != type)
        {
            throw Malformed($"{what} is not a JSON {(type == JsonTokenType.StartObject ? "object" : "array")}");
        }
    }
}

/// <summary>A tensor as a safetensors header declares it.</summary>
internal sealed record FileTensor(string Name, string DType, long[] Shape, ulong Begin, ulong End);
