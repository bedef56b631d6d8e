using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.Loader;
using System.Text;
using CsCheck;
using Microsoft.CodeAnalysis;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.Runtime;

/// <summary>
/// Generated Step() (vector body, padding and per-step scalars) agrees bit for bit with a plain scalar oracle,
/// for random optimizers, hyperparameters and parameter sizes (1 to 3000, so every tail and padding shape).
/// Each sample compiles a batch of random models with the generator, loads them and trains them.
/// </summary>
public sealed class OracleTests
{
    private sealed record Case(OracleConfig Config, int[] Sizes, int Steps, int Seed);

    private static readonly Gen<OracleConfig> Configs =
        from optimizer in Gen.OneOf("Sgd", "Momentum", "Adam", "AdamW")
        from lr in Gen.Double[1e-4, 0.5]
        from momentum in Gen.OneOf(Gen.Const(0.0), Gen.Double[0.01, 0.99])
        from dampening in Gen.OneOf(Gen.Const(0.0), Gen.Double[0, 1])
        from nesterov in Gen.Bool
        from weightDecay in Gen.OneOf(Gen.Const(0.0), Gen.Double[0, 0.1])
        from maximize in Gen.Bool
        from beta in Gen.Double[0, 0.999]
        from beta1 in Gen.Double[0, 0.999]
        from beta2 in Gen.Double[0, 0.9999]
        from eps in Gen.Double[1e-10, 1e-3]
        from amsgrad in Gen.Bool
        select new OracleConfig(optimizer, lr, momentum, dampening, nesterov && momentum > 0 && dampening == 0, weightDecay, maximize, beta, beta1, beta2, eps, amsgrad);

    private static readonly Gen<Case> Cases =
        from config in Configs
        from sizes in Gen.Int[1, 3000].Array[1, 3]
        from steps in Gen.Int[1, 12]
        from seed in Gen.Int
        select new Case(config, sizes, steps, seed);

    /// <summary>The quick suite: one batch of 16 random models.</summary>
    [Fact]
    public void Generated_step_is_bit_identical_to_the_scalar_oracle_for_random_models()
    {
        Cases.Array[16].Sample(RunBatch, iter: 1, threads: 1);
    }

    /// <summary>The long run (Category=Long): three batches of 16.</summary>
    [Fact]
    [Trait("Category", "Long")]
    public void Generated_step_is_bit_identical_to_the_scalar_oracle_for_random_models_over_the_long_batch()
    {
        Cases.Array[16].Sample(RunBatch, iter: 3, threads: 1);
    }

    /// <summary>Random Adam and AdamW configurations: bias corrections, AMSGrad, weight decay, maximize, tiny ε.</summary>
    private static readonly Gen<Case> AdamCases =
        from optimizer in Gen.OneOf("Adam", "AdamW")
        from lr in Gen.Double[1e-4, 0.1]
        from weightDecay in Gen.OneOf(Gen.Const(0.0), Gen.Double[0, 0.1])
        from maximize in Gen.Bool
        from beta1 in Gen.Double[0.5, 0.99]
        from beta2 in Gen.Double[0.9, 0.9999]
        from eps in Gen.Double[1e-8, 1e-6]
        from amsgrad in Gen.Bool
        from sizes in Gen.Int[1, 300].Array[1, 3]
        from steps in Gen.Int[1, 30]
        from seed in Gen.Int
        select new Case(new OracleConfig(optimizer, lr, WeightDecay: weightDecay, Maximize: maximize, Beta1: beta1, Beta2: beta2, Eps: eps, Amsgrad: amsgrad), sizes, steps, seed);

    /// <summary>
    /// The generated Adam against PyTorch's literal formula in float64 (two divisions and Math.Pow, not the generator's
    /// rearranged form), within the reference file's tightest Adam tolerance tol: after step k,
    /// |x − y| ≤ tol·(|y| + 1e-3·max_k |y_k| + Σ_{j≤k} |Δ_j|). The first two terms are the file's rule; the last lets each
    /// step's update Δ_j carry that same relative error, which the file's rule alone cannot absorb when random values
    /// make θ − Δ cancel (θ ≈ Δ ≈ 0.07 leaving 8e-4 loses float32 digits any implementation loses).
    /// </summary>
    [Fact]
    public void Generated_adam_matches_pytorchs_literal_formula_within_the_reference_tolerance()
    {
        AdamCases.Array[16].Sample(cases => CompileAndRun(cases, CompareWithLiteralAdam), iter: 1, threads: 1);
    }

