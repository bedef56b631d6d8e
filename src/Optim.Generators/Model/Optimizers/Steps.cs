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
}
