using System;
using System.IO;
using System.Linq;
using Optim.Data;
using Xunit;

namespace Optim.Generators.Tests.Data;

/// <summary>Images with labels: read from IDX pairs with every cross-file check, statistics, normalisation, selection; Fashion-MNIST's folder.</summary>
public sealed class LabelledImagesTests : IDisposable
{
    private readonly IdxFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_idx_pair_becomes_one_channel_images_scaled_to_the_unit_interval(bool gzip)
    {
        string images = _files.Images("images", count: 4, rows: 3, columns: 2, gzip);
        string labels = _files.Labels("labels", [2, 0, 1, 2], gzip);

        LabelledImages set = LabelledImages.ReadIdx(images, labels, classes: 3);

        Assert.Equal((4, 1, 3, 2, 6, 3), (set.Count, set.Channels, set.Height, set.Width, set.ImageSize, set.Classes));
        Assert.Equal([2, 0, 1, 2], set.Labels.ToArray());
        byte[] raw = IdxFiles.Pattern(24);
        for (int k = 0; k < raw.Length; k++)
        {
            Assert.Equal(raw[k] / 255f, set.Pixels[k]);
        }

        Assert.Equal(set.Pixels.Slice(12, 6).ToArray(), set.Image(2).ToArray());
    }

    [Fact]
    public void A_label_count_that_differs_from_the_image_count_names_both_files_and_counts()
    {
        string images = _files.Images("images", count: 4, rows: 2, columns: 2);
        string labels = _files.Labels("labels", [0, 1, 1]);

        var e = Assert.Throws<InvalidDataException>(() => LabelledImages.ReadIdx(images, labels, classes: 2));

        Assert.Contains(images, e.Message, StringComparison.Ordinal);
        Assert.Contains(labels, e.Message, StringComparison.Ordinal);
        Assert.Contains("3 labels", e.Message, StringComparison.Ordinal);
        Assert.Contains("4 images", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_label_outside_the_classes_names_the_file_the_label_and_its_position()
    {
        string images = _files.Images("images", count: 3, rows: 2, columns: 2);
        string labels = _files.Labels("labels", [0, 9, 10], gzip: true);

        var e = Assert.Throws<InvalidDataException>(() => LabelledImages.ReadIdx(images, labels, classes: 10));

        Assert.Contains(labels, e.Message, StringComparison.Ordinal);
        Assert.Contains("label 10 of example 2 is outside [0, 10)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_constructor_refuses_pixels_that_do_not_fit_the_labels_and_labels_outside_the_classes()
    {
        var e = Assert.Throws<ArgumentException>(() => new LabelledImages(new float[11], [0, 1], 1, 2, 3, 2));
        Assert.Contains("11 pixels are not 2 images", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ArgumentException>(() => new LabelledImages(new float[12], [0, -1], 1, 2, 3, 2));
        Assert.Contains("Label -1 at index 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Statistics_match_a_double_oracle_and_normalising_with_them_gives_mean_zero_and_deviation_one()
    {
        var random = new Random(5);
        float[] pixels = Enumerable.Range(0, 3 * 2 * 4 * 5).Select(_ => random.NextSingle() * 3 + 1).ToArray();
        var set = new LabelledImages((float[])pixels.Clone(), [0, 1, 0], 2, 4, 5, 2);

        var (mean, deviation) = set.PixelStatistics();

        double oracleMean = pixels.Average(p => (double)p);
        double oracleDeviation = Math.Sqrt(pixels.Average(p => (p - oracleMean) * (p - oracleMean)));
        Assert.Equal(oracleMean, mean, 5);
        Assert.Equal(oracleDeviation, deviation, 5);

        set.Normalize(mean, deviation);
        for (int k = 0; k < pixels.Length; k++)
        {
            Assert.Equal((pixels[k] - mean) * (1 / deviation), set.Pixels[k]);
        }

        var (after, afterDeviation) = set.PixelStatistics();
        Assert.Equal(0, after, 5);
        Assert.Equal(1, afterDeviation, 4);
    }

    [Theory]
    [InlineData(0f, 0f)]
    [InlineData(0f, -1f)]
    [InlineData(float.NaN, 1f)]
    [InlineData(0f, float.PositiveInfinity)]
    public void Normalize_refuses_a_deviation_that_is_not_positive_and_finite_or_a_mean_that_is_not_finite(float mean, float deviation)
    {
        var set = new LabelledImages(new float[4], [0], 1, 2, 2, 1);

        Assert.Throws<ArgumentOutOfRangeException>(() => set.Normalize(mean, deviation));
        Assert.Equal(new float[4], set.Pixels.ToArray());
    }

    [Fact]
    public void Select_copies_the_chosen_images_and_labels_in_the_given_order()
    {
        var set = new LabelledImages(Enumerable.Range(0, 5 * 4).Select(i => (float)i).ToArray(), [0, 1, 2, 3, 4], 1, 2, 2, 5);

        LabelledImages chosen = set.Select([4, 0, 4]);

        Assert.Equal([4, 0, 4], chosen.Labels.ToArray());
        Assert.Equal([16f, 17, 18, 19, 0, 1, 2, 3, 16, 17, 18, 19], chosen.Pixels.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Select([5]));
    }

    [Fact]
    public void A_missing_fashion_folder_names_the_debian_package_to_install()
    {
        string folder = Path.Combine(_files.Folder, "nowhere");

        var e = Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Load(folder));

        Assert.Contains(folder, e.Message, StringComparison.Ordinal);
        Assert.Contains("dataset-fashion-mnist", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fashion_folder_without_a_file_names_the_missing_file()
    {
        _files.Images("train-images-idx3-ubyte.gz", 2, 28, 28, gzip: true);
        _files.Labels("train-labels-idx1-ubyte.gz", [0, 1], gzip: true);
        _files.Images("t10k-images-idx3-ubyte.gz", 1, 28, 28, gzip: true);

        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(_files.Folder));

        Assert.Contains("t10k-labels-idx1-ubyte", e.Message, StringComparison.Ordinal);
        Assert.Contains("dataset-fashion-mnist", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fashion_folder_of_gzip_and_plain_files_loads_both_sets()
    {
        _files.Images("train-images-idx3-ubyte.gz", 3, 28, 28, gzip: true);
        _files.Labels("train-labels-idx1-ubyte", [9, 0, 5]);
        _files.Images("t10k-images-idx3-ubyte", 2, 28, 28);
        _files.Labels("t10k-labels-idx1-ubyte.gz", [1, 8], gzip: true);

        var (train, test) = FashionMnist.Load(_files.Folder);

        Assert.Equal([9, 0, 5], train.Labels.ToArray());
        Assert.Equal([1, 8], test.Labels.ToArray());
        Assert.Equal((28, 28, 10), (train.Height, train.Width, train.Classes));
        Assert.Equal(IdxFiles.Pattern(2 * 784).Select(b => b / 255f), test.Pixels.ToArray());
    }
}
