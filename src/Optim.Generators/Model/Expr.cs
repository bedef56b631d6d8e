namespace Optim.Generators.Model;

/// <summary>The operations an update rule may use. Each maps to one IEEE operation on scalars and on vectors.</summary>
internal enum ExprKind
{
    /// <summary>A compile-time constant (a hyperparameter or a value derived from them).</summary>
    Constant,

    /// <summary>An element-wise value: a buffer (θ, g, state) or a temporary of the rule.</summary>
    Variable,

    /// <summary>A per-step scalar computed once per <c>Step()</c>.</summary>
    Scalar,

    /// <summary>The learning rate γ in force for this step (double, per-step expressions only).</summary>
    LearningRate,

    /// <summary>The step count t after incrementing (double, per-step expressions only).</summary>
    StepCount,

    Negate,
    Add,
    Subtract,
    Multiply,
    Divide,
    SquareRoot,
    Maximum,
    Minimum,
    Absolute,

    /// <summary>sign(x): 1 for x &gt; 0, −1 for x &lt; 0, x itself for ±0 and NaN (as torch.sign).</summary>
    Sign,

    /// <summary><c>Condition ? Left : Right</c>: a vector select when the condition is element-wise, else a branch.</summary>
    Select,

    /// <summary>Comparisons and their combinations: conditions of <see cref="Select"/> (a mask element-wise, a bool per step).</summary>
    GreaterThan,
    LessThan,
    Equal,
    And,
    Or,

    /// <summary>More comparisons and negation, for custom rules (<c>&gt;=</c>, <c>&lt;=</c>, <c>!=</c>, <c>!</c>).</summary>
    GreaterOrEqual,
    LessOrEqual,
    NotEqual,
    Not,

    /// <summary>
    /// <c>MathF.Sign(x)</c> as the element type (custom rules): 1, −1, +0 for ±0, NaN for NaN (where the scalar throws).
    /// </summary>
    IntegerSign,

    /// <summary><c>FusedMultiplyAdd(Left, Right, Condition)</c>: Left·Right + Condition rounded once (custom rules).</summary>
    FusedMultiplyAdd,

    /// <summary>
    /// A per-step value of a custom rule, as verbatim C# (<see cref="Expr.Name"/>) that reads constants, <c>lr</c> (the
    /// step's rate, a double) and <c>t</c> (the step count, a long) and computes in the precision the user wrote;
    /// <see cref="Expr.Value"/> is 1 when it reads <c>t</c>. <see cref="Expr.Symbol"/> is the user's source text.
    /// </summary>
    Code,

    /// <summary>A per-step condition of a custom rule, as verbatim C# (see <see cref="Code"/>).</summary>
    CodeCondition,

    /// <summary>
    /// <c>(double)Left</c> of a float element value: starts a double "island" of a float custom rule, in which the
    /// vector code runs on both halves of each vector widened to double (exact: float → double → float round-trips).
    /// </summary>
    Widen,

    /// <summary><c>(float)Left</c> of a double island: the vector code narrows the two halves back.</summary>
    Narrow,

    /// <summary>A double constant inside an island (<see cref="Expr.Value"/>), printed inline, never rounded to float.</summary>
    WideConstant,

    /// <summary>A per-step value of a custom rule that stays double inside an island (verbatim C#, as <see cref="Code"/>).</summary>
    WideCode,

    /// <summary><c>Left ^ Right</c> (per-step expressions only).</summary>
    Power,

    /// <summary><c>t == 1 ? Left : Right</c> (per-step expressions only).</summary>
    FirstStepSelect,
}

/// <summary>
/// One node of an update rule's expression tree. Records compare by value, so a whole tree is equatable and
/// cacheable. The same tree is printed as scalar C#, as vector C# and as the math in the doc comment.
/// </summary>
/// <param name="Kind">The operation.</param>
/// <param name="Name">The C# identifier of a constant, variable or scalar.</param>
/// <param name="Symbol">The math symbol printed in comments (PyTorch's notation).</param>
/// <param name="Value">A constant's value, in double precision.</param>
/// <param name="Left">First operand.</param>
/// <param name="Right">Second operand.</param>
/// <param name="Condition">The condition of a <see cref="ExprKind.Select"/>.</param>
internal sealed record Expr(ExprKind Kind, string Name = "", string Symbol = "", double Value = 0, Expr? Left = null, Expr? Right = null, Expr? Condition = null)
{
    public static Expr Constant(string name, string symbol, double value) => new(ExprKind.Constant, name, symbol, value);

