using Optim.Generators.Common;

namespace Optim.Generators.Model;

/// <summary>An element-wise buffer of the arena: parameters, gradients or one optimizer state.</summary>
/// <param name="Name">C# identifier used for the buffer's value inside the loop.</param>
/// <param name="Symbol">Math symbol.</param>
/// <param name="Description">What the buffer holds, with PyTorch's state name.</param>
/// <param name="View">
/// When not empty, the model exposes the buffer: a view <c>{parameter}{View}</c> per parameter and <c>{View}Parameters</c>
/// for the whole model (ASGD's averaged parameters).
/// </param>
/// <param name="Transient">
/// Working space rather than state: a section a per-tensor rule writes and reads within one tensor's update (Muon's
/// orthogonalized update). It carries nothing from step to step.
/// </param>
/// <param name="Extent">How many of its elements each parameter tensor has: one per element, or one per row or column.</param>
internal sealed record Buffer(string Name, string Symbol, string Description, string View = "", bool Transient = false, Extent Extent = Extent.Elements)
{
    public Expr Value => Expr.Variable(Name, Symbol);

    /// <summary>What <c>Step()</c> can leave in the buffer; a checkpoint's section that holds anything else is refused.</summary>
    public StateValues Values { get; init; } = StateValues.Any;

    /// <summary>With <see cref="StateValues.ZeroOrClamped"/>: the smallest value <c>Step()</c> clamps to.</summary>
    public double Min { get; init; }

    /// <summary>With <see cref="StateValues.ZeroOrClamped"/>: the largest value <c>Step()</c> clamps to.</summary>
    public double Max { get; init; }
}

/// <summary>The values <c>Step()</c> can leave in a state buffer, which loading a checkpoint checks.</summary>
internal enum StateValues
{
    /// <summary>Any value (a first moment, averaged parameters, a custom rule's state).</summary>
    Any,

    /// <summary>Sums and averages of squares: never negative (NaN and +∞ can follow a non-finite gradient).</summary>
    NonNegative,

    /// <summary>0 until first updated, then in [<see cref="Buffer.Min"/>, <see cref="Buffer.Max"/>] (Rprop's step sizes).</summary>
    ZeroOrClamped,
}

/// <summary>
/// How many elements of a state buffer a parameter tensor has. Per-row and per-column buffers (Adafactor's factored second
/// moment) belong to per-tensor rules whose phases treat matrices and vectors apart; a matrix is rows × the rest.
/// </summary>
internal enum Extent
{
    /// <summary>One per element of the tensor.</summary>
    Elements,

    /// <summary>One per row of a matrix; one per element of a vector.</summary>
    Rows,

    /// <summary>One per column of a matrix; none for a vector.</summary>
    Columns,
}

/// <summary>A scalar computed once per step in double precision, from γ, t and constants.</summary>
/// <param name="Name">C# identifier.</param>
/// <param name="Symbol">Math symbol.</param>
/// <param name="Value">Its expression.</param>
/// <param name="ToKernel">Rounded to the element type and passed to the element loop (otherwise an intermediate).</param>
internal sealed record StepScalar(string Name, string Symbol, Expr Value, bool ToKernel)
{
    public Expr Ref => Expr.Scalar(Name, Symbol);
}

/// <summary>
/// A running product kept from step to step and advanced once per step before the scalars are computed:
/// <c>Name ← Update</c>, starting at 1. Running powers β^t use it, so a step costs one multiply instead of a Math.Pow
/// call. Each step's factor lies in [<paramref name="LowBase"/>, <paramref name="HighBase"/>] ⊂ [0, 1], so after t steps
/// the product lies in [LowBaseᵗ, HighBaseᵗ]: what loading a checkpoint checks it against.
/// </summary>
/// <param name="Name">C# identifier (the field is _optim + Name in PascalCase).</param>
/// <param name="Symbol">Math symbol.</param>
/// <param name="Update">The next value, in terms of the current one (referenced as a scalar of the same name).</param>
/// <param name="LowBase">The smallest factor a step multiplies by.</param>
/// <param name="HighBase">The largest factor a step multiplies by.</param>
internal sealed record StepAccumulator(string Name, string Symbol, Expr Update, double LowBase, double HighBase)
{
    /// <summary>The value before the first step.</summary>
    public const double Initial = 1.0;

    public Expr Ref => Expr.Scalar(Name, Symbol);

    /// <summary>A running power base^t: starts at 1 and is multiplied by the constant <paramref name="base"/> every step.</summary>
    public static StepAccumulator Power(string name, string symbol, Expr @base) =>
        new(name, symbol, Expr.Scalar(name, symbol) * @base, @base.Value, @base.Value);
}

/// <summary>
/// One statement of the element-wise update: <c>Target ← Value</c>. A target that names a buffer writes
/// the buffer back to the arena; any other target is a temporary.
/// </summary>
internal sealed record Statement(string Target, string Symbol, Expr Value)
{
    public Expr Ref => Expr.Variable(Target, Symbol);
}

