using System;
using System.Linq;
using CsCheck;
using Optim.Kernels;
using Xunit;

namespace Optim.Generators.Tests.Networks;

/// <summary>
/// Max pooling against a plain oracle of PyTorch's rule on values drawn with many ties, infinities and NaNs: the first
/// maximum in row-major window order wins a tie, a NaN wins (the last NaN of the window), and the output is the chosen
/// value with its index in the plane. Rows up to 23 wide give 2 × 2 windows the four-at-a-time vector loop (from four
/// windows a row, the last four overlapping the ones before them) and the scalar loop below four windows.
/// </summary>
public sealed class PoolingKernelTests
{
    [Fact]
    public void Max_pooling_picks_what_PyTorch_picks() =>
        Gen.Select(Gen.Int[1, 3], Gen.Int[1, 4], Gen.Int[0, 5], Gen.Int[0, 21], Gen.Int).Sample((channels, k, eh, ew, seed) =>
        {
            int h = k + eh, w = k + ew, oh = h / k, ow = w / k;
            var random = new Random(seed);
            float[] pool = { 0f, -0f, 1f, 1f, -2f, float.NegativeInfinity, float.PositiveInfinity, float.NaN };
            float[] x = Enumerable.Range(0, 2 * channels * h * w).Select(_ => pool[random.Next(pool.Length)]).ToArray();
            var y = new float[2 * channels * oh * ow];
            var argmax = new int[y.Length];
            Pooling.MaxForward<float>(x, y, argmax, 2, channels, h, w, k);

            for (int p = 0, o = 0; p < 2 * channels; p++)
            {
                for (int i = 0; i < oh; i++)
                {
                    for (int j = 0; j < ow; j++, o++)
                    {
                        int best = -1;
                        for (int a = 0; a < k; a++)
                        {
                            for (int b = 0; b < k; b++)
                            {
                                int index = (((i * k) + a) * w) + (j * k) + b;
                                float v = x[(p * h * w) + index];
                                if (best < 0 || float.IsNaN(v) || (!float.IsNaN(x[(p * h * w) + best]) && v > x[(p * h * w) + best]))
                                {
                                    best = index;
                                }
                            }
                        }

                        Assert.Equal(best, argmax[o]);
                        Assert.Equal(BitConverter.SingleToInt32Bits(x[(p * h * w) + best]), BitConverter.SingleToInt32Bits(y[o]));
                    }
                }
            }
        }, iter: 200);

    /// <summary>
    /// The backward pass gated by the pooled Relu or LeakyRelu equals the plain backward pass followed by the
    /// activation's, bit for bit, on values with ties, signed zeros, infinities and NaNs in both the gate and dy.
    /// </summary>
    [Fact]
    public void Gated_max_backward_equals_the_two_passes() =>
        Gen.Select(Gen.Int[1, 3], Gen.Int[1, 3], Gen.Int[0, 4], Gen.Int[0, 9], Gen.Int).Sample((channels, k, eh, ew, seed) =>
        {
            int h = k + eh, w = k + ew, oh = h / k, ow = w / k, batch = 2;
            var random = new Random(seed);
            float[] pool = { 0f, -0f, 1f, 1f, -2f, 0.5f, float.NegativeInfinity, float.PositiveInfinity, float.NaN };
            float[] Draw(int n) => Enumerable.Range(0, n).Select(_ => pool[random.Next(pool.Length)]).ToArray();
            float[] activations = Draw(batch * channels * h * w), dy = Draw(batch * channels * oh * ow);
            var y = new float[dy.Length];
            var argmax = new int[dy.Length];
            Pooling.MaxForward<float>(activations, y, argmax, batch, channels, h, w, k);
            foreach (var (fused, activation, slope) in new[] { (GemmOptions.Relu, Activation.Relu, 0.0), (GemmOptions.LeakyRelu, Activation.LeakyRelu, 0.25) })
            {
                var plain = new float[activations.Length];
                Pooling.MaxBackward<float>(dy, argmax, plain, batch, channels, h, w, k);
                var expected = new float[plain.Length];
                Activations.Backward<float>(activation, slope, activations, activations, plain, expected);
                var gated = Enumerable.Repeat(float.NaN, plain.Length).ToArray();
                Pooling.MaxBackward<float>(dy, argmax, gated, batch, channels, h, w, k, fused, activations, slope);
                Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), gated.Select(BitConverter.SingleToInt32Bits));
            }
        }, iter: 200);

    /// <summary>
    /// Split between 2, 3 or 7 threads (runs of images, some of them shorter or empty of a last image), every pass gives
    /// the one-thread bits: max pooling's values and positions, its plain and gated backward passes, average pooling's
    /// two passes, in float and double.
    /// </summary>
    [Fact]
    public void Every_thread_count_gives_the_same_bits() =>
        Gen.Select(Gen.Int[1, 9], Gen.Int[1, 3], Gen.Int[1, 3], Gen.Int[0, 6], Gen.Int).Sample((batch, channels, k, extra, seed) =>
        {
            SameAtEveryThreadCount<float>(batch, channels, k, k + extra, k + ((extra * 3) % 7), seed);
            SameAtEveryThreadCount<double>(batch, channels, k, k + extra, k + ((extra * 5) % 7), seed);
        }, iter: 60);

    private static void SameAtEveryThreadCount<T>(int batch, int channels, int k, int h, int w, int seed)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        int inputs = batch * channels * h * w, outputs = batch * channels * (h / k) * (w / k);
        T[] x = Enumerable.Range(0, inputs).Select(_ => T.CreateTruncating(random.Next(-3, 4) * 0.5)).ToArray();
        T[] dy = Enumerable.Range(0, outputs).Select(_ => T.CreateTruncating((random.NextDouble() * 2) - 1)).ToArray();
        (T[] Y, int[] Argmax, T[] Dx, T[] Gated, T[] AvgY, T[] AvgDx) Run(int threads)
        {
            var (y, argmax, dx, gated, avgY, avgDx) = (new T[outputs], new int[outputs], new T[inputs], new T[inputs], new T[outputs], new T[inputs]);
            Pooling.MaxForward<T>(x, y, argmax, batch, channels, h, w, k, threads);
            Pooling.MaxBackward<T>(dy, argmax, dx, batch, channels, h, w, k, maxThreads: threads);
            Pooling.MaxBackward<T>(dy, argmax, gated, batch, channels, h, w, k, GemmOptions.LeakyRelu, x, 0.25, threads);
            Pooling.AvgForward<T>(x, avgY, batch, channels, h, w, k, threads);
            Pooling.AvgBackward<T>(dy, avgDx, batch, channels, h, w, k, threads);
            return (y, argmax, dx, gated, avgY, avgDx);
        }

        var one = Run(1);
        foreach (int threads in new[] { 2, 3, 7 })
        {
            var split = Run(threads);
            string where = $"{typeof(T).Name}, batch {batch}, {channels} channels, {h}×{w}, k {k}, {threads} threads";
            Assert.True(one.Y.SequenceEqual(split.Y), "max y: " + where);
            Assert.True(one.Argmax.SequenceEqual(split.Argmax), "argmax: " + where);
            Assert.True(one.Dx.SequenceEqual(split.Dx), "max dx: " + where);
            Assert.True(one.Gated.SequenceEqual(split.Gated), "gated dx: " + where);
            Assert.True(one.AvgY.SequenceEqual(split.AvgY), "avg y: " + where);
            Assert.True(one.AvgDx.SequenceEqual(split.AvgDx), "avg dx: " + where);
        }
    }
}
