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
internal sealed record Expr(ExprKind Kind, string Name = "", string Symbol = "", double Value = 0, Expr? Left = null, Expr? Right = null)
{
    public static Expr Constant(string name, string symbol, double value) => new(ExprKind.Constant, name, symbol, value);

    public static Expr Variable(string name, string symbol) => new(ExprKind.Variable, name, symbol);

    public static Expr Scalar(string name, string symbol) => new(ExprKind.Scalar, name, symbol);

    public static Expr Lr { get; } = new(ExprKind.LearningRate, "lr", "γ");

    public static Expr T { get; } = new(ExprKind.StepCount, "t", "t");

    public static Expr One { get; } = Constant("one", "1", 1.0);

    public static Expr Sqrt(Expr x) => new(ExprKind.SquareRoot, Left: x);

    public static Expr Max(Expr a, Expr b) => new(ExprKind.Maximum, Left: a, Right: b);

    public static Expr Pow(Expr a, Expr b) => new(ExprKind.Power, Left: a, Right: b);

    public static Expr FirstStep(Expr whenFirst, Expr otherwise) => new(ExprKind.FirstStepSelect, Left: whenFirst, Right: otherwise);

    public static Expr operator -(Expr x) => new(ExprKind.Negate, Left: x);

    public static Expr operator +(Expr a, Expr b) => new(ExprKind.Add, Left: a, Right: b);

    public static Expr operator -(Expr a, Expr b) => new(ExprKind.Subtract, Left: a, Right: b);

    public static Expr operator *(Expr a, Expr b) => new(ExprKind.Multiply, Left: a, Right: b);

    public static Expr operator /(Expr a, Expr b) => new(ExprKind.Divide, Left: a, Right: b);
}
