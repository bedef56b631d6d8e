using System.Collections.Generic;
using System.Collections.Immutable;
using Optim.Generators.Common;
using static Optim.Generators.Model.Expr;

namespace Optim.Generators.Model.Optimizers;

/// <summary>torch.optim.Adadelta (single-tensor path), as data.</summary>
internal static class Adadelta
{
    public static OptimizerDefinition Definition { get; } = new(
        id: 6,
        name: "Adadelta",
        ImmutableArray.Create(
            new Hyperparameter("Lr", Constraint.Positive, 1.0),
            new Hyperparameter("Rho", Constraint.ClosedUnit, 0.9),
            new Hyperparameter("Eps", Constraint.NonNegative, 1e-6),
            new Hyperparameter("WeightDecay", Constraint.NonNegative, 0),
            new Hyperparameter("Maximize", Constraint.Flag, 0)),
        Build);

    private static UpdateRule Build(HyperValues h)
    {
        double rho = h["Rho"];
        var squareAvg = new Buffer("squareAvg", "v", "square_avg v (running average of g²)") { Values = StateValues.NonNegative };
        var accDelta = new Buffer("accDelta", "u", "acc_delta u (running average of Δ²)") { Values = StateValues.NonNegative };
        var gamma = new StepScalar("gamma", "γ", Lr, ToKernel: true);
        var body = new List<Statement>();
        Expr eps = Constant("eps", "ε", h["Eps"]);

        Expr g = Steps.Gradient(body, h.Flag("Maximize"), h["WeightDecay"]);
        body.Add(Steps.Assign(squareAvg, Steps.Ema(squareAvg.Value, g * g, rho, "rho", "ρ")));
        Expr delta = Steps.Let(body, "delta", "Δ", Sqrt(accDelta.Value + eps) / Sqrt(squareAvg.Value + eps) * g);
        body.Add(Steps.Assign(accDelta, Steps.Ema(accDelta.Value, delta * delta, rho, "rho", "ρ")));
        body.Add(Steps.Assign(UpdateRule.Param, UpdateRule.Param.Value - (gamma.Ref * delta)));

        return new UpdateRule("Adadelta", "torch.optim.Adadelta", "", EquatableArray.Of(squareAvg, accDelta), EquatableArray<StepAccumulator>.Empty, EquatableArray.Of(gamma), body.ToEquatableArray());
    }
}
