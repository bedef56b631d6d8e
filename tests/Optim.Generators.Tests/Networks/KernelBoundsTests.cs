using System;
using System.Numerics;
using System.Runtime.InteropServices;
using CsCheck;
using Optim.Generators.Tests.Gemm;
using Optim.Generators.Tests.Infrastructure;
using Optim.Kernels;
using Xunit;

namespace Optim.Generators.Tests.Networks;

/// <summary>
/// Linear's kernels read rows in whole vectors (a row's lanes past its end read the next row's values, the last rows
/// are built value by value), and none may read past the end of an input span: here every input ends where readable
/// memory ends (<see cref="PageEnd"/>), so one element too many faults the test host, and every result must equal the
/// same call on managed arrays. Bias and no bias, every small-layer path (batch or outputs in lanes, one output, the
/// packed tails of 9 and 10 features, the forward pair) and the packed GEMM.
/// </summary>
public sealed class KernelBoundsTests
{
    private static readonly Gen<(int Batch, int In, int Out, bool Bias, int Seed)> Shapes =
        from batch in Gen.OneOf(Gen.Int[1, 12], Gen.Int[1, 40])
        from inFeatures in Gen.OneOf(Gen.Int[8, 10], Gen.Int[1, 17], Gen.Int[1, 40])
        from outFeatures in Gen.OneOf(Gen.Int[1, 8], Gen.Int[1, 20])
        from bias in Gen.Bool
        from seed in Gen.Int
        select (batch, inFeatures, outFeatures, bias, seed);

    [SkippableFact]
    public void Float_linear_kernels_read_nothing_past_their_inputs()
    {
        Skip.IfNot(PageEnd.Supported, "needs mmap and mprotect (Linux)");
        Shapes.Sample(Check<float>, iter: 150, threads: 1);
    }

    [SkippableFact]
    public void Double_linear_kernels_read_nothing_past_their_inputs()
    {
        Skip.IfNot(PageEnd.Supported, "needs mmap and mprotect (Linux)");
        Shapes.Sample(Check<double>, iter: 60, threads: 1);
    }

    [SkippableFact]
    public void The_forward_pair_reads_nothing_past_its_inputs()
    {
        Skip.IfNot(PageEnd.Supported, "needs mmap and mprotect (Linux)");
        Shapes.Sample(CheckPair, iter: 100, threads: 1);
    }

    private static void Check<T>((int Batch, int In, int Out, bool Bias, int Seed) c)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var (batch, inF, outF, hasBias, seed) = c;
        var random = new Random(seed);
        T[] x = Values<T>(random, batch * inF), w = Values<T>(random, outF * inF), b = Values<T>(random, outF), dy = Values<T>(random, batch * outF);
        T[] gate = Values<T>(random, batch * inF);
        T[] dW0 = Values<T>(random, outF * inF), dB0 = Values<T>(random, outF);

        // On managed arrays: the expected results.
        var expected = Run<T>(x, w, hasBias ? b : default, dy, gate, dW0, dB0, hasBias, batch, inF, outF);

