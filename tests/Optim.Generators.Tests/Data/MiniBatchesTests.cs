using System;
using System.Collections.Generic;
using System.Linq;
using Optim.Data;
using Optim.Generators.Tests.Runtime;
using Xunit;

namespace Optim.Generators.Tests.Data;

/// <summary>The mini-batch shuffler: every epoch a permutation, the same for a seed, copied faithfully (mirrored when asked), allocation-free.</summary>
public sealed class MiniBatchesTests
{
    /// <summary>Image i is filled with i·100 + its pixel index; its label is i mod classes.</summary>
    private static LabelledImages Numbered(int count, int height = 2, int width = 3, int classes = 7)
    {
        int size = height * width;
        float[] pixels = new float[count * size];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (i / size * 100) + (i % size);
        }

        return new LabelledImages(pixels, Enumerable.Range(0, count).Select(i => i % classes).ToArray(), 1, height, width, classes);
    }

    /// <summary>The image indices of one epoch, read back from the batches' pixels (which must be the images' own).</summary>
    private static List<int> Epoch(MiniBatches batches, LabelledImages data, List<int>? sizes = null)
    {
        var seen = new List<int>();
        batches.Shuffle();
        while (batches.MoveNext())
        {
            sizes?.Add(batches.Count);
            for (int b = 0; b < batches.Count; b++)
            {
                int image = (int)batches.Inputs[b * data.ImageSize] / 100;
                Assert.Equal(data.Image(image).ToArray(), batches.Inputs.Slice(b * data.ImageSize, data.ImageSize).ToArray());
                Assert.Equal(data.Labels[image], batches.Targets[b]);
                seen.Add(image);
            }
        }

        return seen;
    }

    [Fact]
    public void Every_epoch_visits_every_example_once_in_a_new_order_and_the_last_batch_holds_the_remainder()
    {
        LabelledImages data = Numbered(103);
        var batches = new MiniBatches(data, batchSize: 10, seed: 3);
        Assert.Equal(11, batches.BatchesPerEpoch);

        var sizes = new List<int>();
        List<int> first = Epoch(batches, data, sizes), second = Epoch(batches, data);

        Assert.Equal(Enumerable.Range(0, 103), first.Order());
        Assert.Equal(Enumerable.Range(0, 103), second.Order());
        Assert.NotEqual(first, second);
        Assert.NotEqual(Enumerable.Range(0, 103), first);
        Assert.Equal(Enumerable.Repeat(10, 10).Append(3), sizes);
        Assert.Equal(second, batches.Order.ToArray());
    }

    [Fact]
    public void A_seed_gives_the_same_batches_every_time_and_another_seed_others()
    {
        LabelledImages data = Numbered(50);
        var a = new MiniBatches(data, 8, seed: 11);
        var b = new MiniBatches(data, 8, seed: 11);
        var c = new MiniBatches(data, 8, seed: 12);

        for (int epoch = 0; epoch < 3; epoch++)
        {
            List<int> fromA = Epoch(a, data);
            Assert.Equal(fromA, Epoch(b, data));
            Assert.NotEqual(fromA, Epoch(c, data));
            Assert.Equal(fromA, a.Order.ToArray());
        }
    }

    [Fact]
    public void Rewind_replays_the_epoch_in_the_same_order()
    {
        LabelledImages data = Numbered(20);
        var batches = new MiniBatches(data, 6, seed: 1);
        List<int> first = Epoch(batches, data);

        batches.Rewind();
        var again = new List<int>();
        while (batches.MoveNext())
        {
            again.AddRange(batches.Targets.ToArray());
        }

        Assert.Equal(first.Select(i => data.Labels[i]), again);
    }

    [Fact]
    public void A_flip_probability_of_one_mirrors_every_row_of_every_image_and_zero_none()
    {
        LabelledImages data = Numbered(9, height: 3, width: 4);
        var batches = new MiniBatches(data, 4, seed: 2) { FlipProbability = 1 };
        batches.Shuffle();
        while (batches.MoveNext())
        {
            for (int b = 0; b < batches.Count; b++)
            {
                ReadOnlySpan<float> got = batches.Inputs.Slice(b * 12, 12);
                int image = (int)got[0] / 100;
                for (int y = 0; y < 3; y++)
                {
                    for (int x = 0; x < 4; x++)
                    {
                        Assert.Equal(data.Image(image)[(y * 4) + 3 - x], got[(y * 4) + x]);
                    }
                }
            }
        }

        batches.FlipProbability = 0;
        Assert.Equal(Enumerable.Range(0, 9), Epoch(batches, data).Order()); // Epoch asserts every image is copied unchanged
    }

    [Fact]
    public void A_flip_probability_of_one_half_mirrors_about_half_of_the_images()
    {
        LabelledImages data = Numbered(2000, height: 1, width: 2);
        var batches = new MiniBatches(data, 100, seed: 9) { FlipProbability = 0.5 };
        int flipped = 0;
        batches.Shuffle();
        while (batches.MoveNext())
        {
            for (int b = 0; b < batches.Count; b++)
            {
                flipped += batches.Inputs[2 * b] > batches.Inputs[(2 * b) + 1] ? 1 : 0; // image i is [100i, 100i + 1]
            }
        }

        Assert.InRange(flipped, 900, 1100);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void A_flip_probability_outside_the_unit_interval_is_refused(double p)
    {
        var batches = new MiniBatches(Numbered(3), 2, seed: 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => batches.FlipProbability = p);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MiniBatches(Numbered(3), 0, seed: 0));
    }

    [Fact]
    public void An_epoch_after_the_first_allocates_nothing()
    {
        LabelledImages data = Numbered(300, height: 28, width: 28);
        var batches = new MiniBatches(data, 64, seed: 4) { FlipProbability = 0.5 };
        float sum = 0;
        void Run()
        {
            batches.Shuffle();
            while (batches.MoveNext())
            {
                sum += batches.Inputs[0] + batches.Targets[^1];
            }
        }

        Run();
        Assert.Equal(0, Allocations.OnThisThread(Run));
        Assert.True(sum > 0);
    }
}
