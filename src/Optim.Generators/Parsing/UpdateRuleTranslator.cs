using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using Buffer = Optim.Generators.Model.Buffer;
using System.Threading;
using Optim.Generators.Parsing.Operations;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Optim.Generators.Common;
using Optim.Generators.Diagnostics;
using Optim.Generators.Emit;
using Optim.Generators.Model;

namespace Optim.Generators.Parsing;

/// <summary>
/// Translates the body of an [UpdateRule] method into an <see cref="UpdateRule"/>, preserving its semantics exactly:
/// <list type="bullet">
/// <item>A value that depends only on constants, <c>lr</c> and <c>step</c> is <em>uniform</em>: it is printed back as C#
/// of the same types (every implicit conversion made explicit) and computed once per step, so <c>MathF.Pow(b1, step)</c>
/// gives the very float the method computes.</item>
/// <item>Element values become the expression tree the kernels print for every vector width and the scalar tail: only
/// operations with an exactly-rounded vector form are allowed there (+ − × ÷, Sqrt, Abs, Min, Max, Sign, Clamp, FMA,
/// comparisons and selects), all in the element type.</item>
/// <item>Every assignment makes a new single-assignment temporary; <c>if</c>/<c>else</c> and <c>?:</c> compute both sides
/// and select; the ref parameters are written back once, at the end.</item>
/// </list>
/// Anything else is one diagnostic at that construct; the translator never throws on user code.
/// </summary>
internal sealed class UpdateRuleTranslator : BodyWalker<UpdateRuleTranslator.Val>
{
    /// <summary>Longest per-step C# expression accepted (a guard against exponential growth of inlined uniform locals).</summary>
    private const int MaxCodeLength = 20_000;

    private readonly UpdateRuleParser.Signature _signature;
    private readonly SpecialType _t;
    private readonly List<Statement> _body = new();
    private readonly List<StepScalar> _scalars = new();
    private readonly Dictionary<string, Expr> _hoisted = new();
    private readonly Dictionary<long, Expr> _constants = new();
    private readonly Dictionary<ISymbol, Buffer> _buffers = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<ISymbol, int> _versions = new(SymbolEqualityComparer.Default);
    private int _temporaries;

    /// <summary>
    /// How many conditions the code being translated runs under: &gt; 0 inside an if's branches, a ?:'s operands and the
    /// right operand of &amp;&amp; or ||, which the method evaluates only when the condition holds.
    /// </summary>
    private int _conditional;

