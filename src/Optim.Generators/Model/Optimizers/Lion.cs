using System.Collections.Generic;
using System.Collections.Immutable;
using Optim.Generators.Common;
using static Optim.Generators.Model.Expr;

namespace Optim.Generators.Model.Optimizers;

/// <summary>Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2), as data.</summary>
internal static class Lion
{
    public static OptimizerDefinition Definition { get; } = new(
        id: 12,
        name: "Lion",
        ImmutableArray.Create(
            new Hyperparameter("Lr", Constraint.Positive, 1e-4),
            new Hyperparameter("Beta1", Constraint.ClosedUnit, 0.9),
            new Hyperparameter("Beta2", Constraint.ClosedUnit, 0.99),
            new Hyperparameter("WeightDecay", Constraint.NonNegative, 0),
            new Hyperparameter("Maximize", Constraint.Flag, 0)),
        Build);

    private static UpdateRule Build(HyperValues h)
    {
        var expAvg = new Buffer("expAvg", "m", "exp_avg m (momentum)");
        var gamma = new StepScalar("gamma", "γ", Lr, ToKernel: true);
        var scalars = new List<StepScalar> { gamma };
        var body = new List<Statement>();

        Steps.DecoupledDecay(scalars, body, h["WeightDecay"]);
        Expr g = Steps.Gradient(body, h.Flag("Maximize"), 0);
        Expr c = Steps.Let(body, "update", "c", Steps.Ema(expAvg.Value, g, h["Beta1"], "beta1", "β₁"));
        body.Add(Steps.Assign(UpdateRule.Param, UpdateRule.Param.Value - (gamma.Ref * Sign(c))));
        body.Add(Steps.Assign(expAvg, Steps.Ema(expAvg.Value, g, h["Beta2"], "beta2", "β₂")));

        return new UpdateRule("Lion", "Chen et al. 2023 (Lion)", "", EquatableArray.Of(expAvg), EquatableArray<StepAccumulator>.Empty, scalars.ToEquatableArray(), body.ToEquatableArray());
    }
}
