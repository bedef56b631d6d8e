using System.Collections.Generic;
using Optim.Generators.Model;

namespace Optim.Generators.Emit;

/// <summary>Where an expression is printed.</summary>
internal enum ExprMode
{
    /// <summary>PyTorch-style math for comments.</summary>
    Math,

    /// <summary>Per-step scalar C#, in double precision.</summary>
    StepDouble,

    /// <summary>Element-wise C# on one element (the scalar loop).</summary>
    Element,

    /// <summary>Element-wise C# on a vector of elements.</summary>
    Vector,
}

/// <summary>
/// Prints an <see cref="Expr"/> tree. Vector and scalar code come from the same tree, printed with the same
/// parenthesization, so every element sees the same IEEE operations in the same order on every path.
/// </summary>
internal sealed class ExprWriter
{
    private readonly ExprMode _mode;
    private readonly ElementType _element;
    private readonly string _vector;
    private readonly IReadOnlyDictionary<string, StepScalar> _intermediates;
    private readonly IReadOnlyDictionary<string, string> _renames;

    /// <summary>Inside a double island of a float rule: the writer of the float code around it.</summary>
    private readonly ExprWriter? _outer;

    /// <summary>Which half of each vector an island writer computes (vector mode): lower or upper.</summary>
    private readonly bool _upper;

    /// <param name="mode">What to print.</param>
    /// <param name="element">The element type of element-wise code.</param>
    /// <param name="vector">Vector type name ("Vector256") in vector mode.</param>
    /// <param name="intermediates">Math mode: scalars printed by their formula instead of their symbol.</param>
    /// <param name="renames">C# modes: scalars printed as another identifier (a field, say).</param>
    public ExprWriter(
        ExprMode mode,
        ElementType element,
        string vector = "",
        IReadOnlyDictionary<string, StepScalar>? intermediates = null,
        IReadOnlyDictionary<string, string>? renames = null)
    {
        _mode = mode;
        _element = element;
        _vector = vector;
        _intermediates = intermediates ?? new Dictionary<string, StepScalar>();
        _renames = renames ?? new Dictionary<string, string>();
    }

    /// <summary>A writer for a double island inside <paramref name="outer"/>'s float code (one half of a vector, or a scalar).</summary>
    private ExprWriter(ExprWriter outer, bool upper)
        : this(outer._mode, ElementType.Double, outer._vector, outer._intermediates, outer._renames)
    {
        _outer = outer;
        _upper = upper;
    }

    /// <summary>Suffix of the broadcast copy of a constant or scalar inside a vector loop.</summary>
    public const string VectorSuffix = "Vec";

    public string Write(Expr e) => Write(e, out _);

    /// <summary>The expression, parenthesized unless it is an atom or a call (for use after a cast).</summary>
    public string WriteAtom(Expr e)
    {
        string text = Write(e, out int precedence);
        return precedence < Atom || text.StartsWith("-", System.StringComparison.Ordinal) ? "(" + text + ")" : text;
    }

    private static int Precedence(ExprKind kind) => kind switch
    {
        ExprKind.Select or ExprKind.FirstStepSelect => 0,
        ExprKind.Or => 1,
        ExprKind.And => 2,
        ExprKind.GreaterThan or ExprKind.LessThan or ExprKind.Equal or ExprKind.GreaterOrEqual or ExprKind.LessOrEqual or ExprKind.NotEqual => 3,
        ExprKind.Add or ExprKind.Subtract => 4,
        ExprKind.Multiply or ExprKind.Divide => 5,
        ExprKind.Negate or ExprKind.Not => 6,
        _ => Atom,
    };

    /// <summary>Precedence of atoms and calls, which never need parentheses.</summary>
    private const int Atom = 7;