    public static Expr Variable(string name, string symbol) => new(ExprKind.Variable, name, symbol);

    public static Expr Scalar(string name, string symbol) => new(ExprKind.Scalar, name, symbol);

    public static Expr Lr { get; } = new(ExprKind.LearningRate, "lr", "γ");

    public static Expr T { get; } = new(ExprKind.StepCount, "t", "t");

    public static Expr One { get; } = Constant("one", "1", 1.0);

    public static Expr Sqrt(Expr x) => new(ExprKind.SquareRoot, Left: x);

    public static Expr Max(Expr a, Expr b) => new(ExprKind.Maximum, Left: a, Right: b);

    public static Expr Min(Expr a, Expr b) => new(ExprKind.Minimum, Left: a, Right: b);

    /// <summary>PyTorch's <c>clamp(x, lo, hi)</c> = min(max(x, lo), hi).</summary>
    public static Expr Clamp(Expr x, Expr lo, Expr hi) => Min(Max(x, lo), hi);

    public static Expr Abs(Expr x) => new(ExprKind.Absolute, Left: x);

    public static Expr Sign(Expr x) => new(ExprKind.Sign, Left: x);

    public static Expr Select(Expr condition, Expr whenTrue, Expr whenFalse) => new(ExprKind.Select, Left: whenTrue, Right: whenFalse, Condition: condition);

    public static Expr Greater(Expr a, Expr b) => new(ExprKind.GreaterThan, Left: a, Right: b);

    public static Expr Less(Expr a, Expr b) => new(ExprKind.LessThan, Left: a, Right: b);

    public static Expr Equal(Expr a, Expr b) => new(ExprKind.Equal, Left: a, Right: b);

    public static Expr And(Expr a, Expr b) => new(ExprKind.And, Left: a, Right: b);

    public static Expr Or(Expr a, Expr b) => new(ExprKind.Or, Left: a, Right: b);

    /// <summary>Whether this is a condition (a comparison or a combination of them) rather than a number.</summary>
    public bool IsCondition => Kind is ExprKind.GreaterThan or ExprKind.LessThan or ExprKind.Equal or ExprKind.And or ExprKind.Or
        or ExprKind.GreaterOrEqual or ExprKind.LessOrEqual or ExprKind.NotEqual or ExprKind.Not or ExprKind.CodeCondition;

    /// <summary>Whether the value reads the step count t.</summary>
    public bool ReadsStepCount => System.Linq.Enumerable.Any(Nodes(), n => n.Kind is ExprKind.StepCount or ExprKind.FirstStepSelect
        || (n.Kind is ExprKind.Code or ExprKind.CodeCondition or ExprKind.WideCode && n.Value != 0));

    /// <summary>Whether the value differs from element to element (it reads a buffer or a temporary of the body).</summary>
    public bool IsElementWise => Kind == ExprKind.Variable
        || (Left?.IsElementWise ?? false) || (Right?.IsElementWise ?? false) || (Condition?.IsElementWise ?? false);

    /// <summary>Every node of the tree, this one first.</summary>
    public System.Collections.Generic.IEnumerable<Expr> Nodes()
    {
        yield return this;
        foreach (Expr? child in new[] { Condition, Left, Right })
        {
            if (child is not null)
            {
                foreach (Expr node in child.Nodes())
                {
                    yield return node;
                }
            }
        }
    }

    public static Expr Pow(Expr a, Expr b) => new(ExprKind.Power, Left: a, Right: b);

    public static Expr FirstStep(Expr whenFirst, Expr otherwise) => new(ExprKind.FirstStepSelect, Left: whenFirst, Right: otherwise);

    public static Expr operator -(Expr x) => new(ExprKind.Negate, Left: x);

    public static Expr operator +(Expr a, Expr b) => new(ExprKind.Add, Left: a, Right: b);

    public static Expr operator -(Expr a, Expr b) => new(ExprKind.Subtract, Left: a, Right: b);

    public static Expr operator *(Expr a, Expr b) => new(ExprKind.Multiply, Left: a, Right: b);

    public static Expr operator /(Expr a, Expr b) => new(ExprKind.Divide, Left: a, Right: b);
}
