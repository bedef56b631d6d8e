using System.Collections.Generic;
using System.Collections.Immutable;
using Optim.Generators.Common;
using static Optim.Generators.Model.Expr;

namespace Optim.Generators.Model.Optimizers;

/// <summary>torch.optim.Adagrad (single-tensor path), as data.</summary>
internal static class Adagrad
{
    public static OptimizerDefinition Definition { get; } = new(
        id: 5,
        name: "Adagrad",
        ImmutableArray.Create(
            new Hyperparameter("Lr", Constraint.Positive, 1e-2),
            new Hyperparameter("LrDecay", Constraint.NonNegative, 0),
            new Hyperparameter("WeightDecay", Constraint.NonNegative, 0),
            new Hyperparameter("InitialAccumulatorValue", Constraint.NonNegative, 0),
            new Hyperparameter("Eps", Constraint.NonNegative, 1e-10),
            new Hyperparameter("Maximize", Constraint.Flag, 0)),
        Build);

    private static UpdateRule Build(HyperValues h)
    {
        var sum = new Buffer("stateSum", "s", "sum s (running sum of g²)") { Values = StateValues.NonNegative };
        var body = new List<Statement>();

        // clr = γ / (1 + (t − 1)·lr_decay)
        var clr = new StepScalar("clr", "γₜ", Lr / (One + ((T - One) * Constant("lrDecay", "η", h["LrDecay"]))), ToKernel: true);
        var scalars = new List<StepScalar> { clr };

        Expr g = Steps.Gradient(body, h.Flag("Maximize"), h["WeightDecay"]);
        Expr previous = sum.Value;
        double initial = h["InitialAccumulatorValue"];
        if (initial != 0)
        {
            // PyTorch fills the sum with initial_accumulator_value when it creates the state; here the first step does.
            scalars.Add(Steps.FirstStep);
            previous = Select(Steps.FirstStep.Ref, Constant("initialAccumulator", "s₀", initial), sum.Value);
        }

        body.Add(Steps.Assign(sum, previous + (g * g)));
        Expr std = Steps.Let(body, "std", "σ", Sqrt(sum.Value) + Constant("eps", "ε", h["Eps"]));
        body.Add(Steps.Assign(UpdateRule.Param, UpdateRule.Param.Value - (clr.Ref * (g / std))));

        return new UpdateRule("Adagrad", "torch.optim.Adagrad", "", EquatableArray.Of(sum), EquatableArray<StepAccumulator>.Empty, scalars.ToEquatableArray(), body.ToEquatableArray());
    }
}
