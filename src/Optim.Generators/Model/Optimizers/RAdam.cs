using System.Collections.Generic;
using System.Collections.Immutable;
using Optim.Generators.Common;
using static Optim.Generators.Model.Expr;

namespace Optim.Generators.Model.Optimizers;

/// <summary>torch.optim.RAdam (single-tensor path), as data.</summary>
internal static class RAdam
{
    public static OptimizerDefinition Definition { get; } = new(
        id: 9,
        name: "RAdam",
        ImmutableArray.Create(
            new Hyperparameter("Lr", Constraint.Positive, 1e-3),
            new Hyperparameter("Beta1", Constraint.HalfOpenUnit, 0.9),
            new Hyperparameter("Beta2", Constraint.HalfOpenUnit, 0.999),
            new Hyperparameter("Eps", Constraint.NonNegative, 1e-8),
            new Hyperparameter("WeightDecay", Constraint.NonNegative, 0),
            new Hyperparameter("DecoupledWeightDecay", Constraint.Flag, 0),
            new Hyperparameter("Maximize", Constraint.Flag, 0)),
        Build);

    private static UpdateRule Build(HyperValues h)
    {
        double beta1 = h["Beta1"], beta2 = h["Beta2"];
        bool decoupled = h.Flag("DecoupledWeightDecay");
        var expAvg = new Buffer("expAvg", "m", "exp_avg m (first moment)");
        var expAvgSq = new Buffer("expAvgSq", "v", "exp_avg_sq v (second moment)") { Values = StateValues.NonNegative };
        var body = new List<Statement>();

        var beta1Power = StepAccumulator.Power("beta1Power", "β₁ᵗ", Constant("beta1", "β₁", beta1));
        var beta2Power = StepAccumulator.Power("beta2Power", "β₂ᵗ", Constant("beta2", "β₂", beta2));
        var biasCorrection1 = new StepScalar("biasCorrection1", "(1 − β₁ᵗ)", One - beta1Power.Ref, ToKernel: false);
        var biasCorrection2 = new StepScalar("biasCorrection2", "(1 − β₂ᵗ)", One - beta2Power.Ref, ToKernel: false);

        // ρ∞ = 2/(1 − β₂) − 1 (a constant), ρₜ = ρ∞ − 2t·β₂ᵗ/(1 − β₂ᵗ); the rectified step only when ρₜ > 5 (decided on ρₜ
        // computed as PyTorch computes it).
        double rhoInfinity = (2 / (1 - beta2)) - 1;
        Expr rhoInf = Constant("rhoInf", "ρ∞", rhoInfinity);
        Expr two = Constant("two", "2", 2), four = Constant("four", "4", 4);
        var rhoT = new StepScalar("rhoT", "ρₜ", rhoInf - (two * T * beta2Power.Ref / biasCorrection2.Ref), ToKernel: false);
        var rectified = new StepScalar("rectified", "ρₜ > 5", Greater(rhoT.Ref, Constant("five", "5", 5)), ToKernel: true);

        // Rectified: θ ← θ − (γ·rₜ·√(1 − β₂ᵗ)/(1 − β₁ᵗ))·m / (√v + ε) with rₜ = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ));
        // otherwise θ ← θ − (γ/(1 − β₁ᵗ))·m. With N = ρₜ·(1 − β₂ᵗ) = ρ∞·(1 − β₂ᵗ) − 2t·β₂ᵗ, rₜ·√(1 − β₂ᵗ) is
        // √((N − 4(1 − β₂ᵗ))(N − 2(1 − β₂ᵗ))ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)N)): one division and one square root on the way from
        // β₂ᵗ to the step size instead of three divisions and a square root one after another (the same value to the
        // last bits of a double; the step sizes are then rounded to the element type).
        var scaledRho = new StepScalar("scaledRho", "N", (rhoInf * biasCorrection2.Ref) - (two * T * beta2Power.Ref), ToKernel: false);
        var adaptiveStep = new StepScalar(
            "adaptiveStep",
            "αₜ",
            (Lr / biasCorrection1.Ref) * Sqrt((scaledRho.Ref - (four * biasCorrection2.Ref)) * (scaledRho.Ref - (two * biasCorrection2.Ref)) * rhoInf / ((rhoInf - four) * (rhoInf - two) * scaledRho.Ref)),
            ToKernel: true);
        var plainStep = new StepScalar("plainStep", "γ̂ₜ", Lr / biasCorrection1.Ref, ToKernel: true);
        var scalars = new List<StepScalar> { biasCorrection1, biasCorrection2, rhoT, rectified, scaledRho, adaptiveStep, plainStep };

        if (decoupled)
        {
            Steps.DecoupledDecay(scalars, body, h["WeightDecay"]);
        }

        Expr g = Steps.Gradient(body, h.Flag("Maximize"), decoupled ? 0 : h["WeightDecay"]);
        body.Add(Steps.Assign(expAvg, Steps.Ema(expAvg.Value, g, beta1, "beta1", "β₁")));
        body.Add(Steps.Assign(expAvgSq, Steps.Ema(expAvgSq.Value, g * g, beta2, "beta2", "β₂")));
        Expr theta = UpdateRule.Param.Value;
        body.Add(Steps.Assign(UpdateRule.Param, Select(
            rectified.Ref,
            theta - (adaptiveStep.Ref * (expAvg.Value / (Sqrt(expAvgSq.Value) + Constant("eps", "ε", h["Eps"])))),
            theta - (plainStep.Ref * expAvg.Value))));

        return new UpdateRule(
            "RAdam",
            "torch.optim.RAdam",
            "",
            EquatableArray.Of(expAvg, expAvgSq),
            EquatableArray.Of(beta1Power, beta2Power),
            scalars.ToEquatableArray(),
            body.ToEquatableArray(),
            "αₜ = γ·rₜ·√(1 − β₂ᵗ)/(1 − β₁ᵗ) with rₜ = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ)) and N = ρₜ·(1 − β₂ᵗ): PyTorch's m̂·γ·√(1 − β₂ᵗ)/(√v + ε)·rₜ with the scalars gathered.");
    }
}