    /// <summary>The test above over three batches of 16 instead of one (Category=Long).</summary>
    [Fact]
    [Trait("Category", "Long")]
    public void Generated_adam_matches_pytorchs_literal_formula_within_the_reference_tolerance_over_the_long_batch()
    {
        AdamCases.Array[16].Sample(cases => CompileAndRun(cases, CompareWithLiteralAdam), iter: 3, threads: 1);
    }

    private static void CompareWithLiteralAdam(IOptimizable<float> model, Case c)
    {
        double tolerance = LiteralAdamTolerance;
        OracleConfig o = c.Config;
        int n = c.Sizes.Sum();
        var random = new Random(c.Seed);
        double[] p = Enumerable.Range(0, n).Select(_ => (double)Value(random)).ToArray();
        for (int i = 0; i < n; i++)
        {
            model.Parameters[i] = (float)p[i];
        }

        double[] m = new double[n], v = new double[n], vMax = new double[n], largest = p.Select(Math.Abs).ToArray(), moved = new double[n];

        // The float model rounds θ itself every step, as any float32 run does: once for θ − update (AdamW also once for
        // θ·(1 − γλ)), each at most half an ulp of |θ|. Those roundings add up over the steps whatever the formula, so the
        // bound below grants them on top of the reference tolerance (a 22-step AdamW run at |θ| ≈ 32 once needed it).
        int thetaRoundings = o.Optimizer == "AdamW" ? 2 : 1;
        double[] rounding = new double[n];
        var trajectory = new List<(double[] Expected, double[] Moved, double[] Rounding, float[] Actual)>();
        for (int t = 1; t <= c.Steps; t++)
        {
            float[] grad = Enumerable.Range(0, n).Select(_ => Value(random)).ToArray();
            grad.CopyTo(model.Gradients);
            model.Step();
            for (int i = 0; i < n; i++)
            {
                // torch.optim.adam._single_tensor_adam, written as it reads.
                double g = o.Maximize ? -grad[i] : grad[i];
                if (o.Optimizer == "AdamW")
                {
                    p[i] *= 1 - (o.Lr * o.WeightDecay);
                }
                else if (o.WeightDecay != 0)
                {
                    // The L2 term joins the gradient in float32, as in any float32 run (PyTorch's grad.add(param, alpha=λ)):
                    // where it nearly cancels the gradient, that rounding is the input of the update, not the formula's error.
                    g = (float)g + ((float)o.WeightDecay * (float)p[i]);
                }

                m[i] = (o.Beta1 * m[i]) + ((1 - o.Beta1) * g);
                v[i] = (o.Beta2 * v[i]) + ((1 - o.Beta2) * g * g);
                double biasCorrection1 = 1 - Math.Pow(o.Beta1, t);
                double biasCorrection2 = 1 - Math.Pow(o.Beta2, t);
                double stepSize = o.Lr / biasCorrection1;
                vMax[i] = Math.Max(vMax[i], v[i]);
                double denominator = (Math.Sqrt(o.Amsgrad ? vMax[i] : v[i]) / Math.Sqrt(biasCorrection2)) + o.Eps;
                double before = p[i];
                p[i] -= stepSize * (m[i] / denominator);
                moved[i] += Math.Abs(p[i] - before);
                rounding[i] += thetaRoundings * FloatHalfUlp * Math.Max(Math.Abs(before), Math.Abs(p[i]));
                largest[i] = Math.Max(largest[i], Math.Abs(p[i]));
            }

            trajectory.Add(((double[])p.Clone(), (double[])moved.Clone(), (double[])rounding.Clone(), model.Parameters.ToArray()));
        }

        for (int k = 0; k < trajectory.Count; k++)
        {
            for (int i = 0; i < n; i++)
            {
                double expected = trajectory[k].Expected[i], actual = trajectory[k].Actual[i];
                double allowed = (tolerance * (Math.Abs(expected) + (1e-3 * largest[i]) + trajectory[k].Moved[i])) + trajectory[k].Rounding[i];
                if (!(Math.Abs(actual - expected) <= allowed))
                {
                    Assert.Fail($"{o} sizes [{string.Join(", ", c.Sizes)}] seed {c.Seed}: step {k + 1}, element {i}: literal {expected:R}, generated {actual:R}, |Δ| {Math.Abs(actual - expected):G3} > {allowed:G3}");
                }
            }
        }
    }

