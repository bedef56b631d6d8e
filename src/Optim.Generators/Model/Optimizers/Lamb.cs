using System.Collections.Generic;
using System.Collections.Immutable;
using Optim.Generators.Common;
using static Optim.Generators.Model.Expr;

namespace Optim.Generators.Model.Optimizers;

/// <summary>
/// LAMB (You et al. 2019, "Large Batch Optimization for Deep Learning", Algorithm 2 with bias correction), as data:
/// Adam's direction plus decoupled weight decay, scaled per parameter tensor by the trust ratio ‖θ‖/‖r‖.
/// </summary>
internal static class Lamb
{
    public static OptimizerDefinition Definition { get; } = new(
        id: 13,
        name: "Lamb",
        ImmutableArray.Create(
            new Hyperparameter("Lr", Constraint.Positive, 1e-3),
            new Hyperparameter("Beta1", Constraint.HalfOpenUnit, 0.9),
            new Hyperparameter("Beta2", Constraint.HalfOpenUnit, 0.999),
            new Hyperparameter("Eps", Constraint.NonNegative, 1e-6),
            new Hyperparameter("WeightDecay", Constraint.NonNegative, 0)),
        Build);

    private static UpdateRule Build(HyperValues h)
    {
        double beta1 = h["Beta1"], beta2 = h["Beta2"], weightDecay = h["WeightDecay"];
        var expAvg = new Buffer("expAvg", "m", "exp_avg m (first moment)");
        var expAvgSq = new Buffer("expAvgSq", "v", "exp_avg_sq v (second moment)") { Values = StateValues.NonNegative };
        Expr theta = UpdateRule.Param.Value, g = UpdateRule.Grad.Value;

        var beta1Power = StepAccumulator.Power("beta1Power", "β₁ᵗ", Constant("beta1", "β₁", beta1));
        var beta2Power = StepAccumulator.Power("beta2Power", "β₂ᵗ", Constant("beta2", "β₂", beta2));
        var biasCorrection1 = new StepScalar("biasCorrection1", "(1 − β₁ᵗ)", One - beta1Power.Ref, ToKernel: false);
        var biasCorrection2Sqrt = new StepScalar("biasCorrection2Sqrt", "√(1 − β₂ᵗ)", Sqrt(One - beta2Power.Ref), ToKernel: false);

        // r = m̂ / (√v̂ + ε) + λθ, computed as Adam does with one division: a·m / (√v + ε̂), a = √(1 − β₂ᵗ)/(1 − β₁ᵗ),
        // ε̂ = ε·√(1 − β₂ᵗ). The second pass computes r again from the stored m and v (the same operations on the same
        // values, so the same bits) rather than reading it from a working section: reading θ, m and v there moves the
        // same bytes as reading θ and r, and no section has to be written for it in the first pass (10 memory streams
        // in all against Adam's 7, not 11, and no working memory).
        var directionScale = new StepScalar("directionScale", "a", biasCorrection2Sqrt.Ref / biasCorrection1.Ref, ToKernel: true);
        var epsHat = new StepScalar("epsHat", "ε̂", Constant("eps", "ε", h["Eps"]) * biasCorrection2Sqrt.Ref, ToKernel: true);
        Expr direction = directionScale.Ref * (expAvg.Value / (Sqrt(expAvgSq.Value) + epsHat.Ref));
        if (weightDecay != 0)
        {
            direction += Constant("weightDecay", "λ", weightDecay) * theta;
        }

        var first = new List<Statement>
        {
            Steps.Assign(expAvg, Steps.Ema(expAvg.Value, g, beta1, "beta1", "β₁")),
            Steps.Assign(expAvgSq, Steps.Ema(expAvgSq.Value, g * g, beta2, "beta2", "β₂")),
        };
        Expr r = Steps.Let(first, "update", "r", direction);
        var thetaSquares = new Reduction("paramSquares", "‖θ‖²", theta * theta);
        var updateSquares = new Reduction("updateSquares", "‖r‖²", r * r);

        // Trust ratio ‖θ‖/‖r‖, taken as 1 when either norm is 0.
        var paramNorm = new StepScalar("paramNorm", "‖θ‖", Sqrt(thetaSquares.Ref), ToKernel: false);
        var updateNorm = new StepScalar("updateNorm", "‖r‖", Sqrt(updateSquares.Ref), ToKernel: false);
        Expr zero = Constant("zero", "0", 0);
        var trust = new StepScalar("trustRatio", "φ", Select(And(Greater(paramNorm.Ref, zero), Greater(updateNorm.Ref, zero)), paramNorm.Ref / updateNorm.Ref, One), ToKernel: false);
        var stepSize = new StepScalar("stepSize", "γφ", Lr * trust.Ref, ToKernel: true);

        var second = new List<Statement>();
        Expr again = Steps.Let(second, "update", "r", direction);
        second.Add(Steps.Assign(UpdateRule.Param, theta - (stepSize.Ref * again)));

        return new UpdateRule(
            "LAMB",
            "You et al. 2019 (LAMB), Algorithm 2",
            "",
            EquatableArray.Of(expAvg, expAvgSq),
            EquatableArray.Of(beta1Power, beta2Power),
            EquatableArray.Of(biasCorrection1, biasCorrection2Sqrt, directionScale, epsHat),
            EquatableArray<Statement>.Empty,
            "The trust ratio is per parameter tensor; m̂/(√v̂ + ε) is computed with one division per element, as Adam's.",
            EquatableArray.Of<Phase>(
                new ElementPass(first.ToEquatableArray(), EquatableArray.Of(thetaSquares, updateSquares)),
                new TensorScalars(EquatableArray.Of(paramNorm, updateNorm, trust, stepSize)),
                new ElementPass(second.ToEquatableArray(), EquatableArray<Reduction>.Empty)));
    }
}
