using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Optim.Generators.Diagnostics;
using Optim.Generators.Model;

namespace Optim.Generators.Parsing.UpdateRules;

/// <summary>Calls: System.Math and System.MathF functions, and float/double IsNaN, IsFinite, IsInfinity.</summary>
internal sealed partial class UpdateRuleTranslator
{
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
}
