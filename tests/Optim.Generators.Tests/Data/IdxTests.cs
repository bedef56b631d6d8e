using System;
using System.IO;
using Optim.Data;
using Xunit;

namespace Optim.Generators.Tests.Data;

/// <summary>The IDX reader: well-formed files round-trip (plain and gzip); every malformed one is an exception naming the file and the fault.</summary>
public sealed class IdxTests : IDisposable
{
    private readonly IdxFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Images_are_read_with_their_dimensions_and_every_byte(bool gzip)
    {
        string path = _files.Images("images", count: 3, rows: 4, columns: 5, gzip);

        IdxImages images = Idx.ReadImages(path);

        Assert.Equal((3, 4, 5), (images.Count, images.Rows, images.Columns));
        Assert.Equal(IdxFiles.Pattern(60), images.Pixels);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Labels_are_read_byte_for_byte(bool gzip)
    {
        byte[] labels = [3, 0, 9, 1, 255];
        Assert.Equal(labels, Idx.ReadLabels(_files.Labels("labels", labels, gzip)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_labels_file_read_as_images_is_a_wrong_magic_number(bool gzip)
    {
        string path = _files.Labels("labels", [1, 2], gzip);

        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("wrong magic number 0x00000801", e.Message, StringComparison.Ordinal);
        Assert.Contains("0x00000803", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_labels_file_of_another_element_type_is_a_wrong_magic_number()
    {
        string path = _files.Write("labels", IdxFiles.Encode(0x0C01, [2], [0, 0, 0, 1, 0, 0, 0, 2])); // int32 labels

        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(path));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("wrong magic number 0x00000C01", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(9)]
    public void A_file_that_ends_inside_the_header_is_truncated(int length)
    {
        byte[] whole = IdxFiles.Encode(0x803, [1, 2, 2], [1, 2, 3, 4]);
        string path = _files.Write("images", whole[..length]);

        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_file_shorter_than_its_header_says_is_truncated_with_both_sizes_named(bool gzip)
    {
        byte[] whole = IdxFiles.Encode(0x803, [3, 2, 2], IdxFiles.Pattern(12));
        string path = _files.Write("images", whole[..^5], gzip);

        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
        Assert.Contains("3 images of 2 x 2 (12 bytes of data) but only 7 follow", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cut_gzip_stream_is_named_as_such()
    {
        byte[] compressed = IdxFiles.Gzip(IdxFiles.Encode(0x801, [5000], IdxFiles.Pattern(5000)));
        string path = _files.Write("labels.gz", compressed[..(compressed.Length / 2)]);

        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(path));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Matches("truncated|corrupt", e.Message);
    }

    [Fact]
    public void Bytes_after_the_announced_data_are_refused()
    {
        string path = _files.Write("labels", IdxFiles.Encode(0x801, [2], [1, 2, 3]));

        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(path));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("more data than the header announces", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-4)]
    public void A_dimension_below_one_is_refused(int rows)
    {
        string path = _files.Write("images", IdxFiles.Encode(0x803, [1, rows, 2], []));

        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains($"dimension 2 is {rows}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        string path = Path.Combine(_files.Folder, "absent.gz");

        var e = Assert.Throws<FileNotFoundException>(() => Idx.ReadImages(path));

        Assert.Equal(path, e.FileName);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }
}
