using System;
using System.IO;

namespace Optim.Data;

/// <summary>
/// A set of images with a class label each: <see cref="Count"/> images of <see cref="Channels"/> × <see cref="Height"/>
/// × <see cref="Width"/> floats (channel-major, row by row: the layout a <c>[Shape(channels, height, width)]</c> network
/// input takes) and labels in [0, <see cref="Classes"/>). Read from IDX files with <see cref="ReadIdx"/>.
/// </summary>
public sealed class LabelledImages
{
    private readonly float[] _pixels;
    private readonly int[] _labels;

    /// <summary>Wraps <paramref name="pixels"/> and <paramref name="labels"/> (not copied) after checking that they agree.</summary>
    /// <exception cref="ArgumentException">A length does not match the shape, or a label is outside [0, classes).</exception>
    public LabelledImages(float[] pixels, int[] labels, int channels, int height, int width, int classes)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        long imageSize = (long)channels * height * width;
        if ((long)labels.Length * imageSize != pixels.Length)
        {
            throw new ArgumentException(
                $"{pixels.Length} pixels are not {labels.Length} images (one per label) of {channels} x {height} x {width}.", nameof(pixels));
        }

        int bad = Array.FindIndex(labels, label => (uint)label >= (uint)classes);
        if (bad >= 0)
        {
            throw new ArgumentException($"Label {labels[bad]} at index {bad} is outside [0, {classes}).", nameof(labels));
        }

        _pixels = pixels;
        _labels = labels;
        Channels = channels;
        Height = height;
        Width = width;
        Classes = classes;
    }

    /// <summary>The number of images (and labels).</summary>
    public int Count => _labels.Length;

    /// <summary>Channels of one image.</summary>
    public int Channels { get; }

    /// <summary>Rows of one image.</summary>
    public int Height { get; }

    /// <summary>Columns of one image.</summary>
    public int Width { get; }

    /// <summary>Floats per image: <see cref="Channels"/> × <see cref="Height"/> × <see cref="Width"/>.</summary>
    public int ImageSize => Channels * Height * Width;

    /// <summary>The number of classes; every label is below it.</summary>
    public int Classes { get; }

    /// <summary>Every image, one after the other.</summary>
    public ReadOnlySpan<float> Pixels => _pixels;

    /// <summary>Every label, in the order of the images.</summary>
    public ReadOnlySpan<int> Labels => _labels;

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Image(int index) => _pixels.AsSpan(checked(index * ImageSize), ImageSize);

    /// <summary>
    /// Reads an IDX images file and its labels file (gzip or plain; <see cref="Idx"/>) into one-channel images with
    /// pixels scaled from 0–255 to [0, 1].
    /// </summary>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// A file is malformed, the label count differs from the image count, or a label is not below <paramref name="classes"/>.
    /// </exception>
    public static LabelledImages ReadIdx(string imagesPath, string labelsPath, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classes, 256);
        IdxImages images = Idx.ReadImages(imagesPath);
        byte[] labelBytes = Idx.ReadLabels(labelsPath);
        if (labelBytes.Length != images.Count)
        {
            throw new InvalidDataException(
                $"{labelsPath}: {labelBytes.Length} labels, but {imagesPath} holds {images.Count} images; they must be equal.");
        }

        var labels = new int[labelBytes.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            if (labelBytes[i] >= classes)
            {
                throw new InvalidDataException($"{labelsPath}: label {labelBytes[i]} of example {i} is outside [0, {classes}).");
            }

            labels[i] = labelBytes[i];
        }

        var pixels = new float[images.Pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = images.Pixels[i] / 255f;
        }

        return new LabelledImages(pixels, labels, 1, images.Rows, images.Columns, classes);
    }

    /// <summary>The mean and the (population) standard deviation of every pixel of the set, summed in double.</summary>
    public (float Mean, float StandardDeviation) PixelStatistics()
    {
        double sum = 0, squares = 0;
        foreach (float p in _pixels)
        {
            sum += p;
            squares += (double)p * p;
        }

        double mean = sum / _pixels.Length;
        return ((float)mean, (float)Math.Sqrt(Math.Max(0, squares / _pixels.Length - mean * mean)));
    }

    /// <summary>
    /// Replaces every pixel p by (p − <paramref name="mean"/>) / <paramref name="standardDeviation"/>, in place. Normalise
    /// a test set with its training set's statistics.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The mean is not finite or the deviation is not positive and finite.</exception>
    public void Normalize(float mean, float standardDeviation)
    {
        if (!float.IsFinite(mean))
        {
            throw new ArgumentOutOfRangeException(nameof(mean), mean, "The mean must be finite.");
        }

        if (!(standardDeviation > 0 && float.IsFinite(standardDeviation)))
        {
            throw new ArgumentOutOfRangeException(nameof(standardDeviation), standardDeviation, "The standard deviation must be positive and finite.");
        }

        float scale = 1 / standardDeviation;
        for (int i = 0; i < _pixels.Length; i++)
        {
            _pixels[i] = (_pixels[i] - mean) * scale;
        }
    }

    /// <summary>A new set of the images at <paramref name="indices"/>, in that order (copied).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, <see cref="Count"/>).</exception>
    public LabelledImages Select(ReadOnlySpan<int> indices)
    {
        int size = ImageSize;
        var pixels = new float[indices.Length * size];
        var labels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            int index = indices[i];
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), index, $"Index {index} (position {i}) is outside [0, {Count}).");
            }

            Image(index).CopyTo(pixels.AsSpan(i * size, size));
            labels[i] = _labels[index];
        }

        return new LabelledImages(pixels, labels, Channels, Height, Width, Classes);
    }
}
