using System;
using System.Collections.Immutable;

namespace Optim.Generators.Model.Optimizers;

/// <summary>
/// Optimizer.Custom: the rule is the model's own [UpdateRule] method, translated by <c>Parsing.UpdateRuleParser</c> into
/// an <see cref="UpdateRule"/> like any built-in one. Its only hyperparameter is the learning rate the method receives.
/// </summary>
internal static class Custom
{
    public const int Id = 16;

    public static OptimizerDefinition Definition { get; } = new(
        Id,
        "Custom",
        ImmutableArray.Create(new Hyperparameter("Lr", Constraint.Positive, 1e-3)),
        _ => throw new InvalidOperationException("A custom rule is built from the model's [UpdateRule] method, not from hyperparameters."));
}
