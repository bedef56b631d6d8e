using System;
using System.Linq;
using CsCheck;
using Optim.Kernels;
using Xunit;

namespace Optim.Generators.Tests.Networks;

/// <summary>
/// Conv2d against a plain seven-loop oracle that adds in the order the kernel promises (each output: zero, then
/// W·x for (c, i, j) ascending with 0 for padding, then the bias; each weight gradient: positions ascending, images in
/// order; each input gradient: patch rows then positions ascending, each patch value through Σ over co ascending). The
/// results must be equal bit for bit (the bias gradient, summed in the fixed lane order of the other reductions, within
/// rounding), and the same bits for 1, 2 or 3 threads
/// and a workspace longer than needed. A Relu or LeakyRelu fused into the forward pass equals the activation applied
/// after it.
/// </summary>
public sealed class Conv2dKernelTests
{
    private static readonly Gen<(int Batch, int Cin, int Cout, int K, int Stride, int Pad, int H, int W, int Seed)> Shapes =
        from batch in Gen.OneOf(Gen.Int[1, 3], Gen.Int[1, 37])
        from cin in Gen.Int[1, 3]
        from cout in Gen.Int[1, 9]
        from k in Gen.Int[1, 4]
        from stride in Gen.Int[1, 3]
        from pad in Gen.Int[0, 2]
        from h in Gen.Int[Math.Max(1, k - (2 * pad)), 11]
        from w in Gen.Int[Math.Max(1, k - (2 * pad)), 11]
        from seed in Gen.Int
        select (batch, cin, cout, k, stride, pad, h, w, seed);

    [Fact]
    public void Float_equals_the_oracle_at_every_thread_count() => Shapes.Sample(Check<float>, iter: 40);

    [Fact]
    public void Double_equals_the_oracle_at_every_thread_count() => Shapes.Sample(Check<double>, iter: 25);

    /// <summary>
    /// Fashion-MNIST's first layer, one channel 3 × 3 unpadded (its weight gradient's nine chains run in one block), with
    /// 8 output channels (one vector) and 9 (a second vector of padding lanes), and stride 2.
    /// </summary>
    [Theory]
    [InlineData(8, 1)]
    [InlineData(9, 1)]
    [InlineData(8, 2)]
    public void One_channel_three_by_three_equals_the_oracle(int cout, int stride)
    {
        Check<float>((5, 1, cout, 3, stride, 0, 12, 13, 7));
        Check<double>((3, 1, cout, 3, stride, 0, 9, 11, 8));
    }

    /// <summary>
    /// A one-channel 3 × 3 layer's forward pass straight from the image (one thread, where 256-bit vectors are the
    /// widest: the SIMD-width runs of the suite reach it) gives the GEMM's bits (automatic threads on a product big
    /// enough for them take the GEMM), without a bias and with each fused activation.
    /// </summary>
    [Fact]
    public void One_channel_forward_from_the_image_equals_the_product()
    {
        const int side = 250, cout = 8, outSide = side - 2;
        Assert.True((long)cout * 9 * outSide * outSide >= Optim.Kernels.Gemm.AutomaticParallelSize);
        var random = new Random(11);
        float[] x = Enumerable.Range(0, side * side).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        float[] weight = Enumerable.Range(0, cout * 9).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var workspace = new float[Conv2d.WorkspaceLength(1, side, side, 3, 1, 0)];
        foreach (var (activation, slope) in new[] { (GemmOptions.None, 0.0), (GemmOptions.Relu, 0.0), (GemmOptions.LeakyRelu, 0.125) })
        {
            var direct = new float[cout * outSide * outSide];
            var product = new float[direct.Length];
            Conv2d.Forward<float>(x, weight, default, direct, workspace, 1, 1, side, side, cout, 3, 1, 0, 1, activation, slope);
            Conv2d.Forward<float>(x, weight, default, product, workspace, 1, 1, side, side, cout, 3, 1, 0, 0, activation, slope);
            Assert.True(direct.SequenceEqual(product), $"{activation}");
        }
    }

