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

namespace Optim.Generators.Tests.Oracle;

/// <summary>
/// Generated Step() of every optimizer added after the first four agrees bit for bit with <see cref="RuleOracle"/>, for
/// random hyperparameters, random tensor shapes (vectors of 1 to 300 values and matrices up to 20 × 20, so every tail,
/// padding and per-tensor shape shows up) and a learning rate that changes between steps. Each sample compiles a batch of
/// random models with the generator, loads them and trains them beside the oracle.
/// </summary>
public sealed class RuleOracleTests
{
    private sealed record Case(string Optimizer, Dictionary<string, double> Hyperparameters, int[][] Shapes, int Steps, int Seed)
    {
        public override string ToString() =>
            $"{Optimizer}({string.Join(", ", Hyperparameters.Select(h => $"{h.Key} = {h.Value.ToString("R", CultureInfo.InvariantCulture)}"))}) shapes [{string.Join("; ", Shapes.Select(s => string.Join("×", s)))}], {Steps} steps, seed {Seed}";
    }

    private static Gen<double> Unit(double lo, double hi) => Gen.Double[lo, hi];

    private static Gen<double> Flag => Gen.Bool.Select(b => b ? 1.0 : 0.0);

    /// <summary>Valid hyperparameters for each optimizer, drawn over their ranges.</summary>
    private static readonly Dictionary<string, Gen<Dictionary<string, double>>> Hyperparameters = new()
    {
        ["RmsProp"] = Gen.Select(Unit(0, 0.999), Unit(1e-10, 1e-3), Gen.OneOf(Gen.Const(0.0), Unit(0, 0.1)), Gen.OneOf(Gen.Const(0.0), Unit(0.1, 0.99)), Flag, Flag,
            (alpha, eps, wd, momentum, centered, maximize) => D(("Alpha", alpha), ("Eps", eps), ("WeightDecay", wd), ("Momentum", momentum), ("Centered", centered), ("Maximize", maximize))),
        ["Adagrad"] = Gen.Select(Gen.OneOf(Gen.Const(0.0), Unit(0, 0.1)), Gen.OneOf(Gen.Const(0.0), Unit(0, 0.1)), Gen.OneOf(Gen.Const(0.0), Unit(0, 1)), Unit(1e-10, 1e-3), Flag,
            (decay, wd, initial, eps, maximize) => D(("LrDecay", decay), ("WeightDecay", wd), ("InitialAccumulatorValue", initial), ("Eps", eps), ("Maximize", maximize))),
        ["Adadelta"] = Gen.Select(Unit(0, 1), Unit(1e-8, 1e-3), Gen.OneOf(Gen.Const(0.0), Unit(0, 0.1)), Flag,
            (rho, eps, wd, maximize) => D(("Rho", rho), ("Eps", eps), ("WeightDecay", wd), ("Maximize", maximize))),
        ["Adamax"] = Gen.Select(Unit(0, 0.999), Unit(0, 0.9999), Unit(1e-10, 1e-3), Gen.OneOf(Gen.Const(0.0), Unit(0, 0.1)), Flag,
            (b1, b2, eps, wd, maximize) => D(("Beta1", b1), ("Beta2", b2), ("Eps", eps), ("WeightDecay", wd), ("Maximize", maximize))),
        ["NAdam"] = Gen.Select(Unit(0, 0.999), Unit(0, 0.9999), Unit(1e-10, 1e-3), Gen.OneOf(Gen.Const(0.0), Unit(0, 0.1)), Unit(0, 0.01), Flag, Flag,
            (b1, b2, eps, wd, psi, decoupled, maximize) => D(("Beta1", b1), ("Beta2", b2), ("Eps", eps), ("WeightDecay", wd), ("MomentumDecay", psi), ("DecoupledWeightDecay", decoupled), ("Maximize", maximize))),
        ["RAdam"] = Gen.Select(Unit(0, 0.999), Unit(0.5, 0.9999), Unit(1e-10, 1e-3), Gen.OneOf(Gen.Const(0.0), Unit(0, 0.1)), Flag, Flag,
            (b1, b2, eps, wd, decoupled, maximize) => D(("Beta1", b1), ("Beta2", b2), ("Eps", eps), ("WeightDecay", wd), ("DecoupledWeightDecay", decoupled), ("Maximize", maximize))),
        ["Rprop"] = Gen.Select(Unit(0.1, 0.9), Unit(1.05, 2), Unit(0, 1e-4), Unit(1e-3, 50), Flag,
            (minus, plus, min, max, maximize) => D(("EtaMinus", minus), ("EtaPlus", plus), ("StepSizeMin", min), ("StepSizeMax", max), ("Maximize", maximize))),
        ["Asgd"] = Gen.Select(Unit(0, 0.01), Unit(0, 1), Gen.OneOf(Gen.Const(1e6), Unit(0, 5)), Gen.OneOf(Gen.Const(0.0), Unit(0, 0.1)), Flag,
            (lambd, alpha, t0, wd, maximize) => D(("Lambd", lambd), ("Alpha", alpha), ("T0", Math.Floor(t0)), ("WeightDecay", wd), ("Maximize", maximize))),
        ["Lion"] = Gen.Select(Unit(0, 1), Unit(0, 1), Gen.OneOf(Gen.Const(0.0), Unit(0, 0.1)), Flag,
            (b1, b2, wd, maximize) => D(("Beta1", b1), ("Beta2", b2), ("WeightDecay", wd), ("Maximize", maximize))),
        ["Lamb"] = Gen.Select(Unit(0, 0.999), Unit(0, 0.9999), Unit(1e-8, 1e-3), Gen.OneOf(Gen.Const(0.0), Unit(0, 0.1)),
            (b1, b2, eps, wd) => D(("Beta1", b1), ("Beta2", b2), ("Eps", eps), ("WeightDecay", wd))),
        ["Adafactor"] = Gen.Select(Unit(-1, 0), Unit(1e-30, 1e-3), Unit(0, 1e-2), Unit(1, 3), Gen.OneOf(Gen.Const(0.0), Unit(0, 0.1)), Flag,
            (decay, eps1, eps2, d, wd, maximize) => D(("Beta2Decay", decay), ("Eps1", eps1), ("Eps2", eps2), ("D", d), ("WeightDecay", wd), ("Maximize", maximize))),
        ["Muon"] = Gen.Select(Unit(0, 0.99), Gen.OneOf(Gen.Const(0.0), Unit(0, 0.2)), Flag, Gen.Int[1, 6], Flag,
            (momentum, wd, nesterov, steps, matchRms) => D(("Momentum", momentum), ("WeightDecay", wd), ("Nesterov", nesterov), ("NsSteps", steps), ("MatchRmsAdamW", matchRms), ("Eps", 1e-7))),
    };

