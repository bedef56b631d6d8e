using System.Collections.Generic;
using System.Collections.Immutable;
using Optim.Generators.Common;
using static Optim.Generators.Model.Expr;

namespace Optim.Generators.Model.Optimizers;

/// <summary>torch.optim.ASGD (single-tensor path), as data. The averaged parameters ax are exposed as views.</summary>
internal static class Asgd
{
    public static OptimizerDefinition Definition { get; } = new(
        id: 11,
        name: "Asgd",
        ImmutableArray.Create(
            new Hyperparameter("Lr", Constraint.Positive, 1e-2),
            new Hyperparameter("Lambd", Constraint.NonNegative, 1e-4),
            new Hyperparameter("Alpha", Constraint.NonNegative, 0.75),
            new Hyperparameter("T0", Constraint.NonNegative, 1e6),
            new Hyperparameter("WeightDecay", Constraint.NonNegative, 0),
            new Hyperparameter("Maximize", Constraint.Flag, 0)),
        Build);

    private static UpdateRule Build(HyperValues h)
    {
        var ax = new Buffer("ax", "ā", "ax ā (averaged parameters)", View: "Averaged");
        var body = new List<Statement>();
        Expr lambd = Constant("lambd", "λ", h["Lambd"]);

        // PyTorch advances η and μ after each step; in closed form the values step t uses are
        // ηₜ = γ / (1 + λγ(t − 1))^α and μₜ = 1 / max(1, t − 1 − t₀).
        var eta = new StepScalar("eta", "ηₜ", Lr / Pow(One + (lambd * Lr * (T - One)), Constant("alpha", "α", h["Alpha"])), ToKernel: true);
        var decay = new StepScalar("decay", "(1 − ληₜ)", One - (lambd * eta.Ref), ToKernel: true);
        var mu = new StepScalar("mu", "μₜ", One / Max(One, T - One - Constant("t0", "t₀", h["T0"])), ToKernel: true);
        var plainCopy = new StepScalar("muIsOne", "μₜ = 1", Equal(mu.Ref, One), ToKernel: true);

        Expr g = Steps.Gradient(body, h.Flag("Maximize"), h["WeightDecay"]);
        body.Add(Steps.Assign(UpdateRule.Param, UpdateRule.Param.Value * decay.Ref));
        body.Add(Steps.Assign(UpdateRule.Param, UpdateRule.Param.Value - (eta.Ref * g)));
        body.Add(Steps.Assign(ax, Select(plainCopy.Ref, UpdateRule.Param.Value, ax.Value + (mu.Ref * (UpdateRule.Param.Value - ax.Value)))));

        return new UpdateRule(
            "ASGD",
            "torch.optim.ASGD",
            "",
            EquatableArray.Of(ax),
            EquatableArray<StepAccumulator>.Empty,
            EquatableArray.Of(eta, decay, mu, plainCopy),
            body.ToEquatableArray(),
            "ηₜ and μₜ are PyTorch's eta and mu in closed form, from the learning rate of the current step.");
    }
}
