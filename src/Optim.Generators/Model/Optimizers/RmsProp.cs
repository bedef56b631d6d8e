using System.Collections.Generic;
using System.Collections.Immutable;
using Optim.Generators.Common;
using static Optim.Generators.Model.Expr;

namespace Optim.Generators.Model.Optimizers;

/// <summary>torch.optim.RMSprop (single-tensor path), as data.</summary>
internal static class RmsProp
{
    public static OptimizerDefinition Definition { get; } = new(
        id: 4,
        name: "RmsProp",
        ImmutableArray.Create(
            new Hyperparameter("Lr", Constraint.Positive, 1e-2),
            new Hyperparameter("Alpha", Constraint.ClosedUnit, 0.99),
            new Hyperparameter("Eps", Constraint.NonNegative, 1e-8),
            new Hyperparameter("WeightDecay", Constraint.NonNegative, 0),
            new Hyperparameter("Momentum", Constraint.NonNegative, 0),
            new Hyperparameter("Centered", Constraint.Flag, 0),
            new Hyperparameter("Maximize", Constraint.Flag, 0)),
        Build);

    private static UpdateRule Build(HyperValues h)
    {
        double alpha = h["Alpha"], momentum = h["Momentum"];
        var squareAvg = new Buffer("squareAvg", "v", "square_avg v (running average of g²)") { Values = StateValues.NonNegative };
        var state = new List<Buffer> { squareAvg };
        var body = new List<Statement>();
        var gamma = new StepScalar("gamma", "γ", Lr, ToKernel: true);

        Expr g = Steps.Gradient(body, h.Flag("Maximize"), h["WeightDecay"]);
        body.Add(Steps.Assign(squareAvg, Steps.Ema(squareAvg.Value, g * g, alpha, "alpha", "α")));
        Expr variance = squareAvg.Value;
        if (h.Flag("Centered"))
        {
            // grad_avg.lerp_(g, 1 − α), then the variance estimate v − ḡ².
            var gradAvg = new Buffer("gradAvg", "ḡ", "grad_avg ḡ (running average of g)");
            state.Add(gradAvg);
            body.Add(Steps.Assign(gradAvg, gradAvg.Value + (Constant("oneMinusAlpha", "(1 − α)", 1 - alpha) * (g - gradAvg.Value))));
            variance = variance - (gradAvg.Value * gradAvg.Value);
        }

        Expr avg = Steps.Let(body, "avg", "a", Sqrt(variance) + Constant("eps", "ε", h["Eps"]));
        if (momentum > 0)
        {
            var buffer = new Buffer("momentumBuffer", "b", "momentum_buffer b");
            state.Add(buffer);
            body.Add(Steps.Assign(buffer, (Constant("momentum", "μ", momentum) * buffer.Value) + (g / avg)));
            body.Add(Steps.Assign(UpdateRule.Param, UpdateRule.Param.Value - (gamma.Ref * buffer.Value)));
        }
        else
        {
            body.Add(Steps.Assign(UpdateRule.Param, UpdateRule.Param.Value - (gamma.Ref * (g / avg))));
        }

        return new UpdateRule("RMSprop", "torch.optim.RMSprop", "", state.ToEquatableArray(), EquatableArray<StepAccumulator>.Empty, EquatableArray.Of(gamma), body.ToEquatableArray());
    }
}
