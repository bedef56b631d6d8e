using System.Collections.Generic;
using System.Collections.Immutable;
using Optim.Generators.Common;
using static Optim.Generators.Model.Expr;

namespace Optim.Generators.Model.Optimizers;

/// <summary>torch.optim.Adam and torch.optim.AdamW (single-tensor path), as data.</summary>
internal static class Adam
{
    public static OptimizerDefinition Definition { get; } = Define(id: 2, "Adam", defaultWeightDecay: 0, decoupled: false);

    public static OptimizerDefinition AdamWDefinition { get; } = Define(id: 3, "AdamW", defaultWeightDecay: 0.01, decoupled: true);

    private static OptimizerDefinition Define(int id, string name, double defaultWeightDecay, bool decoupled) => new(
        id,
        name,
        ImmutableArray.Create(
            new Hyperparameter("Lr", Constraint.Positive, 1e-3),
            new Hyperparameter("Beta1", Constraint.HalfOpenUnit, 0.9),
            new Hyperparameter("Beta2", Constraint.HalfOpenUnit, 0.999),
            new Hyperparameter("Eps", Constraint.NonNegative, 1e-8),
            new Hyperparameter("WeightDecay", Constraint.NonNegative, defaultWeightDecay),
            new Hyperparameter("Amsgrad", Constraint.Flag, 0),
            new Hyperparameter("Maximize", Constraint.Flag, 0)),
        h => Build(h, decoupled));

    private static UpdateRule Build(HyperValues h, bool decoupled)
    {
        double beta1 = h["Beta1"], beta2 = h["Beta2"], weightDecay = h["WeightDecay"];
        var expAvg = new Buffer("expAvg", "m", "exp_avg m (first moment)");
        var expAvgSq = new Buffer("expAvgSq", "v", "exp_avg_sq v (second moment)") { Values = StateValues.NonNegative };
        var state = new List<Buffer> { expAvg, expAvgSq };
        var body = new List<Statement>();

        // β^t as running products (one multiply per step; Math.Pow costs ~28 ns a call), and the bias corrections.
        var beta1Power = StepAccumulator.Power("beta1Power", "β₁ᵗ", Constant("beta1", "β₁", beta1));
        var beta2Power = StepAccumulator.Power("beta2Power", "β₂ᵗ", Constant("beta2", "β₂", beta2));
        var biasCorrection1 = new StepScalar("biasCorrection1", "(1 − β₁ᵗ)", One - beta1Power.Ref, ToKernel: false);
        var biasCorrection2Sqrt = new StepScalar("biasCorrection2Sqrt", "√(1 − β₂ᵗ)", Sqrt(One - beta2Power.Ref), ToKernel: false);

        // PyTorch: θ ← θ − (γ / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε). Multiplying numerator and denominator by
        // √(1 − β₂ᵗ) gives the same quantity with one division per element instead of two:
        // θ ← θ − α·m / (√v + ε̂), α = γ·√(1 − β₂ᵗ) / (1 − β₁ᵗ), ε̂ = ε·√(1 − β₂ᵗ) (Kingma & Ba, §2).
        var stepSize = new StepScalar("stepSize", "α", Lr * biasCorrection2Sqrt.Ref / biasCorrection1.Ref, ToKernel: true);
        var epsHat = new StepScalar("epsHat", "ε̂", Constant("eps", "ε", h["Eps"]) * biasCorrection2Sqrt.Ref, ToKernel: true);
        var scalars = new List<StepScalar> { biasCorrection1, biasCorrection2Sqrt, stepSize, epsHat };

        Expr param = UpdateRule.Param.Value;
        if (decoupled)
        {
            // AdamW: θ ← θ·(1 − γλ) before the Adam update.
            Steps.DecoupledDecay(scalars, body, weightDecay);
        }

        Expr g = Steps.Gradient(body, h.Flag("Maximize"), decoupled ? 0 : weightDecay);
        body.Add(new Statement(expAvg.Name, expAvg.Symbol, (Constant("beta1", "β₁", beta1) * expAvg.Value) + (Constant("oneMinusBeta1", "(1 − β₁)", 1 - beta1) * g)));
        body.Add(new Statement(expAvgSq.Name, expAvgSq.Symbol, (Constant("beta2", "β₂", beta2) * expAvgSq.Value) + (Constant("oneMinusBeta2", "(1 − β₂)", 1 - beta2) * (g * g))));

        Expr second = expAvgSq.Value;
        if (h.Flag("Amsgrad"))
        {
            var maxExpAvgSq = new Buffer("maxExpAvgSq", "v̂", "max_exp_avg_sq v̂ (running maximum of v)") { Values = StateValues.NonNegative };
            state.Add(maxExpAvgSq);
            body.Add(new Statement(maxExpAvgSq.Name, maxExpAvgSq.Symbol, Max(maxExpAvgSq.Value, expAvgSq.Value)));
            second = maxExpAvgSq.Value;
        }

        body.Add(new Statement("denom", "d", Sqrt(second) + epsHat.Ref));
        body.Add(new Statement(UpdateRule.Param.Name, UpdateRule.Param.Symbol, param - (stepSize.Ref * (expAvg.Value / Variable("denom", "d")))));

        return new UpdateRule(
            decoupled ? "AdamW" : "Adam",
            decoupled ? "torch.optim.AdamW" : "torch.optim.Adam",
            "",
            state.ToEquatableArray(),
            EquatableArray.Of(beta1Power, beta2Power),
            scalars.ToEquatableArray(),
            body.ToEquatableArray(),
            "PyTorch's θ ← θ − γ·m̂ / (√v̂ + ε), m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ), rearranged to one division per element.");
    }
}