    public UpdateRuleTranslator(UpdateRuleParser.Signature signature, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        : base(diagnostics, cancellationToken)
    {
        _signature = signature;
        _t = signature.Element == ElementType.Float ? SpecialType.System_Single : SpecialType.System_Double;
    }

    private string T => _signature.Element.Keyword();

    /// <summary>A value during translation: element-wise (an expression tree) or uniform (per-step C#).</summary>
    internal sealed class Val
    {
        public SpecialType Type { get; set; }

        /// <summary>The element-wise value, or null for a uniform one.</summary>
        public Expr? Element { get; set; }

        /// <summary>A uniform value's C# text, fully parenthesized.</summary>
        public string Code { get; set; } = "";

        /// <summary>Whether the uniform code reads the step count.</summary>
        public bool ReadsStep { get; set; }

        /// <summary>A compile-time constant's value.</summary>
        public object? Constant { get; set; }

        /// <summary>The user's source text (for the math in comments).</summary>
        public string Source { get; set; } = "";

        /// <summary>
        /// An int element value held as T in the kernels because T represents every value it can take exactly: MathF.Sign's
        /// −1, 0, 1, or a choice between such values and small int constants (<c>c ? 1 : 2</c>).
        /// </summary>
        public bool IsSign { get; set; }

        /// <summary>Whether this int is a constant or value T holds exactly (|v| ≤ 2²⁴).</summary>
        public bool IsExactInT => IsSign || (Constant is int or long && Math.Abs(System.Convert.ToDouble(Constant, CultureInfo.InvariantCulture)) <= 16777216);

        /// <summary>The element value is computed in a double island of a float rule (its tree is double-typed).</summary>
        public bool Wide { get; set; }

        public bool IsUniform => Element is null;
    }

    public UpdateRule? Translate(IMethodBodyOperation method, string title)
    {
        var param = new Buffer(UpdateRule.Param.Name, _signature.Param.Name, "parameters");
        var grad = new Buffer(UpdateRule.Grad.Name, _signature.Grad.Name, "gradients");
        _buffers[_signature.Param] = param;
        _buffers[_signature.Grad] = grad;
        var state = new List<Buffer>();
        foreach (IParameterSymbol p in _signature.State)
        {
            var buffer = new Buffer("state_" + p.Name, p.Name, $"state '{p.Name}' of the [UpdateRule] method (zero at the start)");
            state.Add(buffer);
            _buffers[p] = buffer;
        }

        foreach (KeyValuePair<ISymbol, Buffer> pair in _buffers)
        {
            Variables[pair.Key] = new Val { Type = _t, Element = pair.Value.Value, Source = pair.Key.Name };
        }

        if (_signature.Lr is not null)
        {
            Variables[_signature.Lr] = new Val { Type = _t, Code = $"(({T})lr)", Source = _signature.Lr.Name };
        }

        if (_signature.Step is not null)
        {
            Variables[_signature.Step] = new Val { Type = SpecialType.System_Int64, Code = "t", ReadsStep = true, Source = _signature.Step.Name };
        }

        IBlockOperation? block = Body(method);
        if (block is null)
        {
            return null;
        }

        Statements(block.Operations, topLevel: true);
        if (Failed)
        {
            return null;
        }

        // Write back every ref parameter whose value changed.
        foreach (IParameterSymbol p in new[] { _signature.Param }.Concat(_signature.State))
        {
            Val final = Variables[p];
            Buffer buffer = _buffers[p];
            Expr value = ToElement(final, p.Locations.FirstOrDefault()) ?? buffer.Value;
            if (value != buffer.Value)
            {
                _body.Add(new Statement(buffer.Name, buffer.Symbol, value));
            }
        }

        if (Failed)
        {
            return null;
        }

        if (_body.Count == 0)
        {
            // A rule that changes nothing still gets a (trivial) loop, so every model has the same shape.
            _body.Add(new Statement("unchanged", param.Symbol, param.Value));
        }

        return new UpdateRule(
            "Custom",
            $"the [UpdateRule] method {title}",
            "",
            state.ToEquatableArray(),
            EquatableArray<StepAccumulator>.Empty,
            _scalars.ToEquatableArray(),
            _body.ToEquatableArray(),
            $"Compiled from the [UpdateRule] method {title}: bit for bit what calling it once per element gives.");
    }

    // ---- Statements -------------------------------------------------------------------------------------------------

    /// <summary>The method's closing <c>return;</c> (or the implicit one) ends the rule; any other return is reported.</summary>
    protected override void Return(IReturnOperation ret, bool last)
    {
        if (!(ret.ReturnedValue is null && (ret.IsImplicit || last)))
        {
            UnsupportedStatement(ret);
        }
    }

    protected override void Block(IBlockOperation block) => Statements(block.Operations, topLevel: false);

    protected override void Empty(IEmptyOperation empty)
    {
    }

    protected override void Declare(IVariableDeclaratorOperation declarator, IVariableInitializerOperation? initializer)
    {
        if (declarator.Symbol.IsRef)
        {
            Unsupported(declarator.Syntax, "a ref local", "use a plain local");
        }
        else if (initializer is not null)
        {
            Assign(declarator.Symbol, Value(initializer.Value), declarator.Syntax);
        }
    }

    protected override void UnsupportedStatement(IOperation statement) =>
        Unsupported(statement.Syntax, Describe(statement), "an update rule is straight-line code: assignments, if/else and ?:");

    protected override void ExpressionStatement(IExpressionStatementOperation statement)
    {
        IOperation expression = statement.Operation;
        switch (expression)
        {
            case ISimpleAssignmentOperation { IsRef: false } assignment when Target(assignment.Target) is { } target:
                Assign(target, Value(assignment.Value), assignment.Syntax);
                return;
            case ICompoundAssignmentOperation compound when Target(compound.Target) is { } target:
            {
                Val? current = Read(target, compound.Target);
                Val? operand = Value(compound.Value);
                Val? result = current is null || operand is null ? null : Binary(compound.OperatorKind, current, operand, Promote(current.Type, operand.Type), compound.Syntax, compound.IsChecked);
                Assign(target, result, compound.Syntax, compound.IsChecked);
                return;
            }

            case IIncrementOrDecrementOperation step when Target(step.Target) is { } target:
            {
                Val? current = Read(target, step.Target);
                Val one = Constant(TypeOf(step.Target.Type), 1, "1");
                Val? result = current is null ? null : Binary(step.Kind == OperationKind.Increment ? BinaryOperatorKind.Add : BinaryOperatorKind.Subtract, current, one, TypeOf(step.Target.Type), step.Syntax, step.IsChecked);
                Assign(target, result, step.Syntax);
                return;
            }

            case ISimpleAssignmentOperation or ICompoundAssignmentOperation or IIncrementOrDecrementOperation:
                // Target() reported what is wrong with the target.
                return;
            default:
                Unsupported(expression.Syntax, Describe(expression), "a statement of an update rule assigns a local or a parameter");
                return;
        }
    }

    /// <summary>The local or parameter an assignment writes, or null after reporting a field, an element, …</summary>
    private ISymbol? Target(IOperation target)
    {
        switch (target)
        {
            case ILocalReferenceOperation local:
                return local.Local;
            case IParameterReferenceOperation parameter:
                return parameter.Parameter;
            case IFieldReferenceOperation field:
                Unsupported(target.Syntax, $"writing the field '{field.Field.Name}'", "an update rule may only write its locals and its ref parameters");
                return null;
            default:
                Unsupported(target.Syntax, Describe(target), "an update rule may only write its locals and its ref parameters");
                return null;
        }
    }

    private void Assign(ISymbol target, Val? value, SyntaxNode syntax, bool isChecked = false)
    {
        if (value is null)
        {
            return;
        }

        SpecialType type = TypeOf(target switch { ILocalSymbol l => l.Type, IParameterSymbol p => p.Type, _ => null });
        if (value.Type != type && !(value.Constant is not null && IsNumeric(type)))
        {
            value = Convert(value, type, syntax, isChecked);
            if (value is null)
            {
                return;
            }
        }

        if (value.IsUniform || value.Type == SpecialType.System_Boolean || value.Wide)
        {
            // Uniform values stay C# text; element conditions stay trees (they read only single-assignment values).
            Variables[target] = value;
            return;
        }

        // An element value: a new temporary, so later reads see exactly this value whatever is assigned next.
        string name = $"v{_temporaries++}_{target.Name.TrimStart('@')}";
        _versions[target] = _versions.TryGetValue(target, out int version) ? version + 1 : 1;
        string symbol = target.Name.TrimStart('@') + Subscript(_versions[target]);
        _body.Add(new Statement(name, symbol, value.Element!));
        Variables[target] = new Val { Type = value.Type, Element = Expr.Variable(name, symbol), Source = symbol, IsSign = value.IsSign };
    }

    /// <summary>
    /// if/else: both branches run on copies of the variables, then every variable either changed becomes
    /// <c>condition ? then : else</c> (a vector select for an element condition, a per-step choice otherwise).
    /// </summary>
    protected override void If(IConditionalOperation conditional)
    {
        Val? condition = Value(conditional.Condition);
        Dictionary<ISymbol, Val> before = Variables;
        Variables = new Dictionary<ISymbol, Val>(before, SymbolEqualityComparer.Default);
        _conditional++;
        Statement(conditional.WhenTrue);
        Dictionary<ISymbol, Val> whenTrue = Variables;
        Variables = new Dictionary<ISymbol, Val>(before, SymbolEqualityComparer.Default);
        if (conditional.WhenFalse is not null)
        {
            Statement(conditional.WhenFalse);
        }

        _conditional--;
        Dictionary<ISymbol, Val> whenFalse = Variables;
        Variables = before;
        if (condition is null)
        {
            return;
        }

        // Every variable known after both branches: those known before, and those (declared earlier without an
        // initialiser) that both branches assign. One that only one branch assigns is not definitely assigned after
        // the if, so C# lets nothing read it.
        foreach (ISymbol symbol in whenTrue.Keys.Where(whenFalse.ContainsKey).ToList())
        {
            Val a = whenTrue[symbol], b = whenFalse[symbol];
            before.TryGetValue(symbol, out Val? previous);
            if (!ReferenceEquals(a, previous) || !ReferenceEquals(b, previous))
            {
                Assign(symbol, Select(condition, a, b, conditional.Syntax), conditional.Syntax);
            }
        }
    }

    // ---- Expressions ------------------------------------------------------------------------------------------------

    /// <summary>A constant of a numeric or bool type, as its literal.</summary>
    protected override Val? ConstantValue(IOperation operation, object? value) =>
        TypeOf(operation.Type) is var type && (IsNumeric(type) || type == SpecialType.System_Boolean) ? Constant(type, value, Source(operation.Syntax)) : null;

    protected override Val? Field(IFieldReferenceOperation field)
    {
        Unsupported(field.Syntax, $"reading the field '{field.Field.Name}'", "only const fields, whose values are fixed at compile time, may be read");
        return null;
    }

    protected override Val? Conversion(IConversionOperation conversion)
    {
        Val? operand = Value(conversion.Operand);
        return operand is null ? null : Convert(operand, TypeOf(conversion.Type), conversion.Syntax, conversion.IsChecked, conversion.OperatorMethod is not null);
    }

    protected override Val? Binary(IBinaryOperation binary)
    {
        if (binary.OperatorMethod is not null)
        {
            Unsupported(binary.Syntax, $"the user-defined operator '{binary.OperatorMethod.Name}'", "only the built-in operators of float, double, int, long and bool");
            return null;
        }

        // The right operand of && and || runs only when the left one does not decide.
        bool shortCircuits = binary.OperatorKind is BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr;
        Val? left = Value(binary.LeftOperand), right = shortCircuits ? Conditionally(binary.RightOperand) : Value(binary.RightOperand);
        return left is null || right is null ? null : Binary(binary.OperatorKind, left, right, TypeOf(binary.Type), binary.Syntax, binary.IsChecked);
    }

    protected override Val? Unary(IUnaryOperation unary)
    {
        Val? operand = Value(unary.Operand);
        return operand is null ? null : Unary(unary, operand);
    }

    protected override Val? Conditional(IConditionalOperation conditional)
    {
        if (conditional is not { WhenFalse: not null, IsRef: false })
        {
            return UnsupportedValue(conditional);
        }

        Val? condition = Value(conditional.Condition), a = Conditionally(conditional.WhenTrue), b = Conditionally(conditional.WhenFalse);
        return condition is null || a is null || b is null ? null : Select(condition, a, b, conditional.Syntax);
    }

    protected override Val? UnsupportedValue(IOperation operation)
    {
        Unsupported(operation.Syntax, Describe(operation), "write the rule with the constructs listed in OPT0043's help page");
        return null;
    }

    /// <summary>An operand the method evaluates only under a condition (see <see cref="_conditional"/>).</summary>
    private Val? Conditionally(IOperation operation)
    {
        _conditional++;
        Val? value = Value(operation);
        _conditional--;
        return value;
    }

    /// <summary>
    /// A per-step value whose computation can throw (checked overflow, integer division, Math.Clamp's bounds, …). The
    /// generated Step() computes per-step values once, before the element loop, where the method computes them for every
    /// element: the same exception, thrown before any element changes, provided the method computes it unconditionally.
    /// So it is computed there even when nothing reads it, and reported when a condition guards it (the method might not
    /// throw at all).
    /// </summary>
    private Val? MayThrow(Val value, string why, SyntaxNode syntax)
    {
        if (_conditional > 0)
        {
            Report(Descriptors.UpdateRuleConditionalThrow, syntax, Source(syntax), why);
            return null;
        }

        if (!_hoisted.ContainsKey("evaluate:" + value.Code))
        {
            string name = "h" + _hoisted.Count;
            _scalars.Add(new StepScalar(name, Atom(value.Source), new Expr(ExprKind.Code, value.Code, Atom(value.Source), value.ReadsStep ? 1 : 0), ToKernel: false));
            _hoisted["evaluate:" + value.Code] = Expr.Scalar(name, Atom(value.Source));
        }

        return value;
    }

    /// <summary>
    /// Integer arithmetic in the method's checked or unchecked context, written out: the generated code must overflow
    /// (or throw) exactly as the method does whatever its project's CheckForOverflowUnderflow setting.
    /// </summary>
    private static string Context(bool isChecked, string code) => (isChecked ? "checked" : "unchecked") + code;

    /// <summary>A constant's value, or NaN for a value known only at run time (so comparisons with it are false).</summary>
    private static double Number(Val value) =>
        value.Constant is { } constant && value.Type != SpecialType.System_Boolean ? System.Convert.ToDouble(constant, CultureInfo.InvariantCulture) : double.NaN;

    private static bool IsInteger(SpecialType type) => type is SpecialType.System_Int32 or SpecialType.System_Int64;

    /// <summary>
    /// C# only lets the method read definitely assigned variables, so every read finds a value; should a construct ever
    /// leave one unknown, that is reported rather than silently dropping the statement that reads it.
    /// </summary>
    protected override Val? Unassigned(ISymbol symbol, IOperation reference)
    {
        Unsupported(reference.Syntax, $"reading '{symbol.Name}' here", "the generator cannot tell which value it holds; assign it on every path before this statement");
        return null;
    }

    private static Val Constant(SpecialType type, object? value, string source)
    {
        string code = type switch
        {
            SpecialType.System_Single => Literals.Float(System.Convert.ToSingle(value, CultureInfo.InvariantCulture)),
            SpecialType.System_Double => Literals.Double(System.Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            SpecialType.System_Int64 => System.Convert.ToInt64(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture) + "L",
            SpecialType.System_Boolean => (bool)value! ? "true" : "false",
            _ => System.Convert.ToInt32(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture),
        };
        return new Val { Type = type, Code = code.StartsWith("-", StringComparison.Ordinal) || code.Contains("Infinity") || code.Contains("NaN") ? Special(type, value, code) : code, Constant = value, Source = source };
    }

    /// <summary>Negative literals in parentheses; infinities and NaN spelled as their type's constants.</summary>
    private static string Special(SpecialType type, object? value, string code)
    {
        double number = System.Convert.ToDouble(value, CultureInfo.InvariantCulture);
        string owner = type == SpecialType.System_Single ? "float" : "double";
        return double.IsNaN(number) ? $"{owner}.NaN"
            : double.IsPositiveInfinity(number) ? $"{owner}.PositiveInfinity"
            : double.IsNegativeInfinity(number) ? $"{owner}.NegativeInfinity"
            : "(" + code + ")";
    }

    private Val? Convert(Val operand, SpecialType type, SyntaxNode syntax, bool isChecked, bool userDefined = false)
    {
        if (userDefined || !(IsNumeric(type) || type == SpecialType.System_Boolean))
        {
            Unsupported(syntax, "this conversion", "only conversions between float, double, int and long");
            return null;
        }

        if (operand.Type == type)
        {
            return operand;
        }

        if (operand.IsUniform)
        {
            // A conversion to int or long from a wider or floating type overflows: in a checked context it throws.
            bool narrows = IsInteger(type) && !(type == SpecialType.System_Int64 && operand.Type == SpecialType.System_Int32);
            Val? converted = Uniform(type, narrows ? Context(isChecked, $"(({Keyword(type)}){operand.Code})") : $"(({Keyword(type)}){operand.Code})", operand.ReadsStep, Source(syntax));
            return converted is not null && narrows && isChecked ? MayThrow(converted, "a checked conversion overflows", syntax) : converted;
        }

        // MathF.Sign's int (or a choice of small ints), held exactly in T: converted back as is.
        if (operand.IsSign && !operand.Wide && type == _t)
        {
            return new Val { Type = _t, Element = operand.Element, Source = operand.Source };
        }

        // A float rule's double islands: widen a float element (exact), narrow a double one back (rounds once, as the cast).
        if (_t == SpecialType.System_Single && type == SpecialType.System_Double && (operand.Type == _t || (operand.IsSign && operand.Wide)))
        {
            return new Val { Type = type, Element = operand.Wide ? operand.Element : new Expr(ExprKind.Widen, Left: operand.Element), Source = Source(syntax), Wide = true };
        }

        if (_t == SpecialType.System_Single && type == _t && operand.Wide && (operand.Type == SpecialType.System_Double || operand.IsSign))
        {
            return new Val { Type = _t, Element = new Expr(ExprKind.Narrow, Left: operand.Element), Source = Source(syntax) };
        }

        MixedPrecision(syntax, Foreign(operand.Type, type));
        return null;
    }

    private Val? Binary(BinaryOperatorKind kind, Val left, Val right, SpecialType resultType, SyntaxNode syntax, bool isChecked)
    {
        string? op = kind switch
        {
            BinaryOperatorKind.Add => "+",
            BinaryOperatorKind.Subtract => "-",
            BinaryOperatorKind.Multiply => "*",
            BinaryOperatorKind.Divide => "/",
            BinaryOperatorKind.Remainder => "%",
            BinaryOperatorKind.Equals => "==",
            BinaryOperatorKind.NotEquals => "!=",
            BinaryOperatorKind.LessThan => "<",
            BinaryOperatorKind.LessThanOrEqual => "<=",
            BinaryOperatorKind.GreaterThan => ">",
            BinaryOperatorKind.GreaterThanOrEqual => ">=",
            BinaryOperatorKind.ConditionalAnd => "&&",
            BinaryOperatorKind.ConditionalOr => "||",
            _ => null,
        };
        if (op is null)
        {
            Unsupported(syntax, $"the operator {kind}", "use + - * /, comparisons, && and ||");
            return null;
        }

        // An int or long constant beside an element value is converted to T by C# (exactly, at compile time).
        if (!left.IsUniform && right.Constant is not null && right.Type is SpecialType.System_Int32 or SpecialType.System_Int64)
        {
            right = Constant(_t, right.Constant, right.Source);
        }

        if (!right.IsUniform && left.Constant is not null && left.Type is SpecialType.System_Int32 or SpecialType.System_Int64)
        {
            left = Constant(_t, left.Constant, left.Source);
        }

        if (left.IsUniform && right.IsUniform)
        {
            if (!IsInteger(resultType))
            {
                return Uniform(resultType, $"({left.Code} {op} {right.Code})", left.ReadsStep || right.ReadsStep, Source(syntax));
            }

            // Integer + - * overflow: wrapped or thrown as the method's context says. Integer / and % throw for a zero
            // divisor (and MinValue / -1) in either context.
            bool arithmetic = kind is BinaryOperatorKind.Add or BinaryOperatorKind.Subtract or BinaryOperatorKind.Multiply;
            bool division = kind is BinaryOperatorKind.Divide or BinaryOperatorKind.Remainder;
            string code = arithmetic ? Context(isChecked, $"({left.Code} {op} {right.Code})") : $"({left.Code} {op} {right.Code})";
            Val? integer = Uniform(resultType, code, left.ReadsStep || right.ReadsStep, Source(syntax));
            bool safeDivisor = right.Constant is { } divisor && System.Convert.ToInt64(divisor, CultureInfo.InvariantCulture) is not (0 or -1);
            return integer is null ? null
                : arithmetic && isChecked ? MayThrow(integer, "checked integer arithmetic overflows", syntax)
                : division && !safeDivisor ? MayThrow(integer, "integer division by zero", syntax)
                : integer;
        }

        bool logical = kind is BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr;
        SpecialType operandType = logical ? SpecialType.System_Boolean : _t;
        if (logical && (left.Wide || right.Wide) && !(IsWideOrUniform(left) && IsWideOrUniform(right)))
        {
            Report(Descriptors.UpdateRuleMixedPrecision, syntax, Source(syntax), "combines a double and a float condition", T, "compare both sides in double, e.g. (double)g > 0");
            return null;
        }

        if (!logical && CanWiden(left) && CanWiden(right) && (left.Type == SpecialType.System_Double || right.Type == SpecialType.System_Double))
        {
            if (kind == BinaryOperatorKind.Remainder)
            {
                Report(Descriptors.UpdateRuleNoVectorForm, syntax, "%");
                return null;
            }

            // A double island of a float rule: both sides in double, as C# computes them.
            Expr? x = Wide(left, syntax), y = Wide(right, syntax);
            return x is null || y is null ? null : new Val { Type = resultType, Element = Combine(kind, x, y), Source = Source(syntax), Wide = true };
        }

        if (logical && left.Wide && right.Wide)
        {
            Expr? x = ToCondition(left, syntax), y = ToCondition(right, syntax);
            return x is null || y is null ? null : new Val { Type = SpecialType.System_Boolean, Element = Combine(kind, x, y), Source = Source(syntax), Wide = true };
        }

        if (!logical && (left.Type != _t || right.Type != _t))
        {
            // E.g. param * 0.5 in a float rule: C# computes it in double, which has no vector form here.
            MixedPrecision(syntax, Foreign(left.Type, right.Type));
            return null;
        }

        if (kind == BinaryOperatorKind.Remainder)
        {
            Report(Descriptors.UpdateRuleNoVectorForm, syntax, "%");
            return null;
        }

        Expr? a = logical ? ToCondition(left, syntax) : ToElement(left, syntax), b = logical ? ToCondition(right, syntax) : ToElement(right, syntax);
        if (a is null || b is null || operandType == SpecialType.None)
        {
            return null;
        }

        Expr result = Combine(kind, a, b);
        return new Val { Type = resultType, Element = result, Source = Source(syntax) };
    }

    private static Expr Combine(BinaryOperatorKind kind, Expr a, Expr b) => kind switch
    {
        BinaryOperatorKind.Add => a + b,
        BinaryOperatorKind.Subtract => a - b,
        BinaryOperatorKind.Multiply => a * b,
        BinaryOperatorKind.Divide => a / b,
        BinaryOperatorKind.Equals => Expr.Equal(a, b),
        BinaryOperatorKind.NotEquals => new Expr(ExprKind.NotEqual, Left: a, Right: b),
        BinaryOperatorKind.LessThan => Expr.Less(a, b),
        BinaryOperatorKind.LessThanOrEqual => new Expr(ExprKind.LessOrEqual, Left: a, Right: b),
        BinaryOperatorKind.GreaterThan => Expr.Greater(a, b),
        BinaryOperatorKind.GreaterThanOrEqual => new Expr(ExprKind.GreaterOrEqual, Left: a, Right: b),
        BinaryOperatorKind.ConditionalAnd => Expr.And(a, b),
        _ => Expr.Or(a, b),
    };

    // ---- Double islands (a float rule computing some element values in double, as C# does) ------------------------

    /// <summary>Whether a value can take part in a double island: a float rule's float or double element value, or a uniform number.</summary>
    private bool CanWiden(Val v) =>
        _t == SpecialType.System_Single && !(v.IsSign && !v.Wide)
        && (v.IsUniform ? v.Type is SpecialType.System_Single or SpecialType.System_Double or SpecialType.System_Int32 or SpecialType.System_Int64
            : v.Type is SpecialType.System_Single or SpecialType.System_Double || (v.IsSign && v.Wide));

    private static bool IsWideOrUniform(Val v) => v.IsUniform || v.Wide;

    /// <summary>The value as a double island expression: float elements widened, per-step values kept in double.</summary>
    private Expr? Wide(Val v, SyntaxNode syntax)
    {
        if (v.IsUniform)
        {
            if (v.Constant is not null)
            {
                double number = System.Convert.ToDouble(v.Constant, CultureInfo.InvariantCulture);
                return new Expr(ExprKind.WideConstant, Symbol: Atom(v.Source), Value: number);
            }

            string code = v.Type == SpecialType.System_Double ? v.Code : $"((double){v.Code})";
            if (!_hoisted.TryGetValue("wide:" + code, out Expr? reference))
            {
                string name = "h" + _hoisted.Count;
                _scalars.Add(new StepScalar(name, Atom(v.Source), new Expr(ExprKind.WideCode, code, Atom(v.Source), v.ReadsStep ? 1 : 0), ToKernel: true));
                reference = Expr.Scalar(name, Atom(v.Source));
                _hoisted["wide:" + code] = reference;
            }

            return reference;
        }

        if (v.Wide)
        {
            return v.Element;
        }

        return v.Type == _t ? new Expr(ExprKind.Widen, Left: v.Element) : null;
    }

    private Val? Unary(IUnaryOperation unary, Val operand)
    {
        string? op = unary.OperatorKind switch
        {
            UnaryOperatorKind.Minus => "-",
            UnaryOperatorKind.Plus => "+",
            UnaryOperatorKind.Not => "!",
            _ => null,
        };
        if (op is null || unary.OperatorMethod is not null)
        {
            Unsupported(unary.Syntax, $"the operator {unary.OperatorKind}", "use unary - or !");
            return null;
        }

        if (operand.IsUniform)
        {
            if (unary.OperatorKind == UnaryOperatorKind.Minus && IsInteger(TypeOf(unary.Type)))
            {
                // -int.MinValue overflows: wrapped or thrown as the method's context says.
                Val? negated = Uniform(TypeOf(unary.Type), Context(unary.IsChecked, $"(-{operand.Code})"), operand.ReadsStep, Source(unary.Syntax));
                return negated is not null && unary.IsChecked ? MayThrow(negated, "checked integer arithmetic overflows", unary.Syntax) : negated;
            }

            return Uniform(TypeOf(unary.Type), $"({op}{operand.Code})", operand.ReadsStep, Source(unary.Syntax));
        }

        if (unary.OperatorKind == UnaryOperatorKind.Plus)
        {
            return operand;
        }

        if (unary.OperatorKind == UnaryOperatorKind.Not)
        {
            Expr? condition = ToCondition(operand, unary.Syntax);
            return condition is null ? null : new Val { Type = SpecialType.System_Boolean, Element = new Expr(ExprKind.Not, Left: condition), Source = Source(unary.Syntax), Wide = operand.Wide };
        }

        if (operand.Wide)
        {
            return new Val { Type = operand.Type, Element = -operand.Element!, Source = Source(unary.Syntax), Wide = true, IsSign = operand.IsSign };
        }

        Expr? value = ToElement(operand, unary.Syntax);
        return value is null ? null : new Val { Type = _t, Element = -value, Source = Source(unary.Syntax) };
    }

    private Val? Select(Val condition, Val a, Val b, SyntaxNode syntax)
    {
        if (a.Type != b.Type)
        {
            MixedPrecision(syntax, Foreign(a.Type, b.Type));
            return null;
        }

        if (condition.IsUniform && a.IsUniform && b.IsUniform)
        {
            return Uniform(a.Type, $"({condition.Code} ? {a.Code} : {b.Code})", condition.ReadsStep || a.ReadsStep || b.ReadsStep, Source(syntax));
        }

        if ((condition.Wide || a.Wide || b.Wide) && a.Type != SpecialType.System_Boolean)
        {
            return WideSelect(condition, a, b, syntax);
        }

        Expr? test = ToCondition(condition, syntax);
        Expr? whenTrue = a.Type == SpecialType.System_Boolean ? ToCondition(a, syntax) : a.IsSign ? a.Element : ToElement(a, syntax);
        Expr? whenFalse = b.Type == SpecialType.System_Boolean ? ToCondition(b, syntax) : b.IsSign ? b.Element : ToElement(b, syntax);
        if (test is null || whenTrue is null || whenFalse is null)
        {
            return null;
        }

        if (a.Type == SpecialType.System_Boolean)
        {
            // A bool chosen by a condition: (c && a) || (!c && b), which a mask expresses.
            Expr chosen = Expr.Or(Expr.And(test, whenTrue), Expr.And(new Expr(ExprKind.Not, Left: test), whenFalse));
            return new Val { Type = SpecialType.System_Boolean, Element = chosen, Source = Source(syntax) };
        }

        bool exact = a.Type is SpecialType.System_Int32 or SpecialType.System_Int64 && a.IsExactInT && b.IsExactInT;
        return new Val { Type = a.Type, Element = Expr.Select(test, whenTrue, whenFalse), Source = Source(syntax), IsSign = exact };
    }

    /// <summary>
    /// A select touching a double island: chosen in double (a float value widens exactly), then narrowed back when the
    /// result is float. A float condition cannot steer double lanes, so that mix is reported.
    /// </summary>
    private Val? WideSelect(Val condition, Val a, Val b, SyntaxNode syntax)
    {
        if (!IsWideOrUniform(condition) || !CanWiden(a) || !CanWiden(b))
        {
            Report(Descriptors.UpdateRuleMixedPrecision, syntax, Source(syntax), "chooses between double values by a float condition", T, "compare in double, e.g. (double)g > 0 ? … : …");
            return null;
        }

        Expr? test = ToCondition(condition, syntax), x = Wide(a, syntax), y = Wide(b, syntax);
        if (test is null || x is null || y is null)
        {
            return null;
        }

        Expr chosen = Expr.Select(test, x, y);
        return a.Type == SpecialType.System_Double
            ? new Val { Type = a.Type, Element = chosen, Source = Source(syntax), Wide = true }
            : new Val { Type = a.Type, Element = new Expr(ExprKind.Narrow, Left: chosen), Source = Source(syntax) };
    }

    protected override Val? Invocation(IInvocationOperation invocation)
    {
        IMethodSymbol method = invocation.TargetMethod;
        string owner = method.ContainingType?.ToDisplayString() ?? "";
        if (owner is "float" or "double" && method.Name is "IsNaN" or "IsFinite" or "IsInfinity" && invocation.Arguments.Length == 1)
        {
            return Classify(invocation, method.Name);
        }

        if (owner is not ("System.Math" or "System.MathF"))
        {
            Unsupported(invocation.Syntax, $"calling '{method.Name}'", "an update rule may call only System.Math and System.MathF functions");
            return null;
        }

        var arguments = new List<Val>();
        foreach (IArgumentOperation argument in invocation.Arguments)
        {
            if (argument.Parameter?.RefKind is not (null or RefKind.None))
            {
                Unsupported(argument.Syntax, $"a ref or out argument of '{method.Name}'", "pass values only");
                return null;
            }

            Val? value = Value(argument.Value);
            if (value is null)
            {
                return null;
            }

            arguments.Add(value);
        }

        string source = Source(invocation.Syntax);
        SpecialType type = TypeOf(method.ReturnType);
        if (arguments.All(a => a.IsUniform))
        {
            if (!IsNumeric(type))
            {
                Unsupported(invocation.Syntax, $"'{owner}.{method.Name}' returning {method.ReturnType.ToDisplayString()}", "per-step values are float, double, int, long or bool");
                return null;
            }

            Val? uniform = Uniform(type, $"global::{owner}.{method.Name}({string.Join(", ", arguments.Select(a => a.Code))})", arguments.Any(a => a.ReadsStep), source);
            return uniform is not null && Throws(method, arguments) is { } why ? MayThrow(uniform, why, invocation.Syntax) : uniform;
        }

        if (method.Name == "Clamp" && !(arguments[1].IsUniform && arguments[2].IsUniform))
        {
            Report(Descriptors.UpdateRuleClampBounds, invocation.Syntax, source);
            return null;
        }

        if (method.Name == "Clamp" && (arguments[1].Constant is null || arguments[2].Constant is null))
        {
            // Per-step bounds: Math.Clamp throws for every element when min > max; so does Step(), once, before the loop.
            string bounds = $"global::{owner}.Clamp({arguments[1].Code}, {arguments[1].Code}, {arguments[2].Code})";
            if (MayThrow(new Val { Type = arguments[1].Type, Code = bounds, ReadsStep = arguments[1].ReadsStep || arguments[2].ReadsStep, Source = source }, "Math.Clamp throws when min > max", invocation.Syntax) is null)
            {
                return null;
            }
        }

        bool elementTyped = arguments.All(a => a.Type == _t);
        bool wide = _t == SpecialType.System_Single && method.Parameters.All(p => p.Type.SpecialType == SpecialType.System_Double) && arguments.All(CanWiden);
        if (!elementTyped && !wide && method.Name is "Sqrt" or "Abs" or "Max" or "Min" or "Sign" or "Clamp" or "FusedMultiplyAdd")
        {
            // Math.Sqrt(float) converts to double first: say which overload computes in T.
            MixedPrecision(invocation.Syntax, Foreign(arguments.First(a => a.Type != _t).Type, _t));
            return null;
        }

        var e = new List<Expr>();
        foreach (Val argument in arguments)
        {
            Expr? element = wide ? Wide(argument, invocation.Syntax) : ToElement(argument, invocation.Syntax);
            if (element is null)
            {
                return null;
            }

            e.Add(element);
        }

        Expr? result = (method.Name, e.Count) switch
        {
            ("Sqrt", 1) => Expr.Sqrt(e[0]),
            ("Abs", 1) => Expr.Abs(e[0]),
            ("Max", 2) => Expr.Max(e[0], e[1]),
            ("Min", 2) => Expr.Min(e[0], e[1]),
            ("Sign", 1) => new Expr(ExprKind.IntegerSign, Left: e[0]),

            // Math.Clamp's own order of tests: value < min ? min : value > max ? max : value.
            ("Clamp", 3) => Expr.Select(Expr.Less(e[0], e[1]), e[1], Expr.Select(Expr.Greater(e[0], e[2]), e[2], e[0])),
            ("FusedMultiplyAdd", 3) => new Expr(ExprKind.FusedMultiplyAdd, Left: e[0], Right: e[1], Condition: e[2]),
            _ => null,
        };
        if (result is null)
        {
            Report(Descriptors.UpdateRuleNoVectorForm, invocation.Syntax, $"{owner}.{method.Name}");
            return null;
        }

        if (method.Name == "Clamp" && arguments[1].Constant is { } min && arguments[2].Constant is { } max
            && System.Convert.ToDouble(min, CultureInfo.InvariantCulture) > System.Convert.ToDouble(max, CultureInfo.InvariantCulture))
        {
            Unsupported(invocation.Syntax, "Clamp with min > max", "Math.Clamp throws for these bounds on every element");
            return null;
        }

        return new Val { Type = method.Name == "Sign" ? SpecialType.System_Int32 : wide ? SpecialType.System_Double : _t, Element = result, Source = source, IsSign = method.Name == "Sign", Wide = wide };
    }

    /// <summary>
    /// Why a System.Math or System.MathF function can throw for some per-step arguments, or null: Clamp (min &gt; max),
    /// Sign (NaN), Round (its digits), Abs (int.MinValue), DivRem (a zero divisor).
    /// </summary>
    private static string? Throws(IMethodSymbol method, List<Val> arguments) => method.Name switch
    {
        "Clamp" when !(Number(arguments[1]) <= Number(arguments[2]) || double.IsNaN(Number(arguments[1]) + Number(arguments[2]))) => $"{method.ContainingType.Name}.Clamp throws when min > max",
        "Sign" when !IsInteger(arguments[0].Type) && !(arguments[0].Constant is not null && !double.IsNaN(Number(arguments[0]))) => $"{method.ContainingType.Name}.Sign throws for NaN",
        "Round" when method.Parameters.Length >= 2 && method.Parameters[1].Type.SpecialType == SpecialType.System_Int32 => $"{method.ContainingType.Name}.Round throws for digits outside 0 to 15 (6 for float)",
        "Abs" when arguments[0].Constant is null && IsInteger(arguments[0].Type) => $"{method.ContainingType.Name}.Abs throws for MinValue",
        "DivRem" => $"{method.ContainingType.Name}.DivRem throws for a zero divisor",
        _ => null,
    };

    /// <summary>
    /// <c>T.IsNaN(x)</c>, <c>T.IsFinite(x)</c>, <c>T.IsInfinity(x)</c> as the comparisons they are equivalent to:
    /// x ≠ x, |x| ≤ MaxValue and |x| = ∞.
    /// </summary>
    private Val? Classify(IInvocationOperation invocation, string name)
    {
        Val? x = Value(invocation.Arguments[0].Value);
        if (x is null)
        {
            return null;
        }

        string owner = x.Type == SpecialType.System_Single ? "float" : "double";
        if (x.IsUniform)
        {
            return Uniform(SpecialType.System_Boolean, $"{owner}.{name}({x.Code})", x.ReadsStep, Source(invocation.Syntax));
        }

        Expr value = x.Element!;
        double max = x.Type == SpecialType.System_Single ? float.MaxValue : double.MaxValue;
        Expr? Limit(double number, string text) => x.Wide ? Wide(Constant(x.Type, number, text), invocation.Syntax) : ToElement(Constant(x.Type, number, text), invocation.Syntax);
        Expr test = name switch
        {
            "IsNaN" => new Expr(ExprKind.NotEqual, Left: value, Right: value),
            "IsFinite" => new Expr(ExprKind.LessOrEqual, Left: Expr.Abs(value), Right: Limit(max, owner + ".MaxValue")!),
            _ => Expr.Equal(Expr.Abs(value), Limit(double.PositiveInfinity, owner + ".PositiveInfinity")!),
        };
        return new Val { Type = SpecialType.System_Boolean, Element = test, Source = Source(invocation.Syntax), Wide = x.Wide };
    }

    private Val? Uniform(SpecialType type, string code, bool readsStep, string source)
    {
        if (code.Length > MaxCodeLength)
        {
            Unsupported(null, "a per-step expression this long", "assign fewer repeated per-step locals");
            return null;
        }

        return new Val { Type = type, Code = code, ReadsStep = readsStep, Source = source };
    }

    // ---- Element expressions ----------------------------------------------------------------------------------------

    /// <summary>A value of the element type as a kernel expression: constants inline, per-step values hoisted.</summary>
    private Expr? ToElement(Val value, SyntaxNode? syntax) => ToElement(value, syntax?.GetLocation());

    private Expr? ToElement(Val value, Location? location)
    {
        if (!value.IsUniform)
        {
            return value.Element;
        }

        if (value.Type != _t)
        {
            if (value.Constant is not null && IsNumeric(value.Type))
            {
                // An int or long constant where C# converts it to T without a cast node (a compound assignment's operand).
                value = Constant(_t, value.Constant, value.Source);
            }
            else
            {
                Report(Descriptors.UpdateRuleMixedPrecision, LocationInfo.From(location), MixedPrecisionArguments(value.Source, value.Type));
                return null;
            }
        }

        if (value.Constant is not null)
        {
            double number = System.Convert.ToDouble(value.Constant, CultureInfo.InvariantCulture);
            long bits = BitConverter.DoubleToInt64Bits(number);
            if (!_constants.TryGetValue(bits, out Expr? constant))
            {
                constant = Expr.Constant("k" + _constants.Count, Atom(value.Source), number);
                _constants[bits] = constant;
            }

            return constant;
        }

        return Hoist(value, ExprKind.Code);
    }

    private Expr? ToCondition(Val value, SyntaxNode syntax)
    {
        if (value.Type != SpecialType.System_Boolean)
        {
            return null;
        }

        return value.IsUniform ? Hoist(value, ExprKind.CodeCondition) : value.Element;
    }

    /// <summary>A per-step value computed once in Step() (its C# as written) and passed to the kernel.</summary>
    private Expr Hoist(Val value, ExprKind kind)
    {
        if (!_hoisted.TryGetValue(value.Code, out Expr? reference))
        {
            string name = "h" + _hoisted.Count;
            var code = new Expr(kind, value.Code, Atom(value.Source), value.ReadsStep ? 1 : 0);
            _scalars.Add(new StepScalar(name, Atom(value.Source), code, ToKernel: true));
            reference = Expr.Scalar(name, Atom(value.Source));
            _hoisted[value.Code] = reference;
        }

        return reference;
    }

    // ---- Helpers ----------------------------------------------------------------------------------------------------

    /// <summary>The type C# computes a binary operation in (double over float over long over int).</summary>
    private static SpecialType Promote(SpecialType a, SpecialType b) =>
        a == SpecialType.System_Double || b == SpecialType.System_Double ? SpecialType.System_Double
        : a == SpecialType.System_Single || b == SpecialType.System_Single ? SpecialType.System_Single
        : a == SpecialType.System_Int64 || b == SpecialType.System_Int64 ? SpecialType.System_Int64
        : a == SpecialType.System_Boolean ? a
        : SpecialType.System_Int32;

    private static SpecialType TypeOf(ITypeSymbol? type) => type?.SpecialType ?? SpecialType.None;

    private static bool IsNumeric(SpecialType type) =>
        type is SpecialType.System_Single or SpecialType.System_Double or SpecialType.System_Int32 or SpecialType.System_Int64;

    private static string Keyword(SpecialType type) => type switch
    {
        SpecialType.System_Single => "float",
        SpecialType.System_Double => "double",
        SpecialType.System_Int32 => "int",
        SpecialType.System_Int64 => "long",
        SpecialType.System_Boolean => "bool",
        _ => type.ToString(),
    };

    /// <summary>The version of a variable in the math of the doc comment: m₁, m₂, …</summary>
    private static string Subscript(int version) =>
        string.Concat(version.ToString(CultureInfo.InvariantCulture).Select(d => (char)('₀' + (d - '0'))));

    /// <summary>A symbol that reads as one operand in the math: source text with operators is parenthesized.</summary>
    private static string Atom(string text)
    {
        Match name = Regex.Match(text, @"^[\w.@]+");
        if (name.Length == text.Length)
        {
            return text;
        }

        // A call is an atom when the parenthesis after its name is the one that closes the text.
        if (name.Success && text[name.Length] == '(' && text.EndsWith(")", StringComparison.Ordinal))
        {
            int depth = 0;
            for (int i = name.Length; i < text.Length; i++)
            {
                depth += text[i] == '(' ? 1 : text[i] == ')' ? -1 : 0;
                if (depth == 0)
                {
                    return i == text.Length - 1 ? text : "(" + text + ")";
                }
            }
        }

        return "(" + text + ")";
    }

    private static string Source(SyntaxNode? syntax) => syntax is null ? "" : Normalize(syntax.ToString());

    private static string Normalize(string text) => Regex.Replace(text, @"\s+", " ").Trim();

    /// <summary>Of two types that meet in an element value, the one that is neither the rule's nor its double island.</summary>
    private SpecialType Foreign(SpecialType a, SpecialType b) =>
        IsInteger(a) ? a : IsInteger(b) ? b : a != _t ? a : b;

    /// <summary>OPT0045 for element values computed as <paramref name="foreign"/>, with the fix that fits that type.</summary>
    private void MixedPrecision(SyntaxNode syntax, SpecialType foreign) =>
        Report(Descriptors.UpdateRuleMixedPrecision, syntax, MixedPrecisionArguments(Source(syntax), foreign));

    private string[] MixedPrecisionArguments(string source, SpecialType foreign)
    {
        string math = _t == SpecialType.System_Single ? "MathF" : "Math";
        string hint = IsInteger(foreign) ? $"convert integer values to {T} before computing with them, e.g. ({T}){math}.Sign(g) * 2"
            : foreign == SpecialType.System_Single ? "keep element values in double: call Math rather than MathF, and drop the (float) casts"
            : $"compute element values in {T}" + (_t == SpecialType.System_Single ? " (or in double, converting float values with (double))" : "");
        return new[] { source, $"computes element values as {Keyword(foreign)}", T, hint };
    }

    private void Unsupported(SyntaxNode? syntax, string what, string hint)
    {
        Report(Descriptors.UpdateRuleUnsupported, syntax, what, hint);
    }

    private void Report(DiagnosticDescriptor descriptor, SyntaxNode? syntax, params string[] arguments) =>
        Report(descriptor, LocationInfo.From(syntax), arguments);

    /// <summary>What an unsupported operation is, in words.</summary>
    private static string Describe(IOperation operation) => operation switch
    {
        ILoopOperation => "a loop",
        ISwitchOperation or ISwitchExpressionOperation => "a switch",
        ITryOperation => "try/catch/finally",
        IThrowOperation => "throw",
        IReturnOperation => "a return before the end",
        IBranchOperation => "a jump (break, continue, goto)",
        ILocalFunctionOperation or IAnonymousFunctionOperation => "a local function or lambda",
        IUsingOperation or IUsingDeclarationOperation => "using",
        ILockOperation => "lock",
        IArrayElementReferenceOperation or IArrayCreationOperation => "an array",
        IObjectCreationOperation => "creating an object",
        IPropertyReferenceOperation property => $"the property '{property.Property.Name}'",
        IFieldReferenceOperation field => $"the field '{field.Field.Name}'",
        ISimpleAssignmentOperation or ICompoundAssignmentOperation => "an assignment inside an expression",
        IInvocationOperation invocation => $"calling '{invocation.TargetMethod.Name}'",
        IDeclarationExpressionOperation => "an out variable",
        _ => operation.Syntax is null ? operation.Kind.ToString() : $"'{Normalize(operation.Syntax.ToString())}'",
    };
}