/// <summary>
/// An optimizer as data: the state it keeps, the scalars it computes once per step and the element-wise
/// update. The emitter turns any rule into vector and scalar loops; it knows no optimizer by name.
/// </summary>
/// <param name="Title">Display name, e.g. "Adam".</param>
/// <param name="Reference">What the rule reproduces, e.g. "torch.optim.Adam".</param>
/// <param name="Settings">The hyperparameters as PyTorch would print them.</param>
/// <param name="State">State buffers in arena order (after θ and g).</param>
/// <param name="Accumulators">Doubles carried from step to step (running powers), advanced first.</param>
/// <param name="Scalars">Per-step scalars in evaluation order.</param>
/// <param name="Body">Element-wise statements in evaluation order.</param>
/// <param name="Note">How the rule relates to the formula in PyTorch's documentation, when it is rearranged.</param>
/// <param name="TensorPhases">
/// For rules that need per-tensor quantities (norms): the passes over each parameter tensor and the per-tensor scalars
/// between them, in order; <paramref name="Body"/> is then empty. Empty for element-wise rules, which run as one fused
/// loop over the whole arena.
/// </param>
internal sealed record UpdateRule(
    string Title,
    string Reference,
    string Settings,
    EquatableArray<Buffer> State,
    EquatableArray<StepAccumulator> Accumulators,
    EquatableArray<StepScalar> Scalars,
    EquatableArray<Statement> Body,
    string Note = "",
    EquatableArray<Phase> TensorPhases = default)
{
    public static Buffer Param { get; } = new("param", "θ", "parameters θ");

    public static Buffer Grad { get; } = new("grad", "g", "gradients g = ∇θ f(θ)");

    /// <summary>The number of elements of the tensor a per-tensor scalar belongs to (double).</summary>
    public static Expr TensorSize { get; } = Expr.Scalar("numel", "n");

    /// <summary>The tensor's rows: its first dimension (1 for a vector or a scalar; double).</summary>
    public static Expr TensorRows { get; } = Expr.Scalar("rowCount", "R");

    /// <summary>The tensor's columns: the product of its other dimensions (double).</summary>
    public static Expr TensorCols { get; } = Expr.Scalar("colCount", "C");

    /// <summary>Whether the rule works tensor by tensor rather than as one loop over the arena.</summary>
    public bool IsPerTensor => TensorPhases.Count > 0;

    /// <summary>Every element-wise statement of the rule, whichever form it has.</summary>
    public System.Collections.Generic.IEnumerable<Statement> AllStatements =>
        System.Linq.Enumerable.Concat(Body, System.Linq.Enumerable.SelectMany(System.Linq.Enumerable.OfType<ElementPass>(TensorPhases), p => p.Body));
}

/// <summary>A sum over the elements of one tensor, accumulated during a pass: <c>Name = Σ Value</c>.</summary>
/// <param name="Name">C# identifier of the total (a double per tensor).</param>
/// <param name="Symbol">Math symbol.</param>
/// <param name="Value">The element-wise value summed (in the element type).</param>
internal sealed record Reduction(string Name, string Symbol, Expr Value)
{
    public Expr Ref => Expr.Scalar(Name, Symbol);
}

/// <summary>Which tensors a phase of a per-tensor rule applies to.</summary>
internal enum TensorKind
{
    /// <summary>Every tensor.</summary>
    All,

    /// <summary>Tensors of two or more dimensions, seen as rows (the first dimension) × columns (the rest).</summary>
    Matrices,

    /// <summary>Tensors of one dimension, and scalars.</summary>
    Vectors,
}

/// <summary>A step of a per-tensor rule.</summary>
internal abstract record Phase
{
    /// <summary>The tensors it applies to.</summary>
    public TensorKind Where { get; init; } = TensorKind.All;

    /// <summary>Whether it runs in the method for tensors of kind <paramref name="kind"/>.</summary>
    public bool AppliesTo(TensorKind kind) => Where == TensorKind.All || Where == kind;
}

/// <summary>One loop over the elements of a tensor: the statements, then the sums it accumulates.</summary>
internal sealed record ElementPass(EquatableArray<Statement> Body, EquatableArray<Reduction> Reductions) : Phase;

/// <summary>
/// Scalars computed once per tensor, in double, from the totals of earlier passes, the step's scalars and
/// <see cref="UpdateRule.TensorSize"/>; those marked ToKernel are rounded to the element type for later passes.
/// </summary>
internal sealed record TensorScalars(EquatableArray<StepScalar> Scalars) : Phase;

/// <summary>
/// A matrix routine of Optim.Abstractions run on one tensor seen as a rows × cols matrix (row-major):
/// <c>[double Result =] MatrixKernels.{Routine}(spans of Buffers…, rows, cols, [workspace,] arguments…[, maxThreads][, out double Output])</c>, each span being
/// the tensor's part of that section. With <paramref name="Workspace"/>, the model allocates the routine's working space
/// once, from <c>MatrixKernels.{Routine}WorkspaceLength</c> over its tensors' shapes.
/// </summary>
/// <param name="Routine">The method of <c>Optim.MatrixKernels</c>.</param>
/// <param name="Math">What the routine computes, for the doc comment.</param>
/// <param name="Buffers">The sections it reads or writes, in the routine's order.</param>
/// <param name="Arguments">Named double arguments after the shape (and workspace), in order.</param>
/// <param name="Workspace">Whether the routine takes a workspace.</param>
/// <param name="Result">When not empty, the per-tensor double the routine returns.</param>
/// <param name="Output">When not empty, a second per-tensor double the routine gives back as its last, <c>out</c> argument.</param>
/// <param name="Threads">
/// Whether the routine takes <c>maxThreads</c>: the model's thread count for a tensor whose routine shares its own work
/// between threads (<see cref="MatrixRoutines.SharesWork"/>), else 1 (the tensor whole on one thread).
/// </param>
internal sealed record TensorCall(string Routine, string Math, EquatableArray<Buffer> Buffers, EquatableArray<CallArgument> Arguments, bool Workspace = false, string Result = "", string Output = "", bool Threads = false) : Phase;

/// <summary>A named argument of a <see cref="TensorCall"/>.</summary>
internal sealed record CallArgument(string Name, Expr Value);
