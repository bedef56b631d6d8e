using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Optim.Generators.Common;
using Optim.Generators.Diagnostics;
using Optim.Generators.Emit;
using Optim.Generators.Model;

namespace Optim.Generators.Parsing;

/// <summary>
/// Reads <c>[Parameter(..., Init = …, Low = …, …)]</c> into an <see cref="InitSpec"/>: which Optim.Initialization
/// scheme, with which arguments, validated against the scheme and the declared shape (OPT0050), and which given
/// arguments the scheme does not use (OPT0051).
/// </summary>
internal static class InitParser
{
    /// <summary>Optim.Initialization's members in value order.</summary>
    private static readonly string[] Schemes =
    {
        "Zeros", "Ones", "Uniform", "Normal", "XavierUniform", "XavierNormal", "KaimingUniform", "KaimingNormal", "LinearDefault",
    };

    /// <summary>The ParameterAttribute properties that configure a scheme, with their defaults.</summary>
    private static readonly (string Name, double Default)[] Settings =
    {
        ("Low", 0), ("High", 1), ("Mean", 0), ("Std", 1), ("Gain", 1), ("NegativeSlope", 0), ("FanIn", 0),
    };

    /// <summary>The settings each scheme reads.</summary>
    private static string[] Uses(string scheme) => scheme switch
    {
        "Uniform" => new[] { "Low", "High" },
        "Normal" => new[] { "Mean", "Std" },
        "XavierUniform" or "XavierNormal" => new[] { "Gain" },
        "KaimingUniform" or "KaimingNormal" => new[] { "NegativeSlope" },
        "LinearDefault" => new[] { "FanIn" },
        _ => Array.Empty<string>(),
    };

