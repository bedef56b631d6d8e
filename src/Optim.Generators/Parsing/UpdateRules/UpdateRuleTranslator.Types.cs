using System;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace Optim.Generators.Parsing.UpdateRules;

/// <summary>C#'s numeric types as the translator meets them, and the source text of the math comments.</summary>
internal sealed partial class UpdateRuleTranslator
{
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

    private static bool IsInteger(SpecialType type) => type is SpecialType.System_Int32 or SpecialType.System_Int64;

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
}
