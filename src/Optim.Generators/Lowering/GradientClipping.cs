using System.Linq;
using Optim.Generators.Common;
using Optim.Generators.Model;

namespace Optim.Generators.Lowering;

/// <summary>
/// Gradient clipping as a rewrite of the update rule, so no optimizer knows about it: every element pass that reads g
/// first computes ĝ = g·c (c = min(1, max_norm / (‖g‖ + 1e−6)), a per-step scalar) and reads ĝ instead. The scaling is
/// fused into the update's own loop: clipping costs one read of the gradients (the norm), not a second pass over them.
/// A rule whose matrix routines read g directly (Adafactor's factored second moments) is left as it is: Step() then
/// scales that group's gradients in place before its update, as clip_grad_norm_ does.
/// </summary>
internal static class GradientClipping
{
    /// <summary>The clip coefficient c, rounded to the element type and passed to the element loops.</summary>
    public static StepScalar Scale { get; } = new("clipScale", "c", Expr.Scalar(CoefficientLocal, "c"), ToKernel: true);

    /// <summary>The double Step() computes from the norm before the groups' scalars.</summary>
    public const string CoefficientLocal = "_optimClipCoefficient";

    private static readonly Expr Clipped = Expr.Variable("clippedGrad", "ĝ");

    /// <summary>Whether the rule must have its gradients scaled in place (a matrix routine reads g).</summary>
    public static bool ScalesInPlace(UpdateRule rule) =>
        rule.TensorPhases.OfType<TensorCall>().Any(call => call.Buffers.Any(b => b.Name == UpdateRule.Grad.Name));

    public static UpdateRule Apply(UpdateRule rule)
    {
        if (ScalesInPlace(rule))
        {
            return rule;
        }

        var scale = new Statement(Clipped.Name, Clipped.Symbol, UpdateRule.Grad.Value * Scale.Ref);
        return rule with
        {
            Scalars = new[] { Scale }.Concat(rule.Scalars).ToEquatableArray(),
            Body = Rewrite(rule.Body, scale),
            TensorPhases = rule.TensorPhases.Select(phase => phase is ElementPass pass && Reads(pass)
                ? pass with { Body = Rewrite(pass.Body, scale), Reductions = pass.Reductions.Select(r => r with { Value = Replace(r.Value) }).ToEquatableArray() }
                : phase).ToEquatableArray(),
        };
    }

    private static bool Reads(ElementPass pass) =>
        pass.Body.Select(s => s.Value).Concat(pass.Reductions.Select(r => r.Value)).SelectMany(e => e.Nodes()).Any(IsGrad);

    private static EquatableArray<Statement> Rewrite(EquatableArray<Statement> body, Statement scale) =>
        !body.SelectMany(s => s.Value.Nodes()).Any(IsGrad) ? body
        : new[] { scale }.Concat(body.Select(s => s with { Value = Replace(s.Value) })).ToEquatableArray();

    private static bool IsGrad(Expr e) => e.Kind == ExprKind.Variable && e.Name == UpdateRule.Grad.Name;

    private static Expr Replace(Expr e) => IsGrad(e)
        ? Clipped
        : e with
        {
            Left = e.Left is null ? null : Replace(e.Left),
            Right = e.Right is null ? null : Replace(e.Right),
            Condition = e.Condition is null ? null : Replace(e.Condition),
        };
}
