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

    [Fact]
    public void Generated_step_is_bit_identical_to_the_scalar_oracle_for_random_models()
    {
        Cases.Array[16].Sample(RunBatch, iter: 3, threads: 1);
    }

    private static void RunBatch(Case[] cases)
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
                Compare(model, cases[k]);
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