    /// <summary>
    /// Fashion-MNIST's second layer, 8 → 16 channels 3 × 3 unpadded: 72 patch rows, two 256-bit vectors of float channels
    /// (its weight gradient takes six rows at a time) or one 512-bit vector (twelve rows at a time, where the GEMM runs
    /// 512 bits), four vectors of double ones; 7 → 13, whose 63 rows leave three; and 2 → 9, whose 18 rows are a block
    /// of twelve and one of six at 512 bits.
    /// </summary>
    [Theory]
    [InlineData(8, 16)]
    [InlineData(7, 13)]
    [InlineData(2, 9)]
    public void Several_channels_equal_the_oracle(int cin, int cout)
    {
        Check<float>((3, cin, cout, 3, 1, 0, 13, 12, 9));
        Check<double>((2, cin, cout, 3, 1, 0, 11, 13, 10));
    }

    private static void Check<T>((int Batch, int Cin, int Cout, int K, int Stride, int Pad, int H, int W, int Seed) c)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        var (batch, cin, cout, k, stride, pad, h, w, seed) = c;
        var random = new Random(seed);
        T[] Values(int n) => Enumerable.Range(0, n).Select(_ => T.CreateTruncating((random.NextDouble() * 2) - 1)).ToArray();
        int oh = Conv2d.OutputSize(h, k, stride, pad), ow = Conv2d.OutputSize(w, k, stride, pad);
        T[] x = Values(batch * cin * h * w), weight = Values(cout * cin * k * k), bias = Values(cout), dy = Values(batch * cout * oh * ow);
        T[] dw0 = Values(weight.Length), db0 = Values(cout);

        var (y, dx, dw, db) = Oracle(x, weight, bias, dy, dw0, db0, batch, cin, h, w, cout, k, stride, pad);
        T[]? firstDb = null;
        string shape = $"batch {batch}, {cin}→{cout}, k {k}, stride {stride}, pad {pad}, {h}×{w}";
        foreach (int workspace in new[] { Conv2d.WorkspaceLength(cin, h, w, k, stride, pad), Conv2d.WorkspaceLength(cin, h, w, k, stride, pad) + 7 })
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                var space = new T[workspace];
                var gy = new T[y.Length];
                var gdx = new T[dx.Length];
                T[] gdw = (T[])dw0.Clone(), gdb = (T[])db0.Clone();
                Conv2d.Forward<T>(x, weight, bias, gy, space, batch, cin, h, w, cout, k, stride, pad, threads);
                Conv2d.BackwardInput<T>(dy, weight, gdx, space, batch, cin, h, w, cout, k, stride, pad, threads);
                Conv2d.BackwardWeights<T>(dy, x, gdw, gdb, space, batch, cin, h, w, cout, k, stride, pad, threads);
                string where = $"{shape}, workspace {workspace}, {threads} threads";
                Assert.True(y.SequenceEqual(gy), "y: " + where);

                // The activation fused into the store gives what applying it afterwards gives.
                foreach (var (fused, activation, slope) in new[] { (GemmOptions.Relu, Activation.Relu, 0.0), (GemmOptions.LeakyRelu, Activation.LeakyRelu, 0.125) })
                {
                    var separate = new T[y.Length];
                    Activations.Forward<T>(activation, slope, y, separate);
                    var together = new T[y.Length];
                    Conv2d.Forward<T>(x, weight, bias, together, space, batch, cin, h, w, cout, k, stride, pad, threads, fused, slope);
                    Assert.True(separate.SequenceEqual(together), $"{activation} fused: {where}");
                }

