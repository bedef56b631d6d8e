using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Optim.Training;
using Xunit;

namespace Optim.Generators.Tests.Training;

/// <summary>
/// Safetensors files round-trip, are laid out as the format defines, load when exported the way PyTorch exports them,
/// and are refused (InvalidDataException when malformed, ArgumentException naming the tensor when they hold other
/// tensors) before any destination is written.
/// </summary>
public sealed class SafetensorsTests
{
    private static readonly TensorSpec[] s_pair = [new("w", TensorDType.F32, 2, 3), new("b", TensorDType.F32, 3)];

    [Fact]
    public void Float_tensors_round_trip_with_metadata()
    {
        string folder = CheckpointTests.TemporaryFolder();
        string path = Path.Combine(folder, "model.safetensors");
        float[] w = [1, -2, float.NaN, float.NegativeInfinity, -0f, float.Epsilon];
        float[] b = [0.5f, 0.25f, 1e30f];
        float[] scalar = [42];
        Safetensors.Write(path, [("w", [2, 3], w), ("b", [3], b), ("empty", [0, 3], Array.Empty<float>()), ("scalar", [], scalar)],
            new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode \"quoted\"" });

        SafetensorsContents contents = Safetensors.Read(path,
            [new("scalar", TensorDType.F32), new("empty", TensorDType.F32, 0, 3), .. s_pair]);
        AssertBits(w, contents.GetTensor<float>("w"));
        AssertBits(b, contents.GetTensor<float>("b"));
        Assert.Equal(0, contents.GetTensor<float>("empty").Length);
        Assert.Equal(42f, contents.GetTensor<float>("scalar")[0]);
        Assert.Equal("pt", contents.Metadata["format"]);
        Assert.Equal("ünïcode \"quoted\"", contents.Metadata["note"]);
        Assert.Equal(["model.safetensors"], Directory.GetFiles(folder).Select(Path.GetFileName));
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void Double_tensors_round_trip()
    {
        string folder = CheckpointTests.TemporaryFolder();
        string path = Path.Combine(folder, "model.safetensors");
        double[] w = Enumerable.Range(0, 70_000).Select(i => Math.Cos(i) / 3).ToArray(); // larger than one I/O chunk
        Safetensors.Write(path, [("w", [700, 100], w)]);
        double[] restored = new double[w.Length];
        Safetensors.Read(path, [new TensorSpec("w", TensorDType.F64, 700, 100)]).CopyTo<double>("w", restored);
        Assert.Equal(w, restored);
        Assert.Empty(Safetensors.Read(path, [new TensorSpec("w", TensorDType.F64, 700, 100)]).Metadata);
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void The_writer_takes_spans_of_either_type_in_one_file()
    {
        var stream = new MemoryStream();
        using (var writer = new SafetensorsWriter(stream, [new("f", TensorDType.F32, 2), new("d", TensorDType.F64, 1)]))
        {
            writer.Write<float>("f", [1.5f, 2.5f]);
            writer.Write<double>("d", [Math.PI]);
            writer.Commit();
        }

        SafetensorsContents contents = Safetensors.Read(new MemoryStream(stream.ToArray()), [new("d", TensorDType.F64, 1), new("f", TensorDType.F32, 2)]);
        Assert.Equal([1.5f, 2.5f], contents.GetTensor<float>("f").ToArray());
        Assert.Equal(Math.PI, contents.GetTensor<double>("d")[0]);
        Assert.Throws<ArgumentException>(() => contents.GetTensor<double>("f"));
        Assert.Throws<ArgumentException>(() => contents.CopyTo<float>("f", new float[3]));
        Assert.Throws<ArgumentException>(() => contents.GetTensor<float>("nope"));
    }

    [Fact]
    public void The_file_is_laid_out_as_the_format_defines()
    {
        var stream = new MemoryStream();
        using (var writer = new SafetensorsWriter(stream, [new("a", TensorDType.F32, 2), new("b", TensorDType.F64, 1, 1)], new Dictionary<string, string> { ["k"] = "v" }))
        {
            writer.Write<float>("a", [1f, -2f]);
            writer.Write<double>("b", [0.5]);
            writer.Commit();
        }

        string json = """{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F64","shape":[1,1],"data_offsets":[8,16]}}""";
        byte[] data = [.. Single(1f), .. Single(-2f), .. Double(0.5)];
        Assert.Equal(Convert.ToHexString(File(json, data)), Convert.ToHexString(stream.ToArray()));
        Assert.Equal(0, (stream.Length - 8 - 16) % 8); // the header is padded so that the data starts 8-byte aligned
    }

    [Fact]
    public void A_file_exported_like_PyTorch_loads_whatever_the_order_of_its_tensors()
    {
        // As safetensors.torch.save_file writes it: metadata first, keys in its own order, data in yet another order,
        // compact JSON padded with spaces. The expected list declares the tensors in a third order.
        string json = """{"__metadata__":{"format":"pt"},"fc.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[12,28]},"fc.bias":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"scale":{"dtype":"F64","shape":[],"data_offsets":[32,40]},"step":{"dtype":"F32","shape":[1],"data_offsets":[28,32]}}""";
        byte[] data = [.. Single(0.1f), .. Single(0.2f), .. Single(0.3f), .. Single(1f), .. Single(2f), .. Single(3f), .. Single(4f), .. Single(7f), .. Double(-1.25)];
        byte[] file = File(json, data);
        Assert.Equal(0, (file.Length - data.Length) % 8);

        TensorSpec[] expected = [new("step", TensorDType.F32, 1), new("fc.weight", TensorDType.F32, 2, 2), new("scale", TensorDType.F64), new("fc.bias", TensorDType.F32, 3)];
        SafetensorsContents contents = Safetensors.Read(new MemoryStream(file), expected);
        float[] weight = new float[4];
        contents.CopyTo<float>("fc.weight", weight);
        Assert.Equal([1f, 2f, 3f, 4f], weight);
        Assert.Equal([0.1f, 0.2f, 0.3f], contents.GetTensor<float>("fc.bias").ToArray());
        Assert.Equal(7f, contents.GetTensor<float>("step")[0]);
        Assert.Equal(-1.25, contents.GetTensor<double>("scale")[0]);
        Assert.Equal("pt", contents.Metadata["format"]);

        // Readers must not depend on padding or on the stream being seekable.
        byte[] unpadded = File(json, data, pad: false);
        Assert.Equal([1f, 2f, 3f, 4f], Safetensors.Read(new ForwardOnlyStream(unpadded), expected).GetTensor<float>("fc.weight").ToArray());
    }

    // ---- Refusals: the file holds other tensors (ArgumentException naming the tensor) ----

    private const string TwoTensors = """{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}}""";

    private static readonly byte[] s_twoTensorData = new byte[36];

    [Fact]
    public void A_missing_tensor_is_refused_by_name() =>
        AssertRefused<ArgumentException>(File("""{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}""", new byte[24]), "Tensor 'b' is missing from the file.");

    [Fact]
    public void An_extra_tensor_is_refused_by_name() =>
        AssertRefused<ArgumentException>(
            File("""{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]},"x":{"dtype":"I64","shape":[1],"data_offsets":[36,44]}}""", new byte[44]),
            "The file holds a tensor 'x' (I64, shape [1]) that was not expected.");

    [Fact]
    public void A_wrong_shape_is_refused_by_name() =>
        AssertRefused<ArgumentException>(
            File("""{"w":{"dtype":"F32","shape":[3,2],"data_offsets":[0,24]},"b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}}""", s_twoTensorData),
            "Tensor 'w' has shape [3, 2] in the file, expected [2, 3].");

    [Fact]
    public void A_wrong_dtype_is_refused_by_name()
    {
        AssertRefused<ArgumentException>(
            File("""{"w":{"dtype":"F64","shape":[2,3],"data_offsets":[0,48]},"b":{"dtype":"F32","shape":[3],"data_offsets":[48,60]}}""", new byte[60]),
            "Tensor 'w' is F64 in the file, expected F32.");
        AssertRefused<ArgumentException>(
            File("""{"w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[3],"data_offsets":[12,24]}}""", new byte[24]),
            "Tensor 'w' is BF16 in the file, expected F32.");
    }

    // ---- Refusals: malformed files (InvalidDataException) ----

    [Theory]
    [InlineData("""{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"F32","shape":[3],"data_offsets":[20,32]}}""", "overlap")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}}""", "belong to no tensor", 40)]
    [InlineData("""{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"F32","shape":[3],"data_offsets":[28,40]}}""", "bytes [24, 28) of the data belong to no tensor", 40)]
    [InlineData("""{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}}""", "tensor 'b' ends at byte 36 of the data, but the file has 30 bytes of data", 30)]
    [InlineData("""{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[24,0]},"b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}}""", "end before they begin")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]},"b":{"dtype":"F32","shape":[3],"data_offsets":[20,36]}}""", "needs 24 bytes but its data_offsets span 20")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"w":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}}""", "declares 'w' twice")]
    [InlineData("""{"w":{"shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}}""", "tensor 'w' has no \"dtype\"")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2,-3],"data_offsets":[0,24]},"b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}}""", "whole number")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0]},"b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}}""", "1 data_offsets instead of 2")]
    [InlineData("""{"__metadata__":{"format":1},"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}}""", "metadata entry 'format' is not a string")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}""", "not valid JSON")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}}x""", "not valid JSON")]
    [InlineData("""["w"]""", "the header is not a JSON object")]
    [InlineData("", "not valid JSON")]
    public void A_malformed_header_is_refused(string json, string message, int dataLength = 36) =>
        AssertRefused<InvalidDataException>(File(json, new byte[dataLength]), message);

    [Fact]
    public void Invalid_UTF8_in_the_header_is_refused()
    {
        byte[] file = File(TwoTensors, s_twoTensorData);
        int quote = Array.IndexOf(file, (byte)'w');
        file[quote] = 0xFF;
        AssertRefused<InvalidDataException>(file, "not valid JSON");
    }

    [Fact]
    public void A_header_length_beyond_the_file_is_refused()
    {
        byte[] file = File(TwoTensors, s_twoTensorData);
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)file.Length);
        AssertRefused<InvalidDataException>(file, "but only");
        BinaryPrimitives.WriteUInt64LittleEndian(file, ulong.MaxValue);
        AssertRefused<InvalidDataException>(file, "more than the 100000000-byte limit");
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)file.Length);
        Assert.Throws<InvalidDataException>(() => Safetensors.Read(new ForwardOnlyStream(file), s_pair));
    }

    [Fact]
    public void Empty_truncated_and_overlong_files_are_refused()
    {
        AssertRefused<InvalidDataException>([], "empty");
        AssertRefused<InvalidDataException>([1, 0, 0], "truncated");
        byte[] file = File(TwoTensors, s_twoTensorData);
        for (int length = 1; length < file.Length; length++)
        {
            AssertRefused<InvalidDataException>(file[..length], null);
            Assert.Throws<InvalidDataException>(() => Safetensors.Read(new ForwardOnlyStream(file[..length]), s_pair));
        }

        Assert.Throws<InvalidDataException>(() => Safetensors.Read(new ForwardOnlyStream([.. file, 0]), s_pair));
    }

    [Fact]
    public void Random_corruption_is_either_harmless_or_refused_cleanly()
    {
        // The format has no checksum, so a flipped data byte loads (as a different value); anything else must be
        // refused with one of the two documented exceptions, and never half-copied.
        byte[] original = File(TwoTensors, s_twoTensorData);
        var random = new Random(7);
        for (int iteration = 0; iteration < 2_000; iteration++)
        {
            byte[] file = (byte[])original.Clone();
            file[random.Next(file.Length)] ^= (byte)random.Next(1, 256);
            float[] w = [-7, -7, -7, -7, -7, -7];
            try
            {
                Safetensors.Read(new MemoryStream(file), s_pair).CopyTo<float>("w", w);
            }
            catch (Exception e) when (e is InvalidDataException or ArgumentException)
            {
                Assert.All(w, v => Assert.Equal(-7f, v));
            }
        }
    }

    // ---- Writing ----

    [Fact]
    public void A_write_that_fails_leaves_the_previous_file_and_no_temporary_file()
    {
        string folder = CheckpointTests.TemporaryFolder();
        string path = Path.Combine(folder, "model.safetensors");
        Safetensors.Write(path, [("w", [2], new float[] { 1, 2 })]);
        byte[] previous = System.IO.File.ReadAllBytes(path);

        Assert.Throws<ArgumentException>(() => Safetensors.Write(path, [("w", [2], new float[] { 1, 2, 3 })]));
        Assert.Throws<ArgumentException>(() => Safetensors.Write(path, [("w", [2], new float[] { 1, 2 }), ("w", [1], new float[] { 3 })]));
        using (var writer = new SafetensorsWriter(path, [new("w", TensorDType.F32, 2), new("b", TensorDType.F32, 1)]))
        {
            writer.Write<float>("w", [5, 6]);
            Assert.Throws<ArgumentException>(() => writer.Write<double>("b", [7]));
            Assert.Throws<ArgumentException>(() => writer.Write<float>("x", [7]));
            Assert.Throws<ArgumentException>(() => writer.Write<float>("b", [7, 8]));
            Assert.Throws<InvalidOperationException>(writer.Commit);
        }

        Assert.Equal([path], Directory.GetFiles(folder));
        Assert.Equal(previous, System.IO.File.ReadAllBytes(path));
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void Specs_refuse_bad_names_and_shapes()
    {
        Assert.Throws<ArgumentException>(() => new TensorSpec("", TensorDType.F32, 1));
        Assert.Throws<ArgumentException>(() => new TensorSpec("__metadata__", TensorDType.F32, 1));
        Assert.Throws<ArgumentException>(() => new TensorSpec("w", TensorDType.F32, 2, -1));
        Assert.Throws<ArgumentException>(() => new TensorSpec("w", TensorDType.F32, 65_536, 65_536));
        Assert.Throws<ArgumentException>(() => new TensorSpec("w", (TensorDType)7, 1));
        Assert.Equal(0, new TensorSpec("w", TensorDType.F32, 65_536, 65_536, 0).ElementCount);
        Assert.Equal("w F64 [2, 3]", new TensorSpec("w", TensorDType.F64, 2, 3).ToString());
    }

    // ---- Helpers ----

    /// <summary>A safetensors file from its definition: u64 little-endian N, N bytes of JSON (padded with spaces), data.</summary>
    private static byte[] File(string json, byte[] data, bool pad = true)
    {
        byte[] header = Encoding.UTF8.GetBytes(json);
        int length = pad ? (header.Length + 7) / 8 * 8 : header.Length;
        byte[] file = new byte[8 + length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)length);
        file.AsSpan(8, length).Fill((byte)' ');
        header.CopyTo(file, 8);
        data.CopyTo(file, 8 + length);
        return file;
    }

    private static byte[] Single(float value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] Double(double value)
    {
        byte[] bytes = new byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(bytes, value);
        return bytes;
    }

    private static void AssertBits(float[] expected, ReadOnlySpan<float> actual) =>
        Assert.Equal(expected.Select(BitConverter.SingleToUInt32Bits), actual.ToArray().Select(BitConverter.SingleToUInt32Bits));

    /// <summary>Loads the way a model would (read, then copy each tensor) and checks nothing was copied.</summary>
    private static void AssertRefused<TException>(byte[] file, string? message)
        where TException : Exception
    {
        float[] w = [-7, -7, -7, -7, -7, -7];
        float[] b = [-7, -7, -7];
        var ex = Assert.Throws<TException>(() =>
        {
            SafetensorsContents contents = Safetensors.Read(new MemoryStream(file), s_pair);
            contents.CopyTo<float>("w", w);
            contents.CopyTo<float>("b", b);
        });
        if (message is not null)
        {
            Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        }

        Assert.All(w.Concat(b), v => Assert.Equal(-7f, v));
    }
}
