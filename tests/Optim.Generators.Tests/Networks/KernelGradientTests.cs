using System;
using System.Linq;
using CsCheck;
using Optim.Generators.Tests.Infrastructure;
using Optim.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace Optim.Generators.Tests.Networks;

/// <summary>
/// Every kernel's backward pass against central finite differences, in double, on random shapes that leave vector tails
/// (sizes 1 to 37). Each check differentiates L = Σ r·y for random weights r: the backward pass gets dy = r, and each
/// input element is moved by ±h to difference L. Gradients that accumulate start from a non-zero value, so a kernel
/// that overwrote instead of adding would fail. Each test writes, per gradient it checked, the largest difference and
/// its fraction of the tolerance (<see cref="WorstErrors"/>).
/// </summary>
public sealed class KernelGradientTests(ITestOutputHelper output) : IDisposable
{
    private const double H = 1e-6;

    private readonly WorstErrors _worst = new(output);

    public void Dispose() => _worst.Dispose();

    [Fact]
    public void Dense_backward_matches_finite_differences() =>
        Gen.Select(Gen.Int[1, 5], Gen.Int[1, 37], Gen.Int[1, 37], Gen.Int).Sample((batch, inF, outF, seed) =>
        {
            var random = new Random(seed);
            double[] x = Values(random, batch * inF), w = Values(random, outF * inF), b = Values(random, outF), r = Values(random, batch * outF);
            double Loss() => Weighted(r, y => Dense.Forward<double>(x, w, b, y, batch, inF, outF), batch * outF);
            var dx = new double[batch * inF];
            double[] dw = Values(random, w.Length), db = Values(random, b.Length);
            double[] dw0 = (double[])dw.Clone(), db0 = (double[])db.Clone();
            Dense.BackwardInput<double>(r, w, dx, batch, inF, outF);
            Dense.BackwardWeights<double>(r, x, dw, db, batch, inF, outF);
            Expect("dx", x, dx, Loss);
            Expect("dW", w, Minus(dw, dw0), Loss);
            Expect("dB", b, Minus(db, db0), Loss);
        }, iter: 25);

    [Fact]
    public void Activation_backward_matches_finite_differences() =>
        Gen.Select(Gen.Int[0, 6], Gen.Int[1, 37], Gen.Int).Sample((kind, n, seed) =>
        {
            var random = new Random(seed);
            var activation = (Activation)kind;
            double[] x = Values(random, n, 3), r = Values(random, n);
            var y = new double[n];
            var dx = new double[n];
            Activations.Forward<double>(activation, 0.1, x, y);
            Activations.Backward<double>(activation, 0.1, x, y, r, dx);
            Expect(activation.ToString(), x, dx, () => Weighted(r, o => Activations.Forward<double>(activation, 0.1, x, o), n));
        }, iter: 70);

    [Fact]
    public void Conv2d_backward_matches_finite_differences() =>
        Gen.Select(Gen.Select(Gen.Int[1, 2], Gen.Int[1, 3], Gen.Int[1, 3]), Gen.Select(Gen.Int[1, 3], Gen.Int[1, 2], Gen.Int[0, 1]), Gen.Select(Gen.Int[0, 4], Gen.Int[0, 4], Gen.Int))
            .Sample((sizes, kernel, extra) =>
            {
                var (batch, cin, cout) = sizes;
                var (k, stride, pad) = kernel;
                int h = k + extra.Item1, w = k + extra.Item2;
                var random = new Random(extra.Item3);
                int oh = Conv2d.OutputSize(h, k, stride, pad), ow = Conv2d.OutputSize(w, k, stride, pad);
                double[] x = Values(random, batch * cin * h * w), wt = Values(random, cout * cin * k * k), b = Values(random, cout), r = Values(random, batch * cout * oh * ow);
                var workspace = new double[Conv2d.WorkspaceLength(cin, h, w, k, stride, pad)];
                double Loss() => Weighted(r, y => Conv2d.Forward<double>(x, wt, b, y, workspace, batch, cin, h, w, cout, k, stride, pad), r.Length);
                var dx = new double[x.Length];
                double[] dw = Values(random, wt.Length), db = Values(random, b.Length);
                double[] dw0 = (double[])dw.Clone(), db0 = (double[])db.Clone();
                Conv2d.BackwardInput<double>(r, wt, dx, workspace, batch, cin, h, w, cout, k, stride, pad);
                Conv2d.BackwardWeights<double>(r, x, dw, db, workspace, batch, cin, h, w, cout, k, stride, pad);
                Expect("dx", x, dx, Loss);
                Expect("dW", wt, Minus(dw, dw0), Loss);
                Expect("dB", b, Minus(db, db0), Loss);
            }, iter: 25);