        // Every input at the end of readable memory.
        using PageEnd px = new(x.Length * Size<T>()), pw = new(w.Length * Size<T>()), pb = new(b.Length * Size<T>()), pdy = new(dy.Length * Size<T>()), pg = new(gate.Length * Size<T>());
        var actual = Run<T>(px.Holding<T>(x), pw.Holding<T>(w), hasBias ? pb.Holding<T>(b) : default, pdy.Holding<T>(dy), pg.Holding<T>(gate), dW0, dB0, hasBias, batch, inF, outF);
        SameBits(expected, actual, c);
    }

    /// <summary>Forward (with a fused Relu), the input gradient (gated), the weight gradient, and both at once.</summary>
    private static T[][] Run<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> b, ReadOnlySpan<T> dy, ReadOnlySpan<T> gate, T[] dW0, T[] dB0, bool hasBias, int batch, int inF, int outF)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] y = new T[batch * outF], dx = new T[batch * inF], dW = (T[])dW0.Clone(), dB = (T[])dB0.Clone();
        T[] dxBoth = new T[batch * inF], dWBoth = (T[])dW0.Clone(), dBBoth = (T[])dB0.Clone();
        Dense.Forward(x, w, b, y, batch, inF, outF, GemmOptions.Relu);
        Dense.BackwardInput(dy, w, dx, batch, inF, outF, 1, GemmOptions.Relu, gate);
        Dense.BackwardWeights(dy, x, dW, hasBias ? dB : default, batch, inF, outF);
        Dense.Backward(dy, x, w, dWBoth, hasBias ? dBBoth : default, dxBoth, batch, inF, outF, 1, GemmOptions.LeakyRelu, gate, 0.01);
        return [y, dx, dW, dB, dxBoth, dWBoth, dBBoth];
    }

    private static void CheckPair((int Batch, int In, int Out, bool Bias, int Seed) c)
    {
        var (batch, inF, hidden, hasBias, seed) = c;
        var random = new Random(seed);
        int outF = 1 + (seed & 3);
        float[] x = Values<float>(random, batch * inF), w1 = Values<float>(random, hidden * inF), b1 = Values<float>(random, hidden);
        float[] w2 = Values<float>(random, outF * hidden), b2 = Values<float>(random, outF);
        float[] h = new float[batch * hidden], y = new float[batch * outF];
        Dense.ForwardPair<float>(x, w1, hasBias ? b1 : default, h, GemmOptions.Relu, 0, w2, hasBias ? b2 : default, y, GemmOptions.None, 0, batch, inF, hidden, outF);

        using PageEnd px = new(x.Length * 4), pw1 = new(w1.Length * 4), pb1 = new(b1.Length * 4), pw2 = new(w2.Length * 4), pb2 = new(b2.Length * 4);
        float[] h2 = new float[batch * hidden], y2 = new float[batch * outF];
        Dense.ForwardPair<float>(px.Holding<float>(x), pw1.Holding<float>(w1), hasBias ? pb1.Holding<float>(b1) : default, h2, GemmOptions.Relu, 0,
            pw2.Holding<float>(w2), hasBias ? pb2.Holding<float>(b2) : default, y2, GemmOptions.None, 0, batch, inF, hidden, outF);
        SameBits([h, y], [h2, y2], c);
    }

    private static readonly Gen<(int Batch, int Channels, int Height, int Width, int Out, int Kernel, int Stride, int Padding, int Seed)> Images =
        from batch in Gen.Int[1, 4]
        from channels in Gen.Int[1, 3]
        from height in Gen.Int[3, 15]
        from width in Gen.Int[3, 15]
        from outChannels in Gen.Int[1, 9]
        from kernel in Gen.Int[1, 3]
        from stride in Gen.Int[1, 2]
        from padding in Gen.Int[0, 1]
        from seed in Gen.Int
        select (batch, channels, height, width, outChannels, kernel, stride, padding, seed);

    /// <summary>Conv2d's three passes (the direct one-channel forward, im2col products, the channel-lane weight gradient) and 2 × 2 and 3 × 3 pooling.</summary>
    [SkippableFact]
    public void Convolution_and_pooling_kernels_read_nothing_past_their_inputs()
    {
        Skip.IfNot(PageEnd.Supported, "needs mmap and mprotect (Linux)");
        Images.Sample(CheckImages, iter: 120, threads: 1);
    }

    private static void CheckImages((int Batch, int Channels, int Height, int Width, int Out, int Kernel, int Stride, int Padding, int Seed) c)
    {
        var (batch, channels, height, width, outChannels, kernel, stride, padding, seed) = c;
        var random = new Random(seed);
        int oh = Conv2d.OutputSize(height, kernel, stride, padding), ow = Conv2d.OutputSize(width, kernel, stride, padding);
        float[] x = Values<float>(random, batch * channels * height * width), w = Values<float>(random, outChannels * channels * kernel * kernel);
        float[] b = Values<float>(random, outChannels), dy = Values<float>(random, batch * outChannels * oh * ow);
        var expected = RunImages(x, w, b, dy, c, oh, ow);
        using PageEnd px = new(x.Length * 4), pw = new(w.Length * 4), pb = new(b.Length * 4), pdy = new(dy.Length * 4);
        var actual = RunImages(px.Holding<float>(x), pw.Holding<float>(w), pb.Holding<float>(b), pdy.Holding<float>(dy), c, oh, ow);
        SameBits(expected, actual, c);
    }

    private static float[][] RunImages(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, ReadOnlySpan<float> dy,
        (int Batch, int Channels, int Height, int Width, int Out, int Kernel, int Stride, int Padding, int Seed) c, int oh, int ow)
    {
        var (batch, channels, height, width, outChannels, kernel, stride, padding, _) = c;
        float[] workspace = new float[Conv2d.WorkspaceLength(channels, height, width, kernel, stride, padding)];
        float[] y = new float[batch * outChannels * oh * ow], dx = new float[x.Length], dW = new float[w.Length], dB = new float[outChannels];
        Conv2d.Forward(x, w, b, y, workspace, batch, channels, height, width, outChannels, kernel, stride, padding, 1, GemmOptions.Relu);
        Conv2d.BackwardInput(dy, w, dx, workspace, batch, channels, height, width, outChannels, kernel, stride, padding);
        Conv2d.BackwardWeights(dy, x, dW, dB, workspace, batch, channels, height, width, outChannels, kernel, stride, padding);

        // Pooling over the input planes: x as the pooled values, dy's first values as the pooled gradient.
        int window = kernel == 3 ? 3 : 2;
        int ph = Pooling.OutputSize(height, window), pw = Pooling.OutputSize(width, window), pooled = batch * channels * ph * pw;
        float[] max = new float[pooled], average = new float[pooled], maxDx = new float[x.Length], averageDx = new float[x.Length];
        int[] argmax = new int[pooled];
        Pooling.MaxForward(x, max, argmax, batch, channels, height, width, window);
        Pooling.AvgForward(x, average, batch, channels, height, width, window);
        ReadOnlySpan<float> poolGradient = dy.Length >= pooled ? dy[(dy.Length - pooled)..] : max;
        Pooling.MaxBackward(poolGradient, argmax, maxDx, batch, channels, height, width, window, GemmOptions.Relu, x);
        Pooling.AvgBackward(poolGradient, averageDx, batch, channels, height, width, window);
        return [y, dx, dW, dB, max, average, maxDx, averageDx, Array.ConvertAll(argmax, i => (float)i)];
    }

    private static readonly Gen<(int Rows, int Features, int Seed)> Rows =
        from rows in Gen.OneOf(Gen.Int[1, 4], Gen.Int[1, 40])
        from features in Gen.OneOf(Gen.Int[1, 17], Gen.Int[1, 70])
        from seed in Gen.Int
        select (rows, features, seed);

    /// <summary>Every activation, the element-wise ops, the five losses, Embedding, LayerNorm and Dropout (their vector tails).</summary>
    [SkippableFact]
    public void Element_wise_loss_embedding_norm_and_dropout_kernels_read_nothing_past_their_inputs()
    {
        Skip.IfNot(PageEnd.Supported, "needs mmap and mprotect (Linux)");
        Rows.Sample(c =>
        {
            CheckRows<float>(c);
            CheckRows<double>(c);
        }, iter: 80, threads: 1);
    }

    private static void CheckRows<T>((int Rows, int Features, int Seed) c)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var (rows, features, seed) = c;
        var random = new Random(seed);
        int n = rows * features;
        T[] x = Values<T>(random, n), dy = Values<T>(random, n), target = Values<T>(random, n), gamma = Values<T>(random, features), beta = Values<T>(random, features);
        T[] probabilities = Array.ConvertAll(Values<T>(random, n), v => T.Abs(v) / T.CreateTruncating(2.0));
        int[] classes = new int[rows], indices = new int[n];
        for (int i = 0; i < rows; i++)
        {
            classes[i] = random.Next(features);
        }

        for (int i = 0; i < n; i++)
        {
            indices[i] = random.Next(rows);
        }

        var expected = RunRows<T>(x, dy, target, gamma, beta, probabilities, classes, indices, rows, features);
        int size = Size<T>();
        using PageEnd px = new(n * size), pdy = new(n * size), pt = new(n * size), pg = new(features * size), pb = new(features * size), pp = new(n * size), pc = new(rows * 4), pi = new(n * 4);
        var actual = RunRows<T>(px.Holding<T>(x), pdy.Holding<T>(dy), pt.Holding<T>(target), pg.Holding<T>(gamma), pb.Holding<T>(beta), pp.Holding<T>(probabilities),
            pc.Holding<int>(classes), pi.Holding<int>(indices), rows, features);
        SameBits(expected, actual, c);
    }

    private static T[][] RunRows<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, ReadOnlySpan<T> target, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, ReadOnlySpan<T> probabilities,
        ReadOnlySpan<int> classes, ReadOnlySpan<int> indices, int rows, int features)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int n = rows * features;
        var results = new System.Collections.Generic.List<T[]>();
        foreach (Activation kind in Enum.GetValues<Activation>())
        {
            T[] y = new T[n], dx = new T[n];
            Activations.Forward(kind, 0.1, x, y);
            Activations.Backward(kind, 0.1, x, y, dy, dx);
            results.Add(y);
            results.Add(dx);
        }

        T[] sum = new T[n], scaled = new T[n], accumulated = dy.ToArray();
        Elementwise.Add(x, dy, sum);
        Elementwise.Scale(x, 0.75, scaled);
        Elementwise.Accumulate(x, accumulated);
        results.AddRange([sum, scaled, accumulated]);

        T[] mse = new T[n], l1 = new T[n], huber = new T[n], bce = new T[n], ce = new T[n];
        T[] losses =
        [
            T.CreateTruncating(Losses.MeanSquared(x, target, mse)), T.CreateTruncating(Losses.L1(x, target, l1)), T.CreateTruncating(Losses.SmoothL1(x, target, huber)),
            T.CreateTruncating(Losses.BinaryCrossEntropyWithLogits(x, probabilities, bce)), T.CreateTruncating(Losses.CrossEntropy(x, classes, ce, rows, features)),
        ];
        results.AddRange([mse, l1, huber, bce, ce, losses]);

        // Embedding: a table of `rows` vectors of `features`, looked up `n` times.
        T[] embedded = new T[n * features], dTable = new T[n];
        Embedding.Forward(indices, x, embedded, n, features);
        Embedding.Backward(indices, embedded, dTable, n, features);
        results.AddRange([embedded, dTable]);

        T[] normed = new T[n], mean = new T[rows], rstd = new T[rows], dNormed = new T[n], dGamma = new T[features], dBeta = new T[features];
        LayerNorm.Forward(x, gamma, beta, normed, mean, rstd, rows, features);
        LayerNorm.Backward(dy, x, gamma, mean, rstd, dNormed, dGamma, dBeta, rows, features);
        results.AddRange([normed, mean, rstd, dNormed, dGamma, dBeta]);

        T[] dropped = new T[n], mask = new T[n], dDropped = new T[n];
        ulong state = 12345;
        Dropout.Forward(x, dropped, mask, 0.3, ref state);
        Dropout.Backward(dy, mask, dDropped, 0.3);
        results.AddRange([dropped, mask, dDropped]);
        return [.. results];
    }

    private static readonly Gen<(int M, int N, int K, int Options, int Seed)> Products =
        from m in Gen.OneOf(Gen.Int[1, 4], Gen.Int[1, 6], Gen.Int[1, 70])
        from n in Gen.OneOf(Gen.Int[1, 40], Gen.Int[1, 130])
        from k in Gen.OneOf(Gen.Int[1, 20], Gen.Int[1, 90])
        from options in Gen.Int[0, 63]
        from seed in Gen.Int
        select (m, n, k, options, seed);

    /// <summary>Gemm.Multiply with every option (transposes, accumulation, bias per column or row, Relu or LeakyRelu), the skinny and packed paths.</summary>
    [SkippableFact]
    public void Products_read_nothing_past_their_operands()
    {
        Skip.IfNot(PageEnd.Supported, "needs mmap and mprotect (Linux)");
        Products.Sample(c =>
        {
            CheckProduct<float>(c);
            CheckProduct<double>(c);
        }, iter: 300, threads: 1);
    }

    private static void CheckProduct<T>((int M, int N, int K, int Options, int Seed) c)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var (m, n, k, bits, seed) = c;
        var options = (GemmOptions)bits;
        if ((options & GemmOptions.Relu) != 0 && (options & GemmOptions.LeakyRelu) != 0)
        {
            options &= ~GemmOptions.LeakyRelu;
        }

        var random = new Random(seed);
        T[] a = Values<T>(random, m * k), b = Values<T>(random, k * n), c0 = Values<T>(random, m * n);
        T[] bias = Values<T>(random, (options & GemmOptions.BiasPerRow) != 0 ? m : n);
        ReadOnlySpan<T> noBias = (seed & 1) == 0 ? default : bias;
        if (noBias.IsEmpty)
        {
            options &= ~GemmOptions.BiasPerRow;
        }

        T[] expected = (T[])c0.Clone();
        Optim.Kernels.Gemm.Multiply<T>(a, b, expected, m, n, k, options, noBias, 0.01);
        int size = Size<T>();
        // C at the end of writable memory too: a store past it faults.
        using PageEnd pa = new(a.Length * size), pb = new(b.Length * size), pbias = new(bias.Length * size), pc = new(c0.Length * size);
        Span<T> actual = pc.Holding<T>(c0);
        Optim.Kernels.Gemm.Multiply<T>(pa.Holding<T>(a), pb.Holding<T>(b), actual, m, n, k, options, noBias.IsEmpty ? default : pbias.Holding<T>(bias), 0.01);
        SameBits<T>([expected], [actual.ToArray()], c);
    }

    private static int Size<T>()
        where T : unmanaged => System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    private static T[] Values<T>(Random random, int n)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => GemmWorkout.Random<T>(n, random);

    /// <summary>Each result of a call on managed arrays and of the same call on <see cref="PageEnd"/> memory, bit for bit.</summary>
    private static void SameBits<T>(T[][] expected, T[][] actual, object c)
        where T : unmanaged
    {
        for (int k = 0; k < expected.Length; k++)
        {
            Assert.True(MemoryMarshal.AsBytes<T>(expected[k]).SequenceEqual(MemoryMarshal.AsBytes<T>(actual[k])), $"result {k} ({typeof(T).Name}) differs at {c}");
        }
    }
}