    private static Dictionary<string, double> D(params (string Name, double Value)[] values) => values.ToDictionary(v => v.Name, v => v.Value);

    private static readonly Gen<int[]> Vector = Gen.Int[1, 300].Select(n => new[] { n });

    private static readonly Gen<int[]> Matrix = Gen.Select(Gen.Int[1, 20], Gen.Int[1, 20], (r, c) => new[] { r, c });

    private static readonly Gen<Case> Cases =
        from optimizer in Gen.OneOf(Hyperparameters.Keys.Select(Gen.Const).ToArray())
        from hyperparameters in Hyperparameters[optimizer]
        from shapes in (optimizer == "Muon" ? Matrix : Gen.OneOf(Vector, Matrix)).Array[1, 3]
        from steps in Gen.Int[1, 10]
        from seed in Gen.Int
        select new Case(optimizer, hyperparameters, shapes, steps, seed);

    /// <summary>The quick suite: one batch of 16 random models.</summary>
    [Fact]
    public void Generated_step_of_every_new_optimizer_is_bit_identical_to_the_scalar_oracle()
    {
        Cases.Array[16].Sample(RunBatch, iter: 1, threads: 1);
    }

    /// <summary>The long run (Category=Long): four batches of 16.</summary>
    [Fact]
    [Trait("Category", "Long")]
    public void Generated_step_of_every_new_optimizer_is_bit_identical_to_the_scalar_oracle_over_the_long_batch()
    {
        Cases.Array[16].Sample(RunBatch, iter: 4, threads: 1);
    }

