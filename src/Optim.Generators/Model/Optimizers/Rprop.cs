using System.Collections.Generic;
using System.Collections.Immutable;
using Optim.Generators.Common;
using static Optim.Generators.Model.Expr;

namespace Optim.Generators.Model.Optimizers;

/// <summary>torch.optim.Rprop (single-tensor path), as data.</summary>
internal static class Rprop
{
    public static OptimizerDefinition Definition { get; } = new(
        id: 10,
        name: "Rprop",
        ImmutableArray.Create(
            new Hyperparameter("Lr", Constraint.Positive, 1e-2),
            new Hyperparameter("EtaMinus", Constraint.OpenUnit, 0.5),
            new Hyperparameter("EtaPlus", Constraint.AboveOne, 1.2),
            new Hyperparameter("StepSizeMin", Constraint.NonNegative, 1e-6),
            new Hyperparameter("StepSizeMax", Constraint.Positive, 50),
            new Hyperparameter("Maximize", Constraint.Flag, 0)),
        Build,
        Check);

    private static IEnumerable<ComboError> Check(HyperValues h)
    {
        if (h["StepSizeMin"] > h["StepSizeMax"])
        {
            yield return new ComboError("StepSizeMin", "StepSizeMin must not exceed StepSizeMax");
        }
    }

    private static UpdateRule Build(HyperValues h)
    {
        var prev = new Buffer("prev", "g₋", "prev g₋ (the last step's gradient, zeroed where its sign flipped)");
        var stepSize = new Buffer("stepSize", "η", "step_size η (per-element step, γ on the first step)") { Values = StateValues.ZeroOrClamped, Min = h["StepSizeMin"], Max = h["StepSizeMax"] };
        var gamma = new StepScalar("gamma", "γ", Lr, ToKernel: true);
        var body = new List<Statement>();
        Expr zero = Constant("zero", "0", 0);

        Expr g = Steps.Gradient(body, h.Flag("Maximize"), 0);
        Expr product = Steps.Let(body, "product", "p", g * prev.Value);

        // η ← clamp(η·(η₊ if p > 0, η₋ if p < 0, else 1), η_min, η_max), η starting at γ on the first step.
        Expr factor = Select(Greater(product, zero), Constant("etaPlus", "η₊", h["EtaPlus"]), Select(Less(product, zero), Constant("etaMinus", "η₋", h["EtaMinus"]), One));
        Expr current = Select(Steps.FirstStep.Ref, gamma.Ref, stepSize.Value);
        body.Add(Steps.Assign(stepSize, Clamp(current * factor, Constant("stepSizeMin", "η_min", h["StepSizeMin"]), Constant("stepSizeMax", "η_max", h["StepSizeMax"]))));

        // Where the sign flipped the gradient counts as 0: no move now, no flip test next step.
        Expr kept = Steps.Let(body, "kept", "g̃", Select(Less(product, zero), zero, g));
        body.Add(Steps.Assign(UpdateRule.Param, UpdateRule.Param.Value - (Sign(kept) * stepSize.Value)));
        body.Add(Steps.Assign(prev, kept));

        return new UpdateRule("Rprop", "torch.optim.Rprop", "", EquatableArray.Of(prev, stepSize), EquatableArray<StepAccumulator>.Empty, EquatableArray.Of(gamma, Steps.FirstStep), body.ToEquatableArray());
    }
}
