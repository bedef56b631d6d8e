using System.Collections.Immutable;
using Optim.Generators.Common;
using static Optim.Generators.Model.Expr;

namespace Optim.Generators.Model.Optimizers;

/// <summary>Heavy-ball momentum as an exponential moving average: v ← β·v + (1 − β)·g; θ ← θ − γ·v.</summary>
internal static class Momentum
{
    public static OptimizerDefinition Definition { get; } = new(
        id: 1,
        name: "Momentum",
        ImmutableArray.Create(
            new Hyperparameter("Lr", Constraint.Positive, 1e-3),
            new Hyperparameter("Beta", Constraint.HalfOpenUnit, 0.9)),
        Build);

    private static UpdateRule Build(HyperValues h)
    {
        double beta = h["Beta"];
        var velocity = new Buffer("velocity", "v", "velocity v (average of g)");
        var gamma = new StepScalar("gamma", "γ", Lr, ToKernel: true);
        Expr update = (Constant("beta", "β", beta) * velocity.Value) + (Constant("oneMinusBeta", "(1 − β)", 1 - beta) * UpdateRule.Grad.Value);

        return new UpdateRule(
            "Momentum",
            "heavy-ball momentum, v starting at 0",
            "",
            EquatableArray.Of(velocity),
            EquatableArray<StepAccumulator>.Empty,
            EquatableArray.Of(gamma),
            EquatableArray.Of(
                new Statement(velocity.Name, velocity.Symbol, update),
                new Statement(UpdateRule.Param.Name, UpdateRule.Param.Symbol, UpdateRule.Param.Value - (gamma.Ref * velocity.Value))));
    }
}