    private static void RunBatch(Case[] cases)
    {
        var source = new StringBuilder("using System;\nusing Optim;\nusing static Optim.Optimizer;\n");
        for (int k = 0; k < cases.Length; k++)
        {
            source.Append(Declaration($"Case{k}", cases[k]));
        }

        GeneratorHarness.Run run = GeneratorHarness.Generate(source.ToString());
        Assert.Empty(run.GeneratorDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        using var image = new MemoryStream();
        var emitted = run.Output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));

        var context = new AssemblyLoadContext("rule-oracle", isCollectible: true);
        try
        {
            image.Position = 0;
            var assembly = context.LoadFromStream(image);
            for (int k = 0; k < cases.Length; k++)
            {
                Compare((IOptimizable<float>)Activator.CreateInstance(assembly.GetType($"Case{k}")!)!, cases[k]);
            }
        }
        finally
        {
            context.Unload();
        }
    }

    private static void Compare(IOptimizable<float> model, Case c)
    {
        int n = c.Shapes.Sum(s => s.Aggregate(1, (a, b) => a * b));
        Assert.Equal(n, model.ParameterCount);
        var random = new Random(c.Seed);
        float[] p = Enumerable.Range(0, n).Select(_ => Value(random)).ToArray();
        p.CopyTo(model.Parameters);
        const double baseLr = 0.01;
        var oracle = new RuleOracle(c.Optimizer, Oracled(c), c.Shapes);
        for (int step = 0; step < c.Steps; step++)
        {
            float[] grad = Enumerable.Range(0, n).Select(_ => step % 4 == 3 && random.Next(4) == 0 ? 0f : Value(random)).ToArray();
            double lr = baseLr * (1 + (step % 3));
            model.ZeroGrad();
            grad.CopyTo(model.Gradients);
            model.LearningRate = lr;
            model.Step();
            oracle.Step(p, grad, lr);
            for (int i = 0; i < n; i++)
            {
                // Bit for bit, except that a NaN matches any NaN: where the rule itself breaks down (Adafactor's 0/0 when
                // ε₁² rounds to 0 in float and a row of gradients is zero) neither PyTorch nor IEEE 754 fixes the NaN's sign
                // or payload, which depend on which operand a vector instruction propagates.
                if (BitConverter.SingleToInt32Bits(p[i]) != BitConverter.SingleToInt32Bits(model.Parameters[i]) && !(float.IsNaN(p[i]) && float.IsNaN(model.Parameters[i])))
                {
                    Assert.Fail($"{c}: step {step + 1}, element {i}: oracle {p[i]:R}, generated {model.Parameters[i]:R}");
                }
            }
        }
    }

    /// <summary>The case's values with the defaults the oracle needs spelled out.</summary>
    private static Dictionary<string, double> Oracled(Case c) => new(c.Hyperparameters);

    /// <summary>Values over many magnitudes, both signs.</summary>
    private static float Value(Random random) => (float)((random.NextDouble() * 2 - 1) * Math.Pow(10, random.Next(-3, 2)));

    private static string Declaration(string name, Case c)
    {
        var arguments = c.Hyperparameters.Select(h => h.Key switch
        {
            "Centered" or "Maximize" or "DecoupledWeightDecay" or "Nesterov" or "MatchRmsAdamW" => $"{h.Key} = {(h.Value != 0 ? "true" : "false")}",
            "NsSteps" => $"{h.Key} = {(int)h.Value}",
            _ => $"{h.Key} = {h.Value.ToString("R", CultureInfo.InvariantCulture)}",
        });
        string parameters = string.Concat(c.Shapes.Select((shape, i) => $"    [Parameter({string.Join(", ", shape)})] public partial Span<float> P{i} {{ get; }}\n"));
        return $"[Optimize({c.Optimizer}, Lr = 0.01, {string.Join(", ", arguments)})]\npublic sealed partial class {name}\n{{\n{parameters}}}\n";
    }
}
