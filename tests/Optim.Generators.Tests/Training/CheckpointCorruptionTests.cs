using System;
using System.Buffers.Binary;
using System.IO;
using System.Numerics;
using Optim.Training;
using Xunit;

namespace Optim.Generators.Tests.Training;

/// <summary>
/// A damaged checkpoint never loads and never changes the model: every truncation, thousands of random byte flips,
/// an empty file, a foreign file, an unknown version and trailing data all throw <see cref="InvalidDataException"/>
/// before the first value is copied.
/// </summary>
public sealed class CheckpointCorruptionTests
{
    [Fact]
    public void Every_truncation_is_refused_and_leaves_the_model_untouched()
    {
        byte[] bytes = CheckpointTestData.Save(CheckpointTestData.Model<float>.Sample());
        for (int length = 0; length < bytes.Length; length++)
        {
            var ex = AssertCorrupt<float>(bytes.AsSpan(0, length).ToArray());
            Assert.Contains(length == 0 ? "empty" : "truncated", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_truncation_of_a_forward_only_stream_is_refused()
    {
        byte[] bytes = CheckpointTestData.Save(CheckpointTestData.Model<double>.Sample());
        for (int length = 0; length < bytes.Length; length++)
        {
            byte[] prefix = bytes.AsSpan(0, length).ToArray();
            var model = CheckpointTestData.Model<double>.Sentinel();
            string before = model.Bits();
            Assert.Throws<InvalidDataException>(() => model.Load(CheckpointReader.Read<double>(new ForwardOnlyStream(prefix), CheckpointTestData.Layout())));
            Assert.Equal(before, model.Bits());
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Random_byte_flips_are_refused_and_leave_the_model_untouched(int flipsPerCase)
    {
        byte[] original = CheckpointTestData.Save(CheckpointTestData.Model<float>.Sample());
        var random = new Random(20_261_126 + flipsPerCase);
        for (int iteration = 0; iteration < 2_000; iteration++)
        {
            byte[] bytes = (byte[])original.Clone();
            for (int flip = 0; flip < flipsPerCase; flip++)
            {
                bytes[random.Next(bytes.Length)] ^= (byte)random.Next(1, 256);
            }

            if (bytes.AsSpan().SequenceEqual(original))
            {
                continue; // two flips of one byte cancelled out
            }

            AssertCorrupt<float>(bytes);
        }
    }

    [Fact]
    public void A_flipped_value_byte_is_caught_by_the_checksum()
    {
        byte[] bytes = CheckpointTestData.Save(CheckpointTestData.Model<double>.Sample());
        // Section "W"'s values start after the header (40 bytes), its name (4 + 1) and its count (4).
        bytes[52] ^= 0x10;
        Assert.Contains("checksum", AssertCorrupt<double>(bytes).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_stream_is_refused()
    {
        Assert.Equal("The checkpoint is empty: it has no bytes at all.", AssertCorrupt<float>([]).Message);
    }

    [Fact]
    public void A_file_that_is_not_a_checkpoint_is_refused()
    {
        byte[] bytes = CheckpointTestData.Save(CheckpointTestData.Model<float>.Sample());
        bytes[7] = (byte)'Q';
        Assert.Equal("This is not an Optim checkpoint: it does not start with \"OPTIMCKP\".", AssertCorrupt<float>(bytes).Message);
        Assert.Contains("not an Optim checkpoint", AssertCorrupt<float>([0x89, (byte)'P', (byte)'N', (byte)'G']).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(3u)]
    [InlineData(0xFFFFFFFFu)]
    public void An_unknown_format_version_is_refused(uint version)
    {
        byte[] bytes = CheckpointTestData.Save(CheckpointTestData.Model<float>.Sample());
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), version);
        Assert.Equal(
            $"The checkpoint has format version {version}, which this version of Optim cannot read (it reads versions 1 and 2).",
            AssertCorrupt<float>(bytes).Message);
    }

    [Fact]
    public void Trailing_data_after_the_checksum_is_refused()
    {
        byte[] bytes = CheckpointTestData.Save(CheckpointTestData.Model<float>.Sample());
        byte[] longer = [.. bytes, 0];
        Assert.Contains("1 bytes of unexpected data after the checksum", AssertCorrupt<float>(longer).Message, StringComparison.Ordinal);
        var model = CheckpointTestData.Model<float>.Sentinel();
        Assert.Throws<InvalidDataException>(() => model.Load(CheckpointReader.Read<float>(new ForwardOnlyStream(longer), CheckpointTestData.Layout())));
    }

    [Fact]
    public void A_corrupted_length_fails_before_anything_is_allocated_for_it()
    {
        byte[] bytes = CheckpointTestData.Save(CheckpointTestData.Model<float>.Sample());
        // The section count follows magic (8), version (4), "Mlp" (4 + 3), element (1), "Adam" (4 + 4) and the hash (8).
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(36), 0xFFFFFFFF);
        Assert.Contains("a table of 4294967295 sections needs", AssertCorrupt<float>(bytes).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupted_checkpoint_of_another_model_reports_the_corruption()
    {
        // Intact but foreign: a mismatch. Foreign and damaged: the damage, which is the real problem.
        byte[] bytes = CheckpointTestData.Save(CheckpointTestData.Model<float>.Sample(), CheckpointTestData.Layout(model: "Foo"));
        bytes[^10] ^= 1;
        var model = CheckpointTestData.Model<float>.Sentinel();
        Assert.Throws<InvalidDataException>(() => model.Load(CheckpointReader.Read<float>(new MemoryStream(bytes), CheckpointTestData.Layout(model: "Bar"))));
    }

    private static InvalidDataException AssertCorrupt<T>(byte[] bytes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var model = CheckpointTestData.Model<T>.Sentinel();
        string before = model.Bits();
        var ex = Assert.Throws<InvalidDataException>(() => model.Load(CheckpointReader.Read<T>(new MemoryStream(bytes), CheckpointTestData.Layout())));
        Assert.Equal(before, model.Bits());
        return ex;
    }
}
