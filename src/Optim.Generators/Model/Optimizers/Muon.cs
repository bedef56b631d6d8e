using System.Collections.Generic;
using System.Collections.Immutable;
using Optim.Generators.Common;
using static Optim.Generators.Model.Expr;

namespace Optim.Generators.Model.Optimizers;

/// <summary>
/// torch.optim.Muon (PyTorch 2.9, single-tensor path), as data: momentum, then each matrix's update orthogonalized by a
/// Newton–Schulz iteration (in the element type, not bfloat16), scaled by the shape-adjusted learning rate.
/// </summary>
internal static class Muon
{
    /// <summary>PyTorch's quintic Newton–Schulz coefficients (a, b, c).</summary>
    private const double A = 3.4445, B = -4.775, C = 2.0315;

    public static OptimizerDefinition Definition { get; } = new(
        id: 15,
        name: "Muon",
        ImmutableArray.Create(
            new Hyperparameter("Lr", Constraint.Positive, 1e-3),
            new Hyperparameter("WeightDecay", Constraint.NonNegative, 0.1),
            new Hyperparameter("Momentum", Constraint.HalfOpenUnit, 0.95),
            new Hyperparameter("Nesterov", Constraint.Flag, 1),
            new Hyperparameter("Eps", Constraint.NonNegative, 1e-7),
            new Hyperparameter("NsSteps", Constraint.Count, 5),
            new Hyperparameter("MatchRmsAdamW", Constraint.Flag, 0)),
        Build,
        requiresMatrices: true);

    private static UpdateRule Build(HyperValues h)
    {
        double momentum = h["Momentum"], weightDecay = h["WeightDecay"];
        var buffer = new Buffer("momentumBuffer", "b", "momentum_buffer b");
        var update = new Buffer("update", "O", "update O, orthogonalized (working space, rewritten for each tensor)", Transient: true);
        Expr g = UpdateRule.Grad.Value, theta = UpdateRule.Param.Value;
        var scalars = new List<StepScalar>();

        // b ← b.lerp(g, 1 − μ); O ← g.lerp(b, μ) with Nesterov, else b.
        var first = new List<Statement> { Steps.Assign(buffer, Steps.Lerp(buffer.Value, g, 1 - momentum, "oneMinusMomentum", "(1 − μ)")) };
        first.Add(Steps.Assign(update, h.Flag("Nesterov") ? Steps.Lerp(g, buffer.Value, momentum, "momentum", "μ") : buffer.Value));

        var orthogonalize = new TensorCall(
            "NewtonSchulz",
            $"NewtonSchulz{h["NsSteps"]}(O): X = O / max(‖O‖, ε), then X ← aX + (bA + cA²)X with A = XXᵀ, (a, b, c) = ({A}, {B}, {C})",
            EquatableArray.Of(update),
            EquatableArray.Of(
                new CallArgument("steps", Constant("nsSteps", "k", h["NsSteps"])),
                new CallArgument("eps", Constant("eps", "ε", h["Eps"])),
                new CallArgument("a", Constant("a", "a", A)),
                new CallArgument("b", Constant("b", "b", B)),
                new CallArgument("c", Constant("c", "c", C))),
            Workspace: true,
            Threads: true);

        // adjust_lr_fn: "original" γ·√max(1, R/C), or "match_rms_adamw" 0.2·√max(R, C)·γ.
        Expr adjusted = h.Flag("MatchRmsAdamW")
            ? Constant("rmsScale", "0.2", 0.2) * Sqrt(Max(UpdateRule.TensorRows, UpdateRule.TensorCols)) * Lr
            : Lr * Sqrt(Max(One, UpdateRule.TensorRows / UpdateRule.TensorCols));
        var adjustedLr = new StepScalar("adjustedLr", "γ̃", adjusted, ToKernel: true);

        var second = new List<Statement>();
        Steps.DecoupledDecay(scalars, second, weightDecay);
        second.Add(Steps.Assign(UpdateRule.Param, theta - (adjustedLr.Ref * update.Value)));

        return new UpdateRule(
            "Muon",
            "torch.optim.Muon",
            "",
            EquatableArray.Of(buffer, update),
            EquatableArray<StepAccumulator>.Empty,
            scalars.ToEquatableArray(),
            EquatableArray<Statement>.Empty,
            "Every parameter is a matrix (R × C); the orthogonalization runs in the element type.",
            EquatableArray.Of<Phase>(
                new ElementPass(first.ToEquatableArray(), EquatableArray<Reduction>.Empty),
                orthogonalize,
                new TensorScalars(EquatableArray.Of(adjustedLr)),
                new ElementPass(second.ToEquatableArray(), EquatableArray<Reduction>.Empty)));
    }
}