    /// <summary>The parameter's initialisation (null for zeros), or ok = false after reporting an error.</summary>
    public static (InitSpec? Spec, bool Ok) Read(string name, AttributeData parameter, ImmutableArray<int> shape, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        var syntax = parameter.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        LocationInfo? attributeLocation = LocationInfo.From(syntax);
        LocationInfo? At(string argument) => LocationInfo.OfNamedArgument(syntax, argument, attributeLocation);

        var given = new Dictionary<string, double>();
        int schemeValue = 0;
        foreach (KeyValuePair<string, TypedConstant> named in parameter.NamedArguments)
        {
            switch (named.Value.Value)
            {
                case int value when named.Key == "Init":
                    schemeValue = value;
                    break;
                case int value:
                    given[named.Key] = value;
                    break;
                case double value:
                    given[named.Key] = value;
                    break;
            }
        }

        bool hasInit = parameter.NamedArguments.Any(n => n.Key == "Init");
        if (schemeValue < 0 || schemeValue >= Schemes.Length)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InitInvalid, At("Init"), "Init", $"(Initialization){Format(schemeValue)}", name, "it is not a member of Optim.Initialization"));
            return (null, false);
        }

        string scheme = Schemes[schemeValue];
        string[] uses = Uses(scheme);
        foreach (string argument in given.Keys.Where(k => !uses.Contains(k)).OrderBy(k => Array.FindIndex(Settings, s => s.Name == k)))
        {
            string usesText = uses.Length == 0 ? "no arguments" : string.Join(" and ", uses);
            string note = hasInit ? $"Init = {scheme} uses {usesText}" : $"the parameter has no Init, so it starts at zero; set Init = {SchemeUsing(argument)} to use {argument}";
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InitArgumentIgnored, At(argument), argument, name, note));
        }

        double Value(string setting) => given.TryGetValue(setting, out double v) ? v : Settings.First(s => s.Name == setting).Default;
        bool ok = true;
        void Invalid(string argument, string reason)
        {
            string value = argument == "Init" ? scheme : Format(Value(argument));
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InitInvalid, At(argument), argument, value, name, reason));
            ok = false;
        }

        void Finite(params string[] arguments)
        {
            foreach (string argument in arguments.Where(a => !IsFinite(Value(a))))
            {
                Invalid(argument, "it must be a finite number");
            }
        }

        string shapeText = "(" + string.Join(", ", shape) + ")";
        switch (scheme)
        {
            case "Zeros":
                return (null, ok);
            case "Ones":
                return (new InitSpec(scheme, EquatableArray<string>.Empty, false, "1"), ok);
            case "Uniform":
                Finite("Low", "High");
                if (ok && Value("Low") > Value("High"))
                {
                    Invalid("Low", $"the lower bound must not exceed High = {Format(Value("High"))}");
                }
                else if (ok && !IsFinite(Value("High") - Value("Low")))
                {
                    Invalid("High", "High − Low overflows");
                }

                return (new InitSpec(scheme, Literal(Value("Low"), Value("High")), false, $"U({Format(Value("Low"))}, {Format(Value("High"))})"), ok);
            case "Normal":
                Finite("Mean", "Std");
                if (ok && Value("Std") < 0)
                {
                    Invalid("Std", "a standard deviation must be 0 or more");
                }

                return (new InitSpec(scheme, Literal(Value("Mean"), Value("Std")), false, $"N({Format(Value("Mean"))}, {Format(Value("Std"))}²)"), ok);
            case "XavierUniform" or "XavierNormal":
                Finite("Gain");
                if (ok && Value("Gain") < 0)
                {
                    Invalid("Gain", "a gain must be 0 or more");
                }

                NeedsMatrix();
                return (new InitSpec(scheme, Literal(Value("Gain")), true, scheme == "XavierUniform"
                    ? $"U(−b, b), b = {Format(Value("Gain"))}·√(6 / (fan_in + fan_out))"
                    : $"N(0, σ²), σ = {Format(Value("Gain"))}·√(2 / (fan_in + fan_out))"), ok);
            case "KaimingUniform" or "KaimingNormal":
                Finite("NegativeSlope");
                NeedsMatrix();
                string a = Format(Value("NegativeSlope"));
                return (new InitSpec(scheme, Literal(Value("NegativeSlope")), true, scheme == "KaimingUniform"
                    ? $"U(−b, b), b = √(2 / (1 + {a}²))·√(3 / fan_in)"
                    : $"N(0, σ²), σ = √(2 / (1 + {a}²)) / √fan_in"), ok);
            default: // LinearDefault
                int fanIn = (int)Value("FanIn");
                if (fanIn < 0)
                {
                    Invalid("FanIn", "a fan-in must be 1 or more (0 computes it from the shape)");
                }
                else if (fanIn == 0 && shape.Length < 2)
                {
                    Invalid("Init", $"a parameter of shape {shapeText} has no fan_in of its own; give its layer's input size, e.g. FanIn = 10 for the bias of a layer with 10 inputs");
                }

                string fan = fanIn > 0 ? Format(fanIn) : "fan_in";
                var arguments = fanIn > 0 ? EquatableArray.Of("fanIn: " + Format(fanIn)) : EquatableArray<string>.Empty;
                return (new InitSpec(scheme, arguments, true, $"U(−1/√{fan}, 1/√{fan})"), ok);
        }

        void NeedsMatrix()
        {
            if (shape.Length < 2)
            {
                Invalid("Init", $"fan_in and fan_out come from a shape of 2 or more dimensions, and '{name}' has shape {shapeText} (PyTorch raises too); use Uniform or Normal with explicit bounds");
            }
        }
    }

    /// <summary>A scheme that reads <paramref name="argument"/>, for the hint of an argument given without Init.</summary>
    private static string SchemeUsing(string argument) => Schemes.First(s => Uses(s).Contains(argument));

    private static bool IsFinite(double value) => !double.IsNaN(value) && !double.IsInfinity(value);

    private static EquatableArray<string> Literal(params double[] values) => new(values.Select(Literals.Double).ToImmutableArray());

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
