using System.Collections.Generic;
using static Optim.Generators.Model.Expr;

namespace Optim.Generators.Model.Optimizers;

/// <summary>Building blocks several optimizers share.</summary>
internal static class Steps
{
    /// <summary>
    /// The gradient as PyTorch's optimizers prepare it: negated when maximizing, then L2 weight decay
    /// <c>g ← g + λθ</c>. Adds the statements it needs and returns the expression for g.
    /// </summary>
    public static Expr Gradient(List<Statement> body, bool maximize, double weightDecay)
    {
        Expr g = UpdateRule.Grad.Value;
        if (maximize)
        {
            body.Add(new Statement("g", "g", -g));
            g = Variable("g", "g");
        }

        if (weightDecay != 0)
        {
            body.Add(new Statement("g", "g", g + (Constant("weightDecay", "λ", weightDecay) * UpdateRule.Param.Value)));
            g = Variable("g", "g");
        }

        return g;
    }

    /// <summary>
    /// Decoupled weight decay <c>θ ← θ·(1 − γλ)</c> (AdamW, NAdam and RAdam with decoupled_weight_decay, Lion): adds the
    /// per-step factor and the statement, nothing when λ = 0.
    /// </summary>
    public static void DecoupledDecay(List<StepScalar> scalars, List<Statement> body, double weightDecay)
    {
        if (weightDecay == 0)
        {
            return;
        }

        var decay = new StepScalar("decay", "(1 − γλ)", One - (Lr * Constant("weightDecay", "λ", weightDecay)), ToKernel: true);
        scalars.Add(decay);
        body.Add(Assign(UpdateRule.Param, UpdateRule.Param.Value * decay.Ref));
    }

    /// <summary><c>buffer ← value</c>.</summary>
    public static Statement Assign(Buffer buffer, Expr value) => new(buffer.Name, buffer.Symbol, value);

    /// <summary>A temporary of the body: <c>name ← value</c>; returns the statement's reference.</summary>
    public static Expr Let(List<Statement> body, string name, string symbol, Expr value)
    {
        var statement = new Statement(name, symbol, value);
        body.Add(statement);
        return statement.Ref;
    }

    /// <summary>An exponential moving average <c>β·x + (1 − β)·y</c> with both factors rounded once to the element type.</summary>
    public static Expr Ema(Expr x, Expr y, double beta, string name, string symbol) =>
        (Constant(name, symbol, beta) * x) + (Constant("oneMinus" + char.ToUpperInvariant(name[0]) + name.Substring(1), "(1 − " + symbol + ")", 1 - beta) * y);

    /// <summary>
    /// PyTorch's <c>start.lerp(end, w)</c> for a constant weight, with its two formulas: start + w·(end − start) when
    /// |w| &lt; 0.5, else end − (end − start)·(1 − w).
    /// </summary>
    public static Expr Lerp(Expr start, Expr end, double weight, string name, string symbol) =>
        System.Math.Abs(weight) < 0.5
            ? start + (Constant(name, symbol, weight) * (end - start))
            : end - ((end - start) * Constant("oneMinus" + char.ToUpperInvariant(name[0]) + name.Substring(1), "(1 − " + symbol + ")", 1 - weight));

    /// <summary>A per-step bool: true on the first step (t = 1), when PyTorch initialises lazily created state.</summary>
    public static StepScalar FirstStep { get; } = new("isFirstStep", "t = 1", Equal(T, One), ToKernel: true);
}
