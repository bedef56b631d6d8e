using System;
using System.Numerics;
using CsCheck;
using Optim.Kernels;
using Xunit;

namespace Optim.Generators.Tests.Networks;

/// <summary>
/// Linear's three products against plain loops that add in the order the kernel promises: y[b, o] = (x[b, 0]·W[o, 0] +
/// x[b, 1]·W[o, 1] + …) + bias[o]; dx[b, i] = 0 + dy[b, 0]·W[0, i] + …; dW[o, i] += dy[0, o]·x[0, i], then row 1, …; and
/// dB[o] += dy[0, o], then row 1, …. Equal bit for bit at every shape, small layers (in features below one 64-byte line:
/// batch or outputs in vector lanes, two overlapping vectors per row) and packed GEMM layers alike, with guard values
/// around every output that must survive (a whole-vector store of a layer narrower than a vector must stay inside y).
/// </summary>
public sealed class DenseKernelTests
{
    private const int Guard = 19;

    private static readonly Gen<(int Batch, int In, int Out, bool Bias, int Seed)> Shapes =
        from batch in Gen.OneOf(Gen.Int[1, 9], Gen.Int[1, 70])
        from inFeatures in Gen.OneOf(Gen.Int[1, 17], Gen.Int[1, 40])
        from outFeatures in Gen.OneOf(Gen.Int[1, 9], Gen.Int[1, 40])
        from bias in Gen.Bool
        from seed in Gen.Int
        select (batch, inFeatures, outFeatures, bias, seed);

    [Fact]
    public void Float_products_equal_the_ordered_loops() => Shapes.Sample(Check<float>, iter: 300);

    [Fact]
    public void Double_products_equal_the_ordered_loops() => Shapes.Sample(Check<double>, iter: 200);

    [Theory]
    [InlineData(32, 10, 5)]
    [InlineData(32, 5, 1)]
    [InlineData(31, 15, 3)]
    [InlineData(7, 8, 8)]
    [InlineData(64, 4, 12)]
    [InlineData(32, 9, 5)]
    [InlineData(33, 10, 6)]
    [InlineData(2, 10, 3)]
    [InlineData(9, 9, 7)]
    [InlineData(5, 10, 11)]
    [InlineData(1, 9, 1)]
    public void The_seed_shapes_and_their_neighbours_equal_the_ordered_loops(int batch, int inFeatures, int outFeatures)
    {
        Check<float>((batch, inFeatures, outFeatures, true, 7));
        Check<double>((batch, inFeatures, outFeatures, false, 8));
    }

    /// <summary>
    /// A weight gradient without a bias (its sums compiled out) gives the weights of the same call with one, which
    /// <see cref="Check{T}"/> compares with the ordered loops: 9 and 10 in features (the packed tails), every block of
    /// one to six outputs and the splits of wider layers, batches that end a row inside and outside dy's last vector.
    /// </summary>
    [Fact]
    public void Weight_gradients_without_a_bias_equal_those_with_one()
    {
        foreach (int inF in new[] { 9, 10, 11 })
        {
            for (int outF = 1; outF <= 13; outF++)
            {
                foreach (int batch in new[] { 1, 2, 7, 32, 33 })
                {
                    var random = new Random((inF * 10000) + (outF * 100) + batch);
                    float[] x = Values<float>(random, batch * inF), dy = Values<float>(random, batch * outF), dW0 = Values<float>(random, outF * inF);
                    float[] withBias = (float[])dW0.Clone(), without = Guarded<float>(outF * inF);
                    dW0.CopyTo(without, Guard);
                    Dense.BackwardWeights<float>(dy, x, withBias, new float[outF], batch, inF, outF);
                    Dense.BackwardWeights<float>(dy, x, without.AsSpan(Guard, outF * inF), default, batch, inF, outF);
                    var c = (batch, inF, outF, false, 0);
                    for (int i = 0; i < withBias.Length; i++)
                    {
                        Same(withBias[i], without[Guard + i], $"dW[{i}]", c);
                    }

                    GuardsIntact(without, outF * inF, "dW", c);
                }
            }
        }
    }