    [Fact]
    public void Pooling_backward_matches_finite_differences() =>
        Gen.Select(Gen.Select(Gen.Int[1, 2], Gen.Int[1, 2], Gen.Int[1, 3]), Gen.Int[0, 5], Gen.Int[0, 5], Gen.Int).Sample((sizes, eh, ew, seed) =>
        {
            var (batch, channels, k) = sizes;
            int h = k + eh, w = k + ew;
            var random = new Random(seed);
            int outputs = batch * channels * (h / k) * (w / k);
            double[] x = Values(random, batch * channels * h * w), r = Values(random, outputs);
            var argmax = new int[outputs];
            var y = new double[outputs];
            var dx = Values(random, x.Length); // overwritten
            Pooling.MaxForward<double>(x, y, argmax, batch, channels, h, w, k);
            Pooling.MaxBackward<double>(r, argmax, dx, batch, channels, h, w, k);
            Expect("max dx", x, dx, () => Weighted(r, o => Pooling.MaxForward<double>(x, o, new int[outputs], batch, channels, h, w, k), outputs));
            dx = Values(random, x.Length);
            Pooling.AvgBackward<double>(r, dx, batch, channels, h, w, k);
            Expect("avg dx", x, dx, () => Weighted(r, o => Pooling.AvgForward<double>(x, o, batch, channels, h, w, k), outputs));
        }, iter: 30);

    [Fact]
    public void LayerNorm_backward_matches_finite_differences() =>
        Gen.Select(Gen.Int[1, 4], Gen.Int[1, 37], Gen.Int).Sample((rows, features, seed) =>
        {
            var random = new Random(seed);
            double[] x = Values(random, rows * features, 2), gamma = Values(random, features), beta = Values(random, features), r = Values(random, rows * features);
            var mean = new double[rows];
            var rstd = new double[rows];
            double Loss() => Weighted(r, y => LayerNorm.Forward<double>(x, gamma, beta, y, mean, rstd, rows, features), r.Length);
            Loss();
            var dx = new double[x.Length];
            double[] dg = Values(random, features), db = Values(random, features);
            double[] dg0 = (double[])dg.Clone(), db0 = (double[])db.Clone();
            LayerNorm.Backward<double>(r, x, gamma, mean, rstd, dx, dg, db, rows, features);
            Expect("dx", x, dx, Loss);
            Expect("dGamma", gamma, Minus(dg, dg0), Loss);
            Expect("dBeta", beta, Minus(db, db0), Loss);
        }, iter: 30);

    [Fact]
    public void Embedding_backward_matches_finite_differences() =>
        Gen.Select(Gen.Int[1, 10], Gen.Int[1, 37], Gen.Int[1, 12], Gen.Int).Sample((num, dim, count, seed) =>
        {
            var random = new Random(seed);
            int[] indices = Enumerable.Range(0, count).Select(_ => random.Next(num)).ToArray();
            double[] w = Values(random, num * dim), r = Values(random, count * dim);
            double[] dw = Values(random, w.Length);
            double[] dw0 = (double[])dw.Clone();
            Embedding.Backward<double>(indices, r, dw, count, dim);
            Expect("dW", w, Minus(dw, dw0), () => Weighted(r, y => Embedding.Forward<double>(indices, w, y, count, dim), r.Length));
        }, iter: 30);

    [Fact]
    public void Dropout_backward_matches_finite_differences() =>
        Gen.Select(Gen.Int[1, 37], Gen.Double[0, 0.9], Gen.Int).Sample((n, p, seed) =>
        {
            var random = new Random(seed);
            double[] x = Values(random, n), r = Values(random, n);
            var mask = new double[n];
            var y = new double[n];
            ulong state = (ulong)seed;
            Dropout.Forward<double>(x, y, mask, p, ref state);
            var dx = new double[n];
            Dropout.Backward<double>(r, mask, dx, p);
            Expect("dx", x, dx, () => Weighted(r, o =>
            {
                ulong again = (ulong)seed;
                Dropout.Forward<double>(x, o, new double[n], p, ref again);
            }, n));
        }, iter: 30);

