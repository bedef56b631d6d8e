using System.Collections.Generic;
using System.Collections.Immutable;
using Optim.Generators.Common;
using static Optim.Generators.Model.Expr;

namespace Optim.Generators.Model.Optimizers;

/// <summary>torch.optim.NAdam (single-tensor path), as data.</summary>
internal static class NAdam
{
    public static OptimizerDefinition Definition { get; } = new(
        id: 8,
        name: "NAdam",
        ImmutableArray.Create(
            new Hyperparameter("Lr", Constraint.Positive, 2e-3),
            new Hyperparameter("Beta1", Constraint.HalfOpenUnit, 0.9),
            new Hyperparameter("Beta2", Constraint.HalfOpenUnit, 0.999),
            new Hyperparameter("Eps", Constraint.NonNegative, 1e-8),
            new Hyperparameter("WeightDecay", Constraint.NonNegative, 0),
            new Hyperparameter("MomentumDecay", Constraint.NonNegative, 4e-3),
            new Hyperparameter("DecoupledWeightDecay", Constraint.Flag, 0),
            new Hyperparameter("Maximize", Constraint.Flag, 0)),
        Build);

    private static UpdateRule Build(HyperValues h)
    {
        double beta1 = h["Beta1"], beta2 = h["Beta2"], psi = h["MomentumDecay"];
        bool decoupled = h.Flag("DecoupledWeightDecay");
        var expAvg = new Buffer("expAvg", "m", "exp_avg m (first moment)");
        var expAvgSq = new Buffer("expAvgSq", "v", "exp_avg_sq v (second moment)") { Values = StateValues.NonNegative };
        var body = new List<Statement>();
        var scalars = new List<StepScalar>();

        // μₜ = β₁·(1 − ½·0.96^(t·ψ)); PyTorch keeps the running product Πμ (mu_product) as state. 0.96^(t·ψ) is a running
        // power of 0.96^ψ (one multiply a step instead of two Math.Pow calls).
        Expr b1 = Constant("beta1", "β₁", beta1);
        Expr half = Constant("half", "½", 0.5);
        Expr decayStep = Constant("decayStep", "0.96^ψ", System.Math.Pow(0.96, psi));
        var decayPower = StepAccumulator.Power("decayPower", "0.96^(tψ)", decayStep);
        var mu = new StepScalar("mu", "μₜ", b1 * (One - (half * decayPower.Ref)), ToKernel: false);
        var muNext = new StepScalar("muNext", "μₜ₊₁", b1 * (One - (half * (decayPower.Ref * decayStep))), ToKernel: false);
        // μₜ lies in [β₁(1 − ½·0.96^ψ), β₁] (0.96^(tψ) falls from 0.96^ψ towards 0), so Πμ lies between their t-th powers.
        double c = System.Math.Pow(0.96, psi);
        var muProduct = new StepAccumulator("muProduct", "Πμ", Scalar("muProduct", "Πμ") * mu.Value, beta1 * (1 - (0.5 * c)), beta1);
        var beta2Power = StepAccumulator.Power("beta2Power", "β₂ᵗ", Constant("beta2", "β₂", beta2));
        var biasCorrection2 = new StepScalar("biasCorrection2", "(1 − β₂ᵗ)", One - beta2Power.Ref, ToKernel: true);
        var gradStep = new StepScalar("gradStep", "c₁", Lr * (One - mu.Ref) / (One - muProduct.Ref), ToKernel: true);
        var avgStep = new StepScalar("avgStep", "c₂", Lr * muNext.Ref / (One - (muProduct.Ref * muNext.Ref)), ToKernel: true);
        scalars.AddRange(new[] { mu, muNext, biasCorrection2, gradStep, avgStep });

        if (decoupled)
        {
            Steps.DecoupledDecay(scalars, body, h["WeightDecay"]);
        }

        Expr g = Steps.Gradient(body, h.Flag("Maximize"), decoupled ? 0 : h["WeightDecay"]);
        body.Add(Steps.Assign(expAvg, Steps.Ema(expAvg.Value, g, beta1, "beta1", "β₁")));
        body.Add(Steps.Assign(expAvgSq, Steps.Ema(expAvgSq.Value, g * g, beta2, "beta2", "β₂")));
        Expr denom = Steps.Let(body, "denom", "d", Sqrt(expAvgSq.Value / biasCorrection2.Ref) + Constant("eps", "ε", h["Eps"]));

        // Two addcdiv steps, as PyTorch: θ ← θ − c₁·g/d, then θ ← θ − c₂·m/d.
        body.Add(Steps.Assign(UpdateRule.Param, UpdateRule.Param.Value - (gradStep.Ref * (g / denom))));
        body.Add(Steps.Assign(UpdateRule.Param, UpdateRule.Param.Value - (avgStep.Ref * (expAvg.Value / denom))));

        return new UpdateRule(
            "NAdam",
            "torch.optim.NAdam",
            "",
            EquatableArray.Of(expAvg, expAvgSq),
            EquatableArray.Of(decayPower, muProduct, beta2Power),
            scalars.ToEquatableArray(),
            body.ToEquatableArray(),
            "c₁ = γ·(1 − μₜ) / (1 − Πμ), c₂ = γ·μₜ₊₁ / (1 − Πμ·μₜ₊₁), Πμ including μₜ.");
    }
}