    [Fact]
    public void Float_fused_activations_equal_the_separate_kernels() => Shapes.Sample(c => CheckFused<float>(c), iter: 200);

    [Fact]
    public void Double_fused_activations_equal_the_separate_kernels() => Shapes.Sample(c => CheckFused<double>(c), iter: 100);

    /// <summary>
    /// Relu and LeakyRelu fused into Forward (applied as it stores) and into BackwardInput (the input gradient passed back
    /// through the activation that produced the input, gated by its output) give the bits of the separate kernels, which
    /// read the activation's input.
    /// </summary>
    private static void CheckFused<T>((int Batch, int In, int Out, bool Bias, int Seed) c)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var (batch, inF, outF, hasBias, seed) = c;
        var random = new Random(seed);
        T[] x = Values<T>(random, batch * inF), w = Values<T>(random, outF * inF), bias = Values<T>(random, outF), dy = Values<T>(random, batch * outF);
        T[] preActivation = Values<T>(random, batch * inF);
        ReadOnlySpan<T> b = hasBias ? bias : default;
        foreach (var (option, kind, slope) in new[] { (GemmOptions.Relu, Activation.Relu, 0.0), (GemmOptions.LeakyRelu, Activation.LeakyRelu, 0.01), (GemmOptions.LeakyRelu, Activation.LeakyRelu, 0.0) })
        {
            T[] separate = new T[batch * outF];
            Dense.Forward<T>(x, w, b, separate, batch, inF, outF);
            Activations.Forward<T>(kind, slope, separate, separate);
            T[] fused = Guarded<T>(batch * outF);
            Dense.Forward<T>(x, w, b, fused.AsSpan(Guard, batch * outF), batch, inF, outF, option, slope);
            for (int i = 0; i < separate.Length; i++)
            {
                Same(separate[i], fused[Guard + i], $"{kind} y[{i}]", c);
            }

            GuardsIntact(fused, batch * outF, $"{kind} y", c);

            // The layer's input is the activation's output; the separate kernels gate by the activation's input.
            T[] activated = new T[batch * inF];
            Activations.Forward<T>(kind, slope, preActivation, activated);
            T[] expected = new T[batch * inF];
            Dense.BackwardInput<T>(dy, w, expected, batch, inF, outF);
            Activations.Backward<T>(kind, slope, preActivation, activated, expected, expected);
            T[] gated = Guarded<T>(batch * inF);
            Dense.BackwardInput<T>(dy, w, gated.AsSpan(Guard, batch * inF), batch, inF, outF, 1, option, activated, slope);
            for (int i = 0; i < expected.Length; i++)
            {
                Same(expected[i], gated[Guard + i], $"{kind} dx[{i}]", c);
            }

            GuardsIntact(gated, batch * inF, $"{kind} dx", c);
        }
    }

    [Fact]
    public void Float_combined_backward_equals_the_two_products() => Shapes.Sample(CheckCombined<float>, iter: 200);

    [Fact]
    public void Double_combined_backward_equals_the_two_products() => Shapes.Sample(CheckCombined<double>, iter: 100);

    /// <summary>
    /// A layer with one output and at most one vector of in features (a regression head) runs a row per vector, with
    /// the rows too near the end for a whole vector one value at a time: every in width and batch up to 12 rows.
    /// </summary>
    [Fact]
    public void One_output_backward_equals_the_two_products_at_every_small_width()
    {
        for (int inFeatures = 1; inFeatures <= 9; inFeatures++)
        {
            for (int batch = 1; batch <= 12; batch++)
            {
                CheckCombined<float>((batch, inFeatures, 1, batch % 2 == 0, (inFeatures * 100) + batch));
                CheckCombined<double>((batch, inFeatures, 1, batch % 3 != 0, (inFeatures * 100) + batch));
            }
        }
    }

    /// <summary>
    /// Dense.Backward (one pass over the batch for a small layer of at most six outputs) writes the bits of
    /// BackwardWeights then BackwardInput: the weight and bias gradients added to what they hold, the input gradient
    /// overwritten, with and without a gating activation, and nothing outside its spans.
    /// </summary>
    private static void CheckCombined<T>((int Batch, int In, int Out, bool Bias, int Seed) c)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var (batch, inF, outF, hasBias, seed) = c;
        var random = new Random(seed);
        T[] x = Values<T>(random, batch * inF), w = Values<T>(random, outF * inF), dy = Values<T>(random, batch * outF);
        T[] dW0 = Values<T>(random, outF * inF), dB0 = Values<T>(random, outF);
        T[] activated = new T[batch * inF];
        Activations.Forward<T>(Activation.Relu, 0, Values<T>(random, batch * inF), activated);
        foreach (var (option, slope) in new[] { (GemmOptions.None, 0.0), (GemmOptions.Relu, 0.0), (GemmOptions.LeakyRelu, 0.01) })
        {
            T[] expectedW = (T[])dW0.Clone(), expectedB = (T[])dB0.Clone(), expectedX = new T[batch * inF];
            Dense.BackwardWeights<T>(dy, activated, expectedW, hasBias ? expectedB : default, batch, inF, outF);
            Dense.BackwardInput<T>(dy, w, expectedX, batch, inF, outF, 1, option, activated, slope);

            T[] dW = Guarded<T>(outF * inF), dB = Guarded<T>(outF), dx = Guarded<T>(batch * inF);
            dW0.CopyTo(dW, Guard);
            dB0.CopyTo(dB, Guard);
            Dense.Backward<T>(dy, activated, w, dW.AsSpan(Guard, outF * inF), hasBias ? dB.AsSpan(Guard, outF) : default, dx.AsSpan(Guard, batch * inF),
                batch, inF, outF, 1, option, activated, slope);
            for (int i = 0; i < expectedW.Length; i++)
            {
                Same(expectedW[i], dW[Guard + i], $"{option} dW[{i}]", c);
            }

            for (int i = 0; i < outF; i++)
            {
                Same(hasBias ? expectedB[i] : dB0[i], dB[Guard + i], $"{option} dB[{i}]", c);
            }

            for (int i = 0; i < expectedX.Length; i++)
            {
                Same(expectedX[i], dx[Guard + i], $"{option} dx[{i}]", c);
            }

            GuardsIntact(dW, outF * inF, $"{option} dW", c);
            GuardsIntact(dx, batch * inF, $"{option} dx", c);
            if (hasBias)
            {
                GuardsIntact(dB, outF, $"{option} dB", c);
            }
        }
    }

    private static readonly Gen<(int Batch, int In, int Hidden, int Out, int Seed)> PairShapes =
        from batch in Gen.OneOf(Gen.Int[1, 20], Gen.Int[1, 70])
        from inFeatures in Gen.OneOf(Gen.Int[8, 15], Gen.Int[1, 20])
        from hidden in Gen.OneOf(Gen.Int[1, 8], Gen.Int[1, 12])
        from outFeatures in Gen.OneOf(Gen.Int[1, 2], Gen.Int[1, 10])
        from seed in Gen.Int
        select (batch, inFeatures, hidden, outFeatures, seed);

    [Fact]
    public void Float_forward_pair_equals_the_two_layers() => PairShapes.Sample(CheckPair<float>, iter: 300);

    [Fact]
    public void Double_forward_pair_equals_the_two_layers() => PairShapes.Sample(CheckPair<double>, iter: 60);

    [Theory]
    [InlineData(32, 10, 5, 1)]
    [InlineData(33, 10, 5, 1)]
    [InlineData(64, 15, 8, 8)]
    [InlineData(16, 8, 1, 3)]
    [InlineData(9, 12, 7, 2)]
    public void The_seed_pair_and_its_neighbours_equal_the_two_layers(int batch, int inFeatures, int hidden, int outFeatures)
    {
        for (int seed = 0; seed < 4; seed++)
        {
            CheckPair<float>((batch, inFeatures, hidden, outFeatures, seed));
        }
    }

    /// <summary>
    /// Dense.ForwardPair (two small layers in one pass over the batch) writes the bits of Dense.Forward for the first layer
    /// then for the second: hidden and output values, every activation on either side, with and without biases, and
    /// nothing outside its spans.
    /// </summary>
    private static void CheckPair<T>((int Batch, int In, int Hidden, int Out, int Seed) c)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var (batch, inF, hiddenF, outF, seed) = c;
        var random = new Random(seed);
        T[] x = Values<T>(random, batch * inF), w1 = Values<T>(random, hiddenF * inF), b1 = Values<T>(random, hiddenF);
        T[] w2 = Values<T>(random, outF * hiddenF), b2 = Values<T>(random, outF);
        var activations = new[] { (GemmOptions.None, 0.0), (GemmOptions.Relu, 0.0), (GemmOptions.LeakyRelu, 0.01) };
        foreach (var (first, slope1) in activations)
        {
            var (second, slope2) = activations[random.Next(activations.Length)];
            bool bias1 = random.Next(4) != 0, bias2 = random.Next(4) != 0;
            T[] expectedH = new T[batch * hiddenF], expectedY = new T[batch * outF];
            Dense.Forward<T>(x, w1, bias1 ? b1 : default, expectedH, batch, inF, hiddenF, first, slope1);
            Dense.Forward<T>(expectedH, w2, bias2 ? b2 : default, expectedY, batch, hiddenF, outF, second, slope2);

            T[] h = Guarded<T>(batch * hiddenF), y = Guarded<T>(batch * outF);
            Dense.ForwardPair<T>(x, w1, bias1 ? b1 : default, h.AsSpan(Guard, batch * hiddenF), first, slope1, w2, bias2 ? b2 : default, y.AsSpan(Guard, batch * outF), second, slope2,
                batch, inF, hiddenF, outF);
            string what = $"{first}/{second}, biases {bias1}/{bias2}";
            for (int i = 0; i < expectedH.Length; i++)
            {
                Same(expectedH[i], h[Guard + i], $"{what} hidden[{i}]", (batch, inF, outF, bias1, seed));
            }

            for (int i = 0; i < expectedY.Length; i++)
            {
                Same(expectedY[i], y[Guard + i], $"{what} y[{i}]", (batch, inF, outF, bias2, seed));
            }

            GuardsIntact(h, batch * hiddenF, $"{what} hidden", (batch, inF, outF, bias1, seed));
            GuardsIntact(y, batch * outF, $"{what} y", (batch, inF, outF, bias2, seed));
        }
    }

    [Fact]
    public void A_pair_names_the_layer_whose_weights_are_short()
    {
        var error = Assert.Throws<ArgumentException>(() => Dense.ForwardPair<float>(new float[320], new float[50], default, new float[160], GemmOptions.Relu, 0,
            new float[4], default, new float[32], GemmOptions.None, 0, 32, 10, 5, 1));
        Assert.Equal("weight2", error.ParamName);
    }

    [Fact]
    public void A_negative_slope_cannot_be_fused_into_the_input_gradient()
    {
        var error = Assert.Throws<ArgumentException>(() => Dense.BackwardInput<float>(new float[2], new float[2], new float[2], 1, 2, 1, 1, GemmOptions.LeakyRelu, new float[2], -0.5));
        Assert.Contains("slope", error.Message, StringComparison.Ordinal);
    }

    private static void Check<T>((int Batch, int In, int Out, bool Bias, int Seed) c)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var (batch, inF, outF, hasBias, seed) = c;
        var random = new Random(seed);
        T[] x = Values<T>(random, batch * inF), w = Values<T>(random, outF * inF), bias = Values<T>(random, outF), dy = Values<T>(random, batch * outF);
        T[] dW0 = Values<T>(random, outF * inF), dB0 = Values<T>(random, outF);
        ReadOnlySpan<T> b = hasBias ? bias : default;

        T[] y = Guarded<T>(batch * outF), dx = Guarded<T>(batch * inF), dW = Guarded<T>(outF * inF), dB = Guarded<T>(outF);
        dW0.CopyTo(dW, Guard);
        dB0.CopyTo(dB, Guard);
        Dense.Forward<T>(x, w, b, y.AsSpan(Guard, batch * outF), batch, inF, outF);
        Dense.BackwardInput<T>(dy, w, dx.AsSpan(Guard, batch * inF), batch, inF, outF);
        Dense.BackwardWeights<T>(dy, x, dW.AsSpan(Guard, outF * inF), dB.AsSpan(Guard, outF), batch, inF, outF);

        for (int n = 0; n < batch; n++)
        {
            for (int o = 0; o < outF; o++)
            {
                T sum = x[n * inF] * w[o * inF];
                for (int i = 1; i < inF; i++)
                {
                    sum += x[(n * inF) + i] * w[(o * inF) + i];
                }

                Same(hasBias ? sum + bias[o] : sum, y[Guard + (n * outF) + o], $"y[{n}, {o}]", c);
            }

            for (int i = 0; i < inF; i++)
            {
                T sum = T.Zero;
                for (int o = 0; o < outF; o++)
                {
                    sum += dy[(n * outF) + o] * w[(o * inF) + i];
                }

                Same(sum, dx[Guard + (n * inF) + i], $"dx[{n}, {i}]", c);
            }
        }

        for (int o = 0; o < outF; o++)
        {
            for (int i = 0; i < inF; i++)
            {
                T sum = dW0[(o * inF) + i];
                for (int n = 0; n < batch; n++)
                {
                    sum += dy[(n * outF) + o] * x[(n * inF) + i];
                }

                Same(sum, dW[Guard + (o * inF) + i], $"dW[{o}, {i}]", c);
            }

            T bs = dB0[o];
            for (int n = 0; n < batch; n++)
            {
                bs += dy[(n * outF) + o];
            }

            Same(bs, dB[Guard + o], $"dB[{o}]", c);
        }

        GuardsIntact(y, batch * outF, "y", c);
        GuardsIntact(dx, batch * inF, "dx", c);
        GuardsIntact(dW, outF * inF, "dW", c);
        GuardsIntact(dB, outF, "dB", c);
    }

    private static T[] Values<T>(Random random, int n)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var values = new T[n];
        for (int i = 0; i < n; i++)
        {
            // A few exact zeros of both signs among the values: their sums are where orders differ in the sign bit.
            int pick = random.Next(16);
            values[i] = pick == 0 ? T.Zero : pick == 1 ? T.NegativeZero : T.CreateTruncating((random.NextDouble() * 4) - 2);
        }

        return values;
    }

    private static T[] Guarded<T>(int n)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var values = new T[n + (2 * Guard)];
        values.AsSpan().Fill(T.CreateTruncating(12345.0));
        return values;
    }

    private static void GuardsIntact<T>(T[] buffer, int n, string name, (int Batch, int In, int Out, bool Bias, int Seed) c)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int i = 0; i < Guard; i++)
        {
            Assert.True(buffer[i] == T.CreateTruncating(12345.0) && buffer[Guard + n + i] == T.CreateTruncating(12345.0), $"{name}: a guard value was overwritten at {c}");
        }
    }

    private static void Same<T>(T expected, T actual, string what, (int Batch, int In, int Out, bool Bias, int Seed) c)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!expected.Equals(actual) || T.IsNegative(expected) != T.IsNegative(actual))
        {
            Assert.Fail($"{what} at {c}: expected {expected}, got {actual}");
        }
    }
}
