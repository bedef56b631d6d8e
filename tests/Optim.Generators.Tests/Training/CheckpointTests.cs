using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Text;
using Optim.Training;
using Xunit;

namespace Optim.Generators.Tests.Training;

/// <summary>
/// Checkpoints round-trip every value bit for bit, are laid out byte for byte as docs/checkpoints.md says, refuse
/// another model, element type, optimizer or layout with a message naming the difference, and are saved atomically.
/// </summary>
public sealed class CheckpointTests
{
    [Fact]
    public void Float_checkpoint_round_trips_every_value_bit_for_bit() => RoundTrip<float>();

    [Fact]
    public void Double_checkpoint_round_trips_every_value_bit_for_bit() => RoundTrip<double>();

    private static void RoundTrip<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var saved = CheckpointTestData.Model<T>.Sample();
        saved.Step = long.MinValue;
        saved.Beta1Power = -0.0;
        byte[] bytes = CheckpointTestData.Save(saved);

        var restored = CheckpointTestData.Model<T>.Sentinel();
        restored.Load(CheckpointReader.Read<T>(new MemoryStream(bytes), CheckpointTestData.Layout()));
        Assert.Equal(saved.Bits(), restored.Bits());

        // A stream that cannot seek (and returns short reads) gives the same result.
        var forwardOnly = CheckpointTestData.Model<T>.Sentinel();
        forwardOnly.Load(CheckpointReader.Read<T>(new ForwardOnlyStream(bytes), CheckpointTestData.Layout()));
        Assert.Equal(saved.Bits(), forwardOnly.Bits());
    }

    [Fact]
    public void A_large_section_round_trips_through_a_file()
    {
        // Larger than the 64 KiB chunks the reader and writer work in, and not a multiple of them.
        var layout = new CheckpointLayout("Big", "Sgd", "W[100003]", [new("W", 100_003)], []);
        double[] values = Enumerable.Range(0, 100_003).Select(i => Math.Sin(i) * 1e3).ToArray();
        string folder = TemporaryFolder();
        string path = Path.Combine(folder, "big.ckpt");
        using (var writer = new CheckpointWriter<double>(path, layout))
        {
            writer.WriteSection("W", values);
            writer.Commit();
        }

        double[] restored = new double[values.Length];
        CheckpointReader.Read<double>(path, layout).CopySectionTo("W", restored);
        Assert.Equal(values, restored);
        Assert.Equal(["big.ckpt"], Directory.GetFiles(folder).Select(Path.GetFileName));
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void The_file_is_laid_out_byte_for_byte_as_documented()
    {
        var model = CheckpointTestData.Model<float>.Sample();
        byte[] actual = CheckpointTestData.Save(model);

        // Built from docs/checkpoints.md, field by field.
        var expected = new MemoryStream();
        void Bytes(ReadOnlySpan<byte> b) => expected.Write(b);
        void U32(uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); Bytes(b); }
        void U64(ulong v) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteUInt64LittleEndian(b, v); Bytes(b); }
        void Str(string s) { U32((uint)Encoding.UTF8.GetByteCount(s)); Bytes(Encoding.UTF8.GetBytes(s)); }
        void Section(string name, float[] values)
        {
            Str(name);
            U32((uint)values.Length);
            foreach (float v in values)
            {
                U32(BitConverter.SingleToUInt32Bits(v));
            }
        }

        Bytes("OPTIMCKP"u8);
        U32(2);
        Str("Mlp");
        expected.WriteByte(0);
        Str("Adam");
        U64(CheckpointTestData.ReferenceFnv1a64(Encoding.UTF8.GetBytes(CheckpointTestData.Description)));
        U32(4);
        Section("W", model.W);
        Section("B", model.B);
        Section("expAvg", model.ExpAvg);
        Section("expAvgSq", model.ExpAvgSq);
        U32(3);
        Str("step");
        expected.WriteByte(0);
        U64((ulong)model.Step);
        Str("lr");
        expected.WriteByte(1);
        U64(BitConverter.DoubleToUInt64Bits(model.Lr));
        Str("beta1Power");
        expected.WriteByte(1);
        U64(BitConverter.DoubleToUInt64Bits(model.Beta1Power));
        U32(3);
        Str("Lr");
        U64(BitConverter.DoubleToUInt64Bits(3e-4));
        Str("Beta1");
        U64(BitConverter.DoubleToUInt64Bits(0.9));
        Str("Amsgrad");
        U64(0);
        U32(CheckpointTestData.ReferenceCrc32(expected.ToArray()));

        Assert.Equal(Convert.ToHexString(expected.ToArray()), Convert.ToHexString(actual));
    }

    [Fact]
    public void A_version_1_checkpoint_still_loads_without_hyperparameters()
    {
        // Version 1 is version 2 without the hyperparameter table (docs/checkpoints.md, "Versions").
        var saved = CheckpointTestData.Model<float>.Sample();
        byte[] version2 = CheckpointTestData.Save(saved);
        int table = version2.Length - 4 - (4 + (4 + 2 + 8) + (4 + 5 + 8) + (4 + 7 + 8));
        byte[] version1 = [.. version2[..table], 0, 0, 0, 0];
        BinaryPrimitives.WriteUInt32LittleEndian(version1.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(version1.AsSpan(table), CheckpointTestData.ReferenceCrc32(version1.AsSpan(0, table)));

        CheckpointContents<float> contents = CheckpointReader.Read<float>(new MemoryStream(version1), CheckpointTestData.Layout(beta1: 0.8));
        Assert.Equal(1u, contents.FormatVersion);
        Assert.Null(contents.Hyperparameters);
        Assert.True(contents.HyperparametersMatch); // assumed, so the caller checks the state against its own values
        var loaded = CheckpointTestData.Model<float>.Sentinel();
        loaded.Load(contents);
        Assert.Equal(saved.Bits(), loaded.Bits());

        Assert.False(CheckpointReader.Read<float>(new MemoryStream(version1), CheckpointTestData.Layout(), allowHyperparameterChanges: true).HyperparametersMatch);
    }

    [Fact]
    public void The_hyperparameters_are_recorded_and_read_back()
    {
        byte[] bytes = CheckpointTestData.Save(CheckpointTestData.Model<double>.Sample());
        CheckpointContents<double> contents = CheckpointReader.Read<double>(new MemoryStream(bytes), CheckpointTestData.Layout());
        Assert.Equal(2u, contents.FormatVersion);
        Assert.True(contents.HyperparametersMatch);
        Assert.Equal([new("Lr", 3e-4), new CheckpointHyperparameter("Beta1", 0.9), new("Amsgrad", 0)], contents.Hyperparameters!);
    }

    [Fact]
    public void Other_hyperparameters_are_refused_naming_each_difference_unless_allowed()
    {
        byte[] bytes = CheckpointTestData.Save(CheckpointTestData.Model<float>.Sample());
        CheckpointLayout other = CheckpointTestData.Layout(hyperparameters: [new("Lr", 1e-3), new("Beta1", 0.9), new("Eps", 1e-8)]);
        var model = CheckpointTestData.Model<float>.Sentinel();
        string before = model.Bits();
        var error = Assert.Throws<ArgumentException>(() => model.Load(CheckpointReader.Read<float>(new MemoryStream(bytes), other)));
        Assert.Equal(
            "The checkpoint was saved with other hyperparameters than 'Mlp' has: Lr saved 0.0003, this model 0.001; Eps not recorded, "
            + "this model 1E-08; Amsgrad saved 0, this model has none. Load it with allowHyperparameterChanges: true to resume with "
            + "this model's values. (Parameter 'layout')",
            error.Message);
        Assert.Equal(before, model.Bits());

        CheckpointContents<float> allowed = CheckpointReader.Read<float>(new MemoryStream(bytes), other, allowHyperparameterChanges: true);
        Assert.False(allowed.HyperparametersMatch);
        Assert.Equal(0.9, allowed.Hyperparameters!.Single(h => h.Name == "Beta1").Value);
    }

    [Fact]
    public void Hyperparameters_compare_bit_for_bit()
    {
        // −0 and 0 are other values; NaN (Adafactor's "machine epsilon" default) equals itself.
        byte[] bytes = CheckpointTestData.Save(CheckpointTestData.Model<float>.Sample(), CheckpointTestData.Layout(hyperparameters: [new("A", double.NaN), new("B", 0.0)]));
        Assert.True(CheckpointReader.Read<float>(new MemoryStream(bytes), CheckpointTestData.Layout(hyperparameters: [new("A", double.NaN), new("B", 0.0)])).HyperparametersMatch);
        string message = Assert.Throws<ArgumentException>(() => CheckpointReader.Read<float>(new MemoryStream(bytes), CheckpointTestData.Layout(hyperparameters: [new("A", double.NaN), new("B", -0.0)]))).Message;
        Assert.Contains("B saved 0, this model -0", message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_references_match_the_published_check_values()
    {
        Assert.Equal(0xCBF43926u, CheckpointTestData.ReferenceCrc32("123456789"u8));
        Assert.Equal(0xCBF29CE484222325ul, CheckpointTestData.ReferenceFnv1a64(""u8));
        Assert.Equal(0xAF63DC4C8601EC8Cul, CheckpointTestData.ReferenceFnv1a64("a"u8));
        Assert.Equal(0xAF63DC4C8601EC8Cul, new CheckpointLayout("M", "Sgd", "a", [], []).Hash);
    }

    [Fact]
    public void A_checkpoint_with_no_sections_or_scalars_round_trips()
    {
        var layout = new CheckpointLayout("Empty", "Sgd", "", [], []);
        var stream = new MemoryStream();
        using (var writer = new CheckpointWriter<float>(stream, layout))
        {
            writer.Commit();
        }

        CheckpointContents<float> contents = CheckpointReader.Read<float>(new MemoryStream(stream.ToArray()), layout);
        Assert.Same(layout, contents.Layout);
    }

    // ---- Refusals of intact checkpoints that do not fit: ArgumentException saying what differs ----

    [Fact]
    public void Another_model_is_refused_by_name()
    {
        byte[] bytes = CheckpointTestData.Save(CheckpointTestData.Model<float>.Sample(), CheckpointTestData.Layout(model: "Foo"));
        AssertRefused<float>(bytes, CheckpointTestData.Layout(model: "Bar"), "The checkpoint is for model 'Foo' but this is 'Bar'.");
    }

    [Fact]
    public void Another_element_type_is_refused()
    {
        byte[] bytes = CheckpointTestData.Save(CheckpointTestData.Model<float>.Sample());
        AssertRefused<double>(bytes, CheckpointTestData.Layout(), "The checkpoint holds float values but 'Mlp' uses double.");
    }

    [Fact]
    public void Another_optimizer_is_refused()
    {
        byte[] bytes = CheckpointTestData.Save(CheckpointTestData.Model<float>.Sample());
        AssertRefused<float>(bytes, CheckpointTestData.Layout(optimizer: "AdamW"), "The checkpoint was saved with optimizer 'Adam' but 'Mlp' uses 'AdamW'.");
    }

    [Fact]
    public void Another_layout_is_refused_naming_the_section_that_differs()
    {
        var small = CheckpointTestData.Layout(description: "small", stateLength: 37);
        var sample = CheckpointTestData.Model<float>.Sample();
        byte[] bytes;
        using (var stream = new MemoryStream())
        {
            using (var writer = new CheckpointWriter<float>(stream, small))
            {
                writer.WriteSection("W", sample.W);
                writer.WriteSection("B", sample.B);
                writer.WriteSection("expAvg", new float[37]);
                writer.WriteSection("expAvgSq", new float[37]);
                writer.WriteScalar("step", 1L);
                writer.WriteScalar("lr", 0.1);
                writer.WriteScalar("beta1Power", 0.9);
                writer.Commit();
            }

            bytes = stream.ToArray();
        }

        var large = CheckpointTestData.Layout(description: "large", stateLength: 40);
        AssertRefused<float>(bytes, large,
            $"The checkpoint was saved with another layout of 'Mlp' (layout hash 0x{small.Hash:X16}; this model's is 0x{large.Hash:X16}): section 'expAvg' has 37 values, expected 40.");
    }

    [Fact]
    public void A_layout_that_differs_only_in_its_description_is_refused_by_hash()
    {
        byte[] bytes = CheckpointTestData.Save(CheckpointTestData.Model<float>.Sample());
        var other = CheckpointTestData.Layout(description: "W[3,2] B[3]");
        var ex = AssertRefused<float>(bytes, other, null);
        Assert.Contains($"layout hash 0x{CheckpointTestData.Layout().Hash:X16}; this model's is 0x{other.Hash:X16}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("same names and sizes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("\"W[3,2] B[3]\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_scalar_of_another_kind_is_refused_by_name()
    {
        var integerLr = CheckpointTestData.Layout(lrKind: CheckpointScalarKind.WholeNumber);
        byte[] bytes = CheckpointTestData.Save(CheckpointTestData.Model<float>.Sample());
        AssertRefused<float>(bytes, integerLr, "The checkpoint does not fit 'Mlp': scalar 'lr' is a double in the checkpoint, expected a 64-bit integer.");
    }

    [Fact]
    public void Missing_and_extra_sections_are_named()
    {
        var oneSection = new CheckpointLayout("M", "Sgd", "d", [new("W", 2)], []);
        var twoSections = new CheckpointLayout("M", "Sgd", "d", [new("W", 2), new("B", 1)], []);
        var stream = new MemoryStream();
        using (var writer = new CheckpointWriter<float>(stream, oneSection))
        {
            writer.WriteSection("W", [1f, 2f]);
            writer.Commit();
        }

        AssertRefused<float>(stream.ToArray(), twoSections, "The checkpoint does not fit 'M': section 'B' is missing from the checkpoint.");

        stream = new MemoryStream();
        using (var writer = new CheckpointWriter<float>(stream, twoSections))
        {
            writer.WriteSection("W", [1f, 2f]);
            writer.WriteSection("B", [3f]);
            writer.Commit();
        }

        AssertRefused<float>(stream.ToArray(), oneSection, "The checkpoint does not fit 'M': the checkpoint has a section 'B' this model does not have.");
    }

    private static ArgumentException AssertRefused<T>(byte[] bytes, CheckpointLayout layout, string? message)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var model = CheckpointTestData.Model<T>.Sentinel();
        string before = model.Bits();
        var ex = Assert.Throws<ArgumentException>(() => model.Load(CheckpointReader.Read<T>(new MemoryStream(bytes), layout)));
        if (message is not null)
        {
            Assert.Equal(message + " (Parameter 'layout')", ex.Message);
        }

        Assert.Equal(before, model.Bits());
        return ex;
    }

    // ---- The writer checks every entry against the layout before writing it ----

    [Fact]
    public void The_writer_refuses_entries_out_of_layout()
    {
        var layout = CheckpointTestData.Layout();
        var sample = CheckpointTestData.Model<float>.Sample();
        using var writer = new CheckpointWriter<float>(new MemoryStream(), layout);
        Assert.Contains("is 'W', not 'B'", Assert.Throws<ArgumentException>(() => writer.WriteSection("B", sample.B)).Message, StringComparison.Ordinal);
        Assert.Contains("Section 'W' has 3 values; the layout says 6.", Assert.Throws<ArgumentException>(() => writer.WriteSection("W", sample.B)).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => writer.WriteScalar("step", 1L));
        writer.WriteSection("W", sample.W);
        writer.WriteSection("B", sample.B);
        writer.WriteSection("expAvg", sample.ExpAvg);
        writer.WriteSection("expAvgSq", sample.ExpAvgSq);
        Assert.Throws<InvalidOperationException>(() => writer.WriteSection("extra", sample.B));
        Assert.Contains("is a 64-bit integer in the layout, not a double", Assert.Throws<ArgumentException>(() => writer.WriteScalar("step", 1.0)).Message, StringComparison.Ordinal);
        writer.WriteScalar("step", 1L);
        Assert.Contains("scalar 'lr' has not been written", Assert.Throws<InvalidOperationException>(writer.Commit).Message, StringComparison.Ordinal);
        writer.WriteScalar("lr", 0.1);
        writer.WriteScalar("beta1Power", 0.9);
        writer.Commit();
        Assert.Throws<InvalidOperationException>(writer.Commit);
    }

    [Fact]
    public void Layouts_refuse_duplicate_and_empty_names()
    {
        Assert.Throws<ArgumentException>(() => new CheckpointLayout("M", "Sgd", "", [new("W", 1), new("W", 2)], []));
        Assert.Throws<ArgumentException>(() => new CheckpointLayout("M", "Sgd", "", [new("", 1)], []));
        Assert.Throws<ArgumentException>(() => new CheckpointLayout("M", "Sgd", "", [new("W", -1)], []));
        Assert.Throws<ArgumentException>(() => new CheckpointLayout("", "Sgd", "", [], []));
        Assert.Throws<ArgumentException>(() => new CheckpointLayout("M", "Sgd", "", [], [new("s", CheckpointScalarKind.WholeNumber), new("s", CheckpointScalarKind.RealNumber)]));
        Assert.Throws<ArgumentException>(() => new CheckpointLayout("M\uD800", "Sgd", "", [], []));
    }

    // ---- Atomic save ----

    [Fact]
    public void A_save_that_fails_part_way_leaves_the_previous_checkpoint_and_no_temporary_file()
    {
        string folder = TemporaryFolder();
        string path = Path.Combine(folder, "model.ckpt");
        var layout = CheckpointTestData.Layout();
        var first = CheckpointTestData.Model<float>.Sample();
        using (var writer = new CheckpointWriter<float>(path, layout))
        {
            first.Save(writer);
        }

        byte[] previous = File.ReadAllBytes(path);

        // 1. The serializer (here: the code between two writes) throws after part of the checkpoint went to disk.
        var second = CheckpointTestData.Model<float>.Sample();
        second.Step = 99;
        Action failingSave = () =>
        {
            using var writer = new CheckpointWriter<float>(path, layout);
            writer.WriteSection("W", second.W);
            writer.WriteSection("B", second.B);
            throw new IOException("simulated failure in the middle of a save");
        };
        Assert.Throws<IOException>(failingSave);
        AssertOnly(folder, path, previous);

        // 2. The writer itself refuses an entry mid-write.
        Assert.Throws<ArgumentException>(() =>
        {
            using var writer = new CheckpointWriter<float>(path, layout);
            writer.WriteSection("W", second.W);
            writer.WriteSection("expAvg", second.ExpAvg);
        });
        AssertOnly(folder, path, previous);

        // 3. Abandoned without Commit: nothing replaces the previous checkpoint.
        using (var writer = new CheckpointWriter<float>(path, layout))
        {
            writer.WriteSection("W", second.W);
        }

        AssertOnly(folder, path, previous);

        // 4. The final move fails (the target is a folder): the temporary file goes, the folder stays.
        string blocked = Path.Combine(folder, "blocked");
        Directory.CreateDirectory(blocked);
        Assert.ThrowsAny<IOException>(() =>
        {
            using var writer = new CheckpointWriter<float>(blocked, layout);
            second.Save(writer);
        });
        Assert.Equal([path], Directory.GetFiles(folder));
        Assert.True(Directory.Exists(blocked));

        // 5. A successful save replaces it.
        using (var writer = new CheckpointWriter<float>(path, layout))
        {
            second.Save(writer);
        }

        Assert.Equal([path], Directory.GetFiles(folder));
        Assert.Equal(99, CheckpointReader.Read<float>(path, layout).GetInt64("step"));
        Directory.Delete(folder, recursive: true);
    }

    private static void AssertOnly(string folder, string path, byte[] previous)
    {
        Assert.Equal([path], Directory.GetFiles(folder));
        Assert.Equal(previous, File.ReadAllBytes(path));
    }

    internal static string TemporaryFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), "optim-training-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }
}