    private string Write(Expr e, out int precedence)
    {
        precedence = Precedence(e.Kind);
        switch (e.Kind)
        {
            case ExprKind.Constant:
                return _mode switch
                {
                    ExprMode.Math => e.Symbol,
                    ExprMode.StepDouble => Literals.Double(e.Value),
                    ExprMode.Vector => e.Name + VectorSuffix,
                    _ => e.Name,
                };
            case ExprKind.Variable:
                return _mode == ExprMode.Math ? e.Symbol : e.Name;
            case ExprKind.Scalar:
                if (_mode == ExprMode.Math && _intermediates.TryGetValue(e.Name, out StepScalar? inner))
                {
                    // Intermediates are shown by their formula: "γ / (1 − β₁ᵗ)" reads better than a name.
                    string body = Write(inner.Value, out int innerPrecedence);
                    return innerPrecedence < Atom ? "(" + body + ")" : body;
                }

                return _mode switch
                {
                    ExprMode.Math => e.Symbol,

                    // A double per-step value in an island is broadcast where it is used (the loop's broadcasts are float).
                    ExprMode.Vector when _outer is not null => $"{_vector}.Create({e.Name})",
                    ExprMode.Vector => e.Name + VectorSuffix,
                    _ => _renames.TryGetValue(e.Name, out string? renamed) ? renamed : e.Name,
                };
            case ExprKind.LearningRate:
            case ExprKind.StepCount:
                return _mode == ExprMode.Math ? e.Symbol : e.Name;
            case ExprKind.Negate:
            {
                string operand = Operand(e.Left!, Precedence(ExprKind.Negate), parenthesizeEqual: true);
                return (_mode == ExprMode.Math ? "−" : "-") + operand;
            }

            case ExprKind.Add:
            case ExprKind.Subtract:
            case ExprKind.Multiply:
            case ExprKind.Divide:
                return Binary(e, precedence);
            case ExprKind.SquareRoot:
                if (_mode == ExprMode.Math)
                {
                    return "√" + Operand(e.Left!, Atom, parenthesizeEqual: false);
                }

                return Call("Sqrt", e.Left!);
            case ExprKind.Maximum:
                return _mode == ExprMode.Math ? $"max({Write(e.Left!)}, {Write(e.Right!)})" : Call("Max", e.Left!, e.Right!);
            case ExprKind.Minimum:
                return _mode == ExprMode.Math ? $"min({Write(e.Left!)}, {Write(e.Right!)})" : Call("Min", e.Left!, e.Right!);
            case ExprKind.Absolute:
                return _mode == ExprMode.Math ? $"|{Write(e.Left!)}|" : Call("Abs", e.Left!);
            case ExprKind.Sign:
                return _mode == ExprMode.Math ? $"sign({Write(e.Left!)})" : $"global::Optim.KernelMath.Sign({Write(e.Left!)})";
            case ExprKind.IntegerSign:
                return _mode == ExprMode.Math ? $"sign({Write(e.Left!)})" : $"global::Optim.CustomRuleMath.Sign({Write(e.Left!)})";
            case ExprKind.FusedMultiplyAdd:
                return _mode == ExprMode.Math
                    ? $"fma({Write(e.Left!)}, {Write(e.Right!)}, {Write(e.Condition!)})"
                    : $"global::Optim.CustomRuleMath.FusedMultiplyAdd({Write(e.Left!)}, {Write(e.Right!)}, {Write(e.Condition!)})";
            case ExprKind.Narrow:
                return WriteNarrow(e);
            case ExprKind.Widen:
                return WriteWiden(e);
            case ExprKind.WideConstant:
                return _mode switch
                {
                    ExprMode.Math => e.Symbol,
                    ExprMode.Vector => $"{_vector}.Create({Literals.Double(e.Value)})",
                    _ => Literals.Double(e.Value),
                };
            case ExprKind.WideCode:
            case ExprKind.Code:
            case ExprKind.CodeCondition:
                // Verbatim per-step C#, fully parenthesized by the custom-rule parser.
                return _mode == ExprMode.Math ? e.Symbol : e.Name;
            case ExprKind.Select:
                return WriteSelect(e);
            case ExprKind.GreaterThan:
            case ExprKind.LessThan:
            case ExprKind.Equal:
            case ExprKind.GreaterOrEqual:
            case ExprKind.LessOrEqual:
            case ExprKind.NotEqual:
            case ExprKind.And:
            case ExprKind.Or:
            case ExprKind.Not:
                return WriteCondition(e, ref precedence);
            case ExprKind.Power:
                if (_mode == ExprMode.Math)
                {
                    string exponent = e.Right!.Kind == ExprKind.StepCount ? "ᵗ" : "^" + Operand(e.Right!, Atom, parenthesizeEqual: false);
                    return Operand(e.Left!, Atom, parenthesizeEqual: false) + exponent;
                }

                return $"global::System.Math.Pow({Write(e.Left!)}, {Write(e.Right!)})";
            case ExprKind.FirstStepSelect:
                precedence = 0;
                return _mode == ExprMode.Math
                    ? $"{Write(e.Left!)} if t = 1, else {Write(e.Right!)}"
                    : $"t == 1 ? {Write(e.Left!)} : {Write(e.Right!)}";
            default:
                return "?";
        }
    }

