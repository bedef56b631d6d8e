using System;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Optim.Generators.Diagnostics;
using Optim.Generators.Model;

namespace Optim.Generators.Parsing.UpdateRules;

/// <summary>Element values as kernel expressions: constants, hoisted per-step values and double islands.</summary>
internal sealed partial class UpdateRuleTranslator
{
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
}
