using System;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Optim.Generators.Model;

namespace Optim.Generators.Parsing.UpdateRules;

internal sealed partial class UpdateRuleTranslator
{
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
}