    /// <summary>
    /// <c>(float)E</c> of a double island E: in vector code the island runs on each half of the vectors, widened, and the
    /// two double results narrow back into one float vector; in scalar code it is the cast.
    /// </summary>
    private string WriteNarrow(Expr e) => _mode switch
    {
        ExprMode.Math => Write(e.Left!),
        ExprMode.Vector => $"{_vector}.Narrow({new ExprWriter(this, upper: false).Write(e.Left!)}, {new ExprWriter(this, upper: true).Write(e.Left!)})",
        _ => $"(float)({new ExprWriter(this, upper: false).Write(e.Left!)})",
    };

    /// <summary><c>(double)x</c> of a float value inside an island: the vector half this writer computes, widened.</summary>
    private string WriteWiden(Expr e)
    {
        ExprWriter floats = _outer ?? this;
        return _mode switch
        {
            ExprMode.Math => Write(e.Left!),
            ExprMode.Vector => $"{_vector}.Widen{(_upper ? "Upper" : "Lower")}({floats.Write(e.Left!)})",
            _ => $"(double){floats.WriteAtom(e.Left!)}",
        };
    }

    /// <summary>
    /// A select. Element-wise conditions become a vector mask and <c>ConditionalSelect</c> (the scalar loop uses the
    /// same comparisons with <c>?:</c>, so every lane picks the same side); a per-step condition is one branch.
    /// </summary>
    private string WriteSelect(Expr e)
    {
        Expr condition = e.Condition!;
        if (_mode == ExprMode.Vector && condition.IsElementWise)
        {
            return $"{_vector}.ConditionalSelect({Write(condition)}, {Write(e.Left!)}, {Write(e.Right!)})";
        }

        // A per-step condition inside a vector loop reads the scalars themselves, not their broadcast vectors.
        string test = _mode == ExprMode.Vector ? new ExprWriter(ExprMode.Element, _element).Write(condition) : Write(condition);
        return $"{test} ? {Operand(e.Left!, 1, parenthesizeEqual: false)} : {Operand(e.Right!, 1, parenthesizeEqual: false)}";
    }

