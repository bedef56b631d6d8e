using System;
using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Optim.Generators.Diagnostics;
using Optim.Generators.Emit;
using Optim.Generators.Model;

namespace Optim.Generators.Parsing.UpdateRules;

/// <summary>Expressions: constants, reads, conversions, operators, ?: and the per-step values that may throw.</summary>
internal sealed partial class UpdateRuleTranslator
{
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

    private Val? Uniform(SpecialType type, string code, bool readsStep, string source)
    {
        if (code.Length > MaxCodeLength)
        {
            Unsupported(null, "a per-step expression this long", "assign fewer repeated per-step locals");
            return null;
        }

        return new Val { Type = type, Code = code, ReadsStep = readsStep, Source = source };
    }
}
