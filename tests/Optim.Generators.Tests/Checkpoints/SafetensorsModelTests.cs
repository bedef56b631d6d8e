using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using System.Text;
using Optim;
using Xunit;
using static Optim.Optimizer;

namespace Optim.Generators.Tests.Checkpoints;

[Optimize(Adam, Lr = 0.01)]
public sealed partial class SafetensorsModel
{
    [Parameter(2, 3)] public partial Span<float> Weight { get; }
    [Parameter(2)] public partial Span<float> Bias { get; }
}

/// <summary>A model's generated SaveSafetensors/LoadSafetensors: round trip, PyTorch-style files, refusals.</summary>
public sealed class SafetensorsModelTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "optim-safetensors-" + Guid.NewGuid().ToString("N"));

    public SafetensorsModelTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Parameters_round_trip()
    {
        var model = new SafetensorsModel();
        for (int i = 0; i < SafetensorsModel.ParameterCount; i++)
        {
            model.Parameters[i] = i * 0.25f - 1;
        }

        string path = Path.Combine(_folder, "model.safetensors");
        model.SaveSafetensors(path);
        var loaded = new SafetensorsModel();
        loaded.LoadSafetensors(path);

        Assert.Equal(model.Parameters.ToArray(), loaded.Parameters.ToArray());
    }

    /// <summary>
    /// A file built here byte by byte from the format's definition, as torch's safetensors.save_file writes it: header
    /// length (u64 little-endian), JSON header with metadata and the tensors in another order than declared, space padding
    /// to 8 bytes, then the raw little-endian data.
    /// </summary>
    [Fact]
    public void A_file_written_from_the_format_definition_loads()
    {
        float[] bias = [0.5f, -2f];
        float[] weight = [1, 2, 3, 4, 5, 6];
        string json = "{\"__metadata__\":{\"format\":\"pt\"},\"bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[8,32]}}";
        string path = Write("pytorch.safetensors", Rename(json, "bias", "Bias", "weight", "Weight"), bias.Concat(weight).ToArray());

        var model = new SafetensorsModel();
        model.LoadSafetensors(path);

        Assert.Equal(weight, model.Weight.ToArray());
        Assert.Equal(bias, model.Bias.ToArray());
    }

    [Theory]
    [InlineData("{\"Bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"Weights\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[8,32]}}", "Weight", 8)]
    [InlineData("{\"Bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"Weight\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[8,32]}}", "shape", 8)]
    [InlineData("{\"Bias\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},\"Weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[16,40]}}", "F64", 10)]
    [InlineData("{\"Bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"Weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[8,32]", "", 8)]
    public void A_wrong_or_malformed_file_is_refused_and_the_model_is_untouched(string json, string named, int floats)
    {
        var model = new SafetensorsModel();
        model.Parameters.Fill(7);
        string path = Write("bad.safetensors", json, new float[floats]);

        Exception error = Assert.ThrowsAny<Exception>(() => model.LoadSafetensors(path));

        Assert.True(error is InvalidDataException or ArgumentException, error.GetType().Name + ": " + error.Message);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.True(model.Parameters.IndexOfAnyExcept(7f) < 0, "a refused file changed the model");
    }

    private static string Rename(string json, params string[] pairs)
    {
        for (int i = 0; i < pairs.Length; i += 2)
        {
            json = json.Replace($"\"{pairs[i]}\"", $"\"{pairs[i + 1]}\"", StringComparison.Ordinal);
        }

        return json;
    }

    private string Write(string name, string json, float[] data)
    {
        byte[] header = Encoding.UTF8.GetBytes(json.PadRight((json.Length + 7) / 8 * 8));
        var bytes = new byte[8 + header.Length + (4 * data.Length)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        for (int i = 0; i < data.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(8 + header.Length + (4 * i)), data[i]);
        }

        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