    /// <summary>A comparison or a combination of them: a bool in scalar code, a mask of all-ones lanes in vector code.</summary>
    private string WriteCondition(Expr e, ref int precedence)
    {
        if (_mode == ExprMode.Vector && e.IsElementWise)
        {
            return e.Kind switch
            {
                ExprKind.GreaterThan => $"{_vector}.GreaterThan({Write(e.Left!)}, {Write(e.Right!)})",
                ExprKind.LessThan => $"{_vector}.LessThan({Write(e.Left!)}, {Write(e.Right!)})",
                ExprKind.Equal => $"{_vector}.Equals({Write(e.Left!)}, {Write(e.Right!)})",
                ExprKind.GreaterOrEqual => $"{_vector}.GreaterThanOrEqual({Write(e.Left!)}, {Write(e.Right!)})",
                ExprKind.LessOrEqual => $"{_vector}.LessThanOrEqual({Write(e.Left!)}, {Write(e.Right!)})",
                ExprKind.NotEqual => $"~{_vector}.Equals({Write(e.Left!)}, {Write(e.Right!)})",
                ExprKind.Not => $"~{Mask(e.Left!)}",
                ExprKind.And => $"({Mask(e.Left!)} & {Mask(e.Right!)})",
                _ => $"({Mask(e.Left!)} | {Mask(e.Right!)})",
            };
        }

        if (_mode == ExprMode.Vector)
        {
            // A per-step condition inside a vector loop: a plain bool on the scalars themselves.
            return new ExprWriter(ExprMode.Element, _element).Write(e);
        }

        if (e.Kind == ExprKind.Not)
        {
            return "!" + Operand(e.Left!, Precedence(ExprKind.Not), parenthesizeEqual: true);
        }

        if (_mode == ExprMode.Element && e.Kind is not (ExprKind.And or ExprKind.Or) && e.Left == e.Right)
        {
            // A value compared with itself (x != x tests for NaN): the same answer, without the compiler's CS1718 warning.
            string nan = $"{_element.Keyword()}.IsNaN({Write(e.Left!)})";
            precedence = e.Kind is ExprKind.NotEqual or ExprKind.GreaterThan or ExprKind.LessThan ? Atom : Precedence(ExprKind.Not);
            return e.Kind switch
            {
                ExprKind.NotEqual => nan,
                ExprKind.GreaterThan or ExprKind.LessThan => "false",
                _ => "!" + nan,
            };
        }

        string op = (e.Kind, _mode == ExprMode.Math) switch
        {
            (ExprKind.GreaterThan, _) => " > ",
            (ExprKind.LessThan, _) => " < ",
            (ExprKind.GreaterOrEqual, true) => " ≥ ",
            (ExprKind.GreaterOrEqual, false) => " >= ",
            (ExprKind.LessOrEqual, true) => " ≤ ",
            (ExprKind.LessOrEqual, false) => " <= ",
            (ExprKind.NotEqual, true) => " ≠ ",
            (ExprKind.NotEqual, false) => " != ",
            (ExprKind.Equal, true) => " = ",
            (ExprKind.Equal, false) => " == ",
            (ExprKind.And, true) => " and ",
            (ExprKind.And, false) => " && ",
            (_, true) => " or ",
            _ => " || ",
        };

        return Operand(e.Left!, precedence, parenthesizeEqual: false) + op + Operand(e.Right!, precedence, parenthesizeEqual: true);
    }

    /// <summary>
    /// An operand of an element-wise And/Or/Not in a vector loop: a mask; a per-step condition there (a bool) becomes
    /// all-ones or all-zeros lanes.
    /// </summary>
    private string Mask(Expr condition) =>
        condition.IsElementWise
            ? Write(condition)
            : $"({new ExprWriter(ExprMode.Element, _element).Write(condition)} ? {_vector}<{_element.Keyword()}>.AllBitsSet : {_vector}<{_element.Keyword()}>.Zero)";

    private string Binary(Expr e, int precedence)
    {
        string op = (e.Kind, _mode == ExprMode.Math) switch
        {
            (ExprKind.Add, _) => " + ",
            (ExprKind.Subtract, true) => " − ",
            (ExprKind.Subtract, false) => " - ",
            (ExprKind.Multiply, true) => "·",
            (ExprKind.Multiply, false) => " * ",
            _ => " / ",
        };

        // Floating-point operations do not associate: a right operand of equal precedence keeps its parentheses.
        return Operand(e.Left!, precedence, parenthesizeEqual: false) + op + Operand(e.Right!, precedence, parenthesizeEqual: true);
    }

    private string Operand(Expr e, int parentPrecedence, bool parenthesizeEqual)
    {
        string text = Write(e, out int precedence);
        bool wrap = precedence < parentPrecedence || (parenthesizeEqual && precedence == parentPrecedence && precedence < Atom);
        return wrap ? "(" + text + ")" : text;
    }

    private string Call(string function, params Expr[] args)
    {
        string owner = _mode switch
        {
            ExprMode.Vector => _vector,
            ExprMode.Element when _element == ElementType.Float => "MathF",
            ExprMode.Element => "Math",
            _ => "global::System.Math",
        };

        var parts = new string[args.Length];
        for (int i = 0; i < args.Length; i++)
        {
            parts[i] = Write(args[i]);
        }

        return $"{owner}.{function}({string.Join(", ", parts)})";
    }
}