    /// <summary>Half an ulp of 1 in float (2⁻²⁴): the largest relative error of one rounding to float.</summary>
    private const double FloatHalfUlp = 1.0 / (1 << 24);

    /// <summary>The tightest tolerance the reference file gives any Adam or AdamW case.</summary>
    private static double LiteralAdamTolerance { get; } = Parity.ReferenceCase.All
        .Where(r => r.Optimizer is "Adam" or "AdamW")
        .Min(r => r.Tolerance);

    private static void RunBatch(Case[] cases) => CompileAndRun(cases, Compare);

    /// <summary>Compiles every case into one assembly with the generator, loads it and hands each model to <paramref name="check"/>.</summary>
    private static void CompileAndRun(Case[] cases, Action<IOptimizable<float>, Case> check)
    {
        var source = new StringBuilder("using System;\nusing Optim;\nusing static Optim.Optimizer;\n");
        for (int k = 0; k < cases.Length; k++)
        {
            source.Append(Declaration($"Case{k}", cases[k]));
        }

        GeneratorHarness.Run run = GeneratorHarness.Generate(source.ToString());
        Assert.Empty(run.GeneratorDiagnostics);
        using var image = new MemoryStream();
        var emitted = run.Output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));

        var context = new AssemblyLoadContext("oracle", isCollectible: true);
        try
        {
            image.Position = 0;
            var assembly = context.LoadFromStream(image);
            for (int k = 0; k < cases.Length; k++)
            {
                var model = (IOptimizable<float>)Activator.CreateInstance(assembly.GetType($"Case{k}")!)!;
                check(model, cases[k]);
            }
        }
        finally
        {
            context.Unload();
        }
    }

    private static void Compare(IOptimizable<float> model, Case c)
    {
        int n = c.Sizes.Sum();
        Assert.Equal(n, model.ParameterCount);
        var random = new Random(c.Seed);
        float[] p = Enumerable.Range(0, n).Select(_ => Value(random)).ToArray();
        p.CopyTo(model.Parameters);
        var oracle = new ScalarOracle(c.Config, n);

        for (int step = 0; step < c.Steps; step++)
        {
            float[] grad = Enumerable.Range(0, n).Select(_ => Value(random)).ToArray();
            double lr = c.Config.Lr * (1 + step % 3);
            model.ZeroGrad();
            grad.CopyTo(model.Gradients);
            model.LearningRate = lr;
            model.Step();
            oracle.Step(p, grad, lr);

            for (int i = 0; i < n; i++)
            {
                if (BitConverter.SingleToInt32Bits(p[i]) != BitConverter.SingleToInt32Bits(model.Parameters[i]))
                {
                    Assert.Fail($"{c.Config} sizes [{string.Join(", ", c.Sizes)}]: step {step + 1}, element {i}: oracle {p[i]:R}, generated {model.Parameters[i]:R}");
                }
            }
        }
    }

    /// <summary>Values over many magnitudes, both signs.</summary>
    private static float Value(Random random) => (float)((random.NextDouble() * 2 - 1) * Math.Pow(10, random.Next(-3, 3)));

    private static string Declaration(string name, Case c)
    {
        OracleConfig o = c.Config;
        var args = new List<string> { o.Optimizer, $"Lr = {R(o.Lr)}" };
        switch (o.Optimizer)
        {
            case "Sgd":
                args.Add($"Momentum = {R(o.Momentum)}, Dampening = {R(o.Dampening)}, Nesterov = {B(o.Nesterov)}, WeightDecay = {R(o.WeightDecay)}, Maximize = {B(o.Maximize)}");
                break;
            case "Momentum":
                args.Add($"Beta = {R(o.Beta)}");
                break;
            default:
                args.Add($"Beta1 = {R(o.Beta1)}, Beta2 = {R(o.Beta2)}, Eps = {R(o.Eps)}, WeightDecay = {R(o.WeightDecay)}, Amsgrad = {B(o.Amsgrad)}, Maximize = {B(o.Maximize)}");
                break;
        }

        string parameters = string.Concat(c.Sizes.Select((size, i) => $"    [Parameter({size})] public partial Span<float> P{i} {{ get; }}\n"));
        return $"[Optimize({string.Join(", ", args)})]\npublic sealed partial class {name}\n{{\n{parameters}}}\n";
    }

    private static string R(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string B(bool value) => value ? "true" : "false";
}
