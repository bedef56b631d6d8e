using System.Collections.Generic;
using System.Linq;
using System.Collections.Immutable;
using Optim.Generators.Common;
using static Optim.Generators.Model.Expr;

namespace Optim.Generators.Model.Optimizers;

/// <summary>
/// torch.optim.Adafactor (single-tensor path), as data: relative step sizes, a second moment factored into row and column
/// averages for matrices (a full one for vectors), and update clipping by the update's RMS.
/// </summary>
internal static class Adafactor
{
    public static OptimizerDefinition Definition { get; } = new(
        id: 14,
        name: "Adafactor",
        ImmutableArray.Create(
            new Hyperparameter("Lr", Constraint.Positive, 1e-2),
            new Hyperparameter("Beta2Decay", Constraint.NonPositive, -0.8),
            new Hyperparameter("Eps1", Constraint.NonNegative, double.NaN),
            new Hyperparameter("Eps2", Constraint.NonNegative, 1e-3),
            new Hyperparameter("D", Constraint.AtLeastOne, 1.0),
            new Hyperparameter("WeightDecay", Constraint.NonNegative, 0),
            new Hyperparameter("Maximize", Constraint.Flag, 0)),
        Build);

    private static UpdateRule Build(HyperValues h)
    {
        double eps1 = double.IsNaN(h["Eps1"]) ? h.MachineEpsilon : h["Eps1"];
        bool maximize = h.Flag("Maximize");
        var rowVar = new Buffer("rowVar", "R̄", "row_var R̄ (running mean of g² over each row of a matrix; a vector's full variance)", Extent: Extent.Rows) { Values = StateValues.NonNegative };
        var colVar = new Buffer("colVar", "C̄", "col_var C̄ (running mean of g² over each column of a matrix)", Extent: Extent.Columns) { Values = StateValues.NonNegative };
        var colFactors = new Buffer("colFactors", "κ", "column factors κ of a matrix's update, first the column sums of g² (working space, rewritten for each tensor)", Transient: true, Extent: Extent.Columns);
        Expr theta = UpdateRule.Param.Value;

        // 1 − β₂ₜ = t^β₂decay (PyTorch lerps with it: two formulas, split at 0.5), ρₜ = min(γ, 1/√t).
        var weight = new StepScalar("blend", "(1 − β₂ₜ)", Pow(T, Constant("beta2Decay", "ĉ", h["Beta2Decay"])), ToKernel: true);
        var keep = new StepScalar("keep", "β₂ₜ", One - weight.Ref, ToKernel: true);
        var smallBlend = new StepScalar("smallBlend", "(1 − β₂ₜ) < ½", Less(weight.Ref, Constant("half", "½", 0.5)), ToKernel: true);
        var rho = new StepScalar("rho", "ρₜ", Min(Lr, One / Sqrt(T)), ToKernel: false);
        var scalars = new List<StepScalar> { weight, keep, smallBlend, rho };
        var decayStatements = new List<Statement>();
        Steps.DecoupledDecay(scalars, decayStatements, h["WeightDecay"]);

        // ‖θ‖² before the weight decay: a pass of its own for a vector, read beside g by a matrix's row and column statistics.
        var paramSquares = new Reduction("paramSquares", "‖θ‖²", theta * theta);
        var alpha = new StepScalar(
            "alpha",
            "αₜ",
            Max(Constant("eps2", "ε₂", h["Eps2"]), Sqrt(paramSquares.Ref) / Sqrt(UpdateRule.TensorSize)) * rho.Ref,
            ToKernel: false);

        // Matrices: R̄ and C̄ blend the row and column mean squares of g (κ's section serves as scratch for the column sums),
        // in the pass that also sums θ² (θ and g read once, together).
        var factor = new TensorCall(
            "FactoredMeanSquares",
            "R̄ ← lerp(R̄, mean over columns of g², 1 − β₂ₜ), C̄ ← lerp(C̄, mean over rows of g², 1 − β₂ₜ), ‖θ‖² = Σ θ·θ",
            EquatableArray.Of(UpdateRule.Param, UpdateRule.Grad, rowVar, colVar, colFactors),
            EquatableArray.Of(new CallArgument("weight", weight.Ref)),
            Result: "rowVarSum",
            Output: paramSquares.Name) { Where = TensorKind.Matrices };
        var rowMean = new StepScalar("rowMean", "max(mean(R̄), ε₁)", Max(Scalar("rowVarSum", "ΣR̄") / UpdateRule.TensorRows, Constant("eps1", "ε₁", eps1)), ToKernel: true);

        // U = g / max(√V̂, ε₁) with V̂ = R̄C̄ᵀ / max(mean(R̄), ε₁) (PyTorch: rsqrt(max(V̂, ε₁²))·g). 1/√V̂ is the product of a
        // row factor ρ = 1/√R̄ and a column factor κ = √(max(mean(R̄), ε₁)/C̄): a square root and a division per row and per
        // column, two multiplies and a minimum per element. So U is never stored: one pass sums ‖U‖² and keeps κ, the last
        // computes U again from g as it applies it (a matrix's memory streams: θ and g, then g, then θ, g and θ; its working
        // memory one value per column).
        Expr floor = Constant("eps1Squared", "ε₁²", eps1 * eps1);
        var sign = new CallArgument("sign", Constant("sign", maximize ? "−1" : "1", maximize ? -1 : 1));
        var matrixUpdate = new TensorCall(
            "FactoredUpdate",
            "κ ← √(max(mean(R̄), ε₁) / C̄), U = min(κ/√R̄, 1/ε₁)·" + (maximize ? "(−g)" : "g") + " = 1/√max(R̄C̄ᵀ / max(mean(R̄), ε₁), ε₁²)·" + (maximize ? "(−g)" : "g") + ", ‖U‖² = Σ U·U",
            EquatableArray.Of(UpdateRule.Grad, rowVar, colVar, colFactors),
            EquatableArray.Of(new CallArgument("divisor", rowMean.Ref), new CallArgument("floor", floor), sign),
            Result: "updateSquares") { Where = TensorKind.Matrices };

        // Vectors: U = g / max(√R̄, ε₁), computed in both of their passes.
        Expr g = maximize ? -UpdateRule.Grad.Value : UpdateRule.Grad.Value;
        Expr vectorUpdate = (One / Sqrt(Max(rowVar.Value, floor))) * g;
        Expr u = Variable("vectorUpdate", "U");
        var updateSquares = new Reduction("updateSquares", "‖U‖²", u * u);

        // Vectors: R̄ is the full variance, lerp(R̄, g², 1 − β₂ₜ).
        Expr squares = g * g;
        Expr blended = Select(smallBlend.Ref, rowVar.Value + (weight.Ref * (squares - rowVar.Value)), squares - ((squares - rowVar.Value) * keep.Ref));

        // Update clipping: θ ← θ − (αₜ / max(1, RMS(U)/d))·U.
        var stepSize = new StepScalar(
            "stepSize",
            "αₜ/max(1, RMS(U)/d)",
            alpha.Ref / Max(One, Sqrt(updateSquares.Ref) / (Sqrt(UpdateRule.TensorSize) * Constant("d", "d", h["D"]))),
            ToKernel: true);

        Expr decay = decayStatements.Count > 0 ? scalars.Single(s => s.Name == "decay").Ref : One;
        var applyMatrix = new TensorCall(
            "FactoredStep",
            (decayStatements.Count > 0 ? "θ ← θ·(1 − γλ) − " : "θ ← θ − ") + "αₜ/max(1, RMS(U)/d)·U, U = min(κ/√R̄, 1/ε₁)·" + (maximize ? "(−g)" : "g"),
            EquatableArray.Of(UpdateRule.Param, UpdateRule.Grad, rowVar, colFactors),
            EquatableArray.Of(new CallArgument("floor", floor), sign, new CallArgument("decay", decay), new CallArgument("stepSize", stepSize.Ref))) { Where = TensorKind.Matrices };
        var apply = new List<Statement>(decayStatements) { Steps.Assign(UpdateRule.Param, theta - (stepSize.Ref * u)) };
        return new UpdateRule(
            "Adafactor",
            "torch.optim.Adafactor",
            "",
            EquatableArray.Of(rowVar, colVar, colFactors),
            EquatableArray<StepAccumulator>.Empty,
            scalars.ToEquatableArray(),
            EquatableArray<Statement>.Empty,
            "Matrices keep row and column averages (R̄, C̄) where PyTorch keeps row_var and col_var; vectors a full variance.",
            EquatableArray.Of<Phase>(
                new ElementPass(EquatableArray<Statement>.Empty, EquatableArray.Of(paramSquares)) { Where = TensorKind.Vectors },
                factor,
                new TensorScalars(EquatableArray.Of(alpha)),
                new TensorScalars(EquatableArray.Of(rowMean)) { Where = TensorKind.Matrices },
                matrixUpdate,
                new ElementPass(EquatableArray.Of(Steps.Assign(rowVar, blended), new Statement("vectorUpdate", "U", vectorUpdate)), EquatableArray.Of(updateSquares)) { Where = TensorKind.Vectors },
                new TensorScalars(EquatableArray.Of(stepSize)),
                applyMatrix,
                new ElementPass(new List<Statement> { new("vectorUpdate", "U", vectorUpdate) }.Concat(apply).ToEquatableArray(), EquatableArray<Reduction>.Empty) { Where = TensorKind.Vectors }));
    }
}