    [Fact]
    public void Loss_gradients_match_finite_differences() =>
        Gen.Select(Gen.Int[0, 3], Gen.Int[1, 37], Gen.Int).Sample((kind, n, seed) =>
        {
            var random = new Random(seed);
            double[] y = Values(random, n, 3);
            double[] target = kind == 3 ? Enumerable.Range(0, n).Select(_ => (double)random.Next(2)).ToArray() : Values(random, n, 3);
            double Loss(Span<double> dy) => kind switch
            {
                0 => Losses.MeanSquared<double>(y, target, dy),
                1 => Losses.L1<double>(y, target, dy),
                2 => Losses.SmoothL1<double>(y, target, dy),
                _ => Losses.BinaryCrossEntropyWithLogits<double>(y, target, dy),
            };
            var grad = new double[n];
            double loss = Loss(grad);
            Assert.Equal(loss, Loss([]));
            Expect(kind switch { 0 => "MSE", 1 => "L1", 2 => "SmoothL1", _ => "BCEWithLogits" }, y, grad, () => Loss([]));
        }, iter: 40);

    [Fact]
    public void Cross_entropy_gradient_matches_finite_differences() =>
        Gen.Select(Gen.Int[1, 6], Gen.Int[1, 37], Gen.Int).Sample((batch, classes, seed) =>
        {
            var random = new Random(seed);
            double[] logits = Values(random, batch * classes, 4);
            int[] target = Enumerable.Range(0, batch).Select(_ => random.Next(classes)).ToArray();
            var grad = new double[logits.Length];
            double loss = Losses.CrossEntropy<double>(logits, target, grad, batch, classes);
            Assert.Equal(loss, Losses.CrossEntropy<double>(logits, target, [], batch, classes));
            Expect("dLogits", logits, grad, () => Losses.CrossEntropy<double>(logits, target, [], batch, classes));
        }, iter: 30);

    [Fact]
    public void Elementwise_add_scale_and_accumulate_compute_their_sums()
    {
        var random = new Random(5);
        for (int n = 1; n <= 37; n++)
        {
            double[] a = Values(random, n), b = Values(random, n), y = new double[n], into = Values(random, n);
            double[] before = (double[])into.Clone();
            Elementwise.Add<double>(a, b, y);
            Assert.Equal(a.Zip(b, (p, q) => p + q), y);
            Elementwise.Scale<double>(a, -2.5, y);
            Assert.Equal(a.Select(p => p * -2.5), y);
            Elementwise.Accumulate<double>(a, into);
            Assert.Equal(before.Zip(a, (p, q) => p + q), into);
        }
    }

    /// <summary>Σ r·y for the y <paramref name="forward"/> writes.</summary>
    private static double Weighted(double[] r, Action<double[]> forward, int n)
    {
        var y = new double[n];
        forward(y);
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += r[i] * y[i];
        }

        return sum;
    }

    /// <summary>Each element of <paramref name="analytic"/> against (L(v + h) − L(v − h)) / 2h, moving <paramref name="values"/>[i].</summary>
    private void Expect(string what, double[] values, double[] analytic, Func<double> loss)
    {
        for (int i = 0; i < values.Length; i++)
        {
            double saved = values[i];
            values[i] = saved + H;
            double up = loss();
            values[i] = saved - H;
            double down = loss();
            values[i] = saved;
            double numeric = (up - down) / (2 * H);
            double error = Math.Abs(numeric - analytic[i]), bound = 1e-5 * (1 + Math.Abs(numeric));
            _worst.Add(what, error, bound);
            Assert.True(error <= bound, $"{what}[{i}] of {values.Length}: backward {analytic[i]:R}, finite difference {numeric:R}");
        }
    }

    private static double[] Minus(double[] a, double[] b) => a.Zip(b, (p, q) => p - q).ToArray();

    private static double[] Values(Random random, int n, double scale = 1) =>
        Enumerable.Range(0, n).Select(_ => ((random.NextDouble() * 2) - 1) * scale).ToArray();
}
