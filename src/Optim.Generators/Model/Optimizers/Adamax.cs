using System.Collections.Generic;
using System.Collections.Immutable;
using Optim.Generators.Common;
using static Optim.Generators.Model.Expr;

namespace Optim.Generators.Model.Optimizers;

/// <summary>torch.optim.Adamax (single-tensor path), as data.</summary>
internal static class Adamax
{
    public static OptimizerDefinition Definition { get; } = new(
        id: 7,
        name: "Adamax",
        ImmutableArray.Create(
            new Hyperparameter("Lr", Constraint.Positive, 2e-3),
            new Hyperparameter("Beta1", Constraint.HalfOpenUnit, 0.9),
            new Hyperparameter("Beta2", Constraint.HalfOpenUnit, 0.999),
            new Hyperparameter("Eps", Constraint.NonNegative, 1e-8),
            new Hyperparameter("WeightDecay", Constraint.NonNegative, 0),
            new Hyperparameter("Maximize", Constraint.Flag, 0)),
        Build);

    private static UpdateRule Build(HyperValues h)
    {
        var expAvg = new Buffer("expAvg", "m", "exp_avg m (first moment)");
        var expInf = new Buffer("expInf", "u", "exp_inf u (exponentially weighted infinity norm)") { Values = StateValues.NonNegative };
        var body = new List<Statement>();

        // clr = γ / (1 − β₁ᵗ), with β₁ᵗ a running product.
        var beta1Power = StepAccumulator.Power("beta1Power", "β₁ᵗ", Constant("beta1", "β₁", h["Beta1"]));
        var clr = new StepScalar("clr", "γₜ", Lr / (One - beta1Power.Ref), ToKernel: true);

        Expr g = Steps.Gradient(body, h.Flag("Maximize"), h["WeightDecay"]);
        body.Add(Steps.Assign(expAvg, Steps.Ema(expAvg.Value, g, h["Beta1"], "beta1", "β₁")));
        body.Add(Steps.Assign(expInf, Max(Constant("beta2", "β₂", h["Beta2"]) * expInf.Value, Abs(g) + Constant("eps", "ε", h["Eps"]))));
        body.Add(Steps.Assign(UpdateRule.Param, UpdateRule.Param.Value - (clr.Ref * (expAvg.Value / expInf.Value))));

        return new UpdateRule("Adamax", "torch.optim.Adamax", "", EquatableArray.Of(expAvg, expInf), EquatableArray.Of(beta1Power), EquatableArray.Of(clr), body.ToEquatableArray());
    }
}