                Assert.True(dx.SequenceEqual(gdx), "dx: " + where);
                Assert.True(dw.SequenceEqual(gdw), "dW: " + where);
                firstDb ??= gdb;
                Assert.True(firstDb.SequenceEqual(gdb), "dB differs between configurations: " + where);
                Close(db, gdb, batch * oh * ow, "dB: " + where);
            }
        }
    }

    /// <summary>Sums of <paramref name="terms"/> values in (−1, 1) added in another order: within a few ulps per term.</summary>
    private static void Close<T>(T[] expected, T[] actual, int terms, string what)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        double tolerance = (typeof(T) == typeof(float) ? 1e-6 : 1e-14) * (terms + 1);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = double.CreateTruncating(expected[i]), a = double.CreateTruncating(actual[i]);
            Assert.True(Math.Abs(e - a) <= tolerance * (1 + Math.Abs(e)), $"{what}: [{i}] {a} vs {e}");
        }
    }

    private static (T[] Y, T[] Dx, T[] Dw, T[] Db) Oracle<T>(T[] x, T[] weight, T[] bias, T[] dy, T[] dw0, T[] db0,
        int batch, int cin, int h, int w, int cout, int k, int stride, int pad)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        int oh = Conv2d.OutputSize(h, k, stride, pad), ow = Conv2d.OutputSize(w, k, stride, pad), rows = cin * k * k, positions = oh * ow;
        T Input(int b, int ci, int ih, int iw) =>
            (uint)ih < (uint)h && (uint)iw < (uint)w ? x[(((((b * cin) + ci) * h) + ih) * w) + iw] : T.Zero;
        (int C, int I, int J) Row(int r) => (r / (k * k), r / k % k, r % k);

        var y = new T[batch * cout * positions];
        var dx = new T[x.Length];
        T[] dw = (T[])dw0.Clone(), db = (T[])db0.Clone();
        for (int b = 0; b < batch; b++)
        {
            for (int co = 0; co < cout; co++)
            {
                for (int p = 0; p < positions; p++)
                {
                    T sum = T.Zero;
                    for (int r = 0; r < rows; r++)
                    {
                        var (ci, i, j) = Row(r);
                        T product = weight[(co * rows) + r] * Input(b, ci, ((p / ow) * stride) + i - pad, ((p % ow) * stride) + j - pad);
                        sum += product;
                    }

                    y[(((b * cout) + co) * positions) + p] = sum + bias[co];
                }
            }
        }

        for (int co = 0; co < cout; co++)
        {
            for (int r = 0; r < rows; r++)
            {
                var (ci, i, j) = Row(r);
                T sum = dw[(co * rows) + r];
                for (int b = 0; b < batch; b++)
                {
                    for (int p = 0; p < positions; p++)
                    {
                        T product = dy[(((b * cout) + co) * positions) + p] * Input(b, ci, ((p / ow) * stride) + i - pad, ((p % ow) * stride) + j - pad);
                        sum += product;
                    }
                }

                dw[(co * rows) + r] = sum;
            }
        }

        for (int b = 0; b < batch; b++)
        {
            for (int co = 0; co < cout; co++)
            {
                // The kernel adds each plane in a fixed pairwise order of lanes (Lanes.Sum): the oracle adds in order,
                // so the bias gradient is compared within rounding and between configurations bit for bit.
                for (int p = 0; p < positions; p++)
                {
                    db[co] += dy[(((b * cout) + co) * positions) + p];
                }
            }

            for (int r = 0; r < rows; r++)
            {
                var (ci, i, j) = Row(r);
                for (int p = 0; p < positions; p++)
                {
                    T sum = T.Zero;
                    for (int co = 0; co < cout; co++)
                    {
                        T product = weight[(co * rows) + r] * dy[(((b * cout) + co) * positions) + p];
                        sum += product;
                    }

                    int ih = ((p / ow) * stride) + i - pad, iw = ((p % ow) * stride) + j - pad;
                    if ((uint)ih < (uint)h && (uint)iw < (uint)w)
                    {
                        dx[(((((b * cin) + ci) * h) + ih) * w) + iw] += sum;
                    }
                }
            }
        }

        return (y, dx, dw, db);
    }
}
