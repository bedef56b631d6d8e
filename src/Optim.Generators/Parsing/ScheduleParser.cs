using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Optim.Generators.Common;
using Optim.Generators.Diagnostics;
using Optim.Generators.Model;
using Optim.Generators.Model.Schedules;

namespace Optim.Generators.Parsing;

/// <summary>Reads a model's [LrSchedule] into a <see cref="ScheduleSpec"/>, reporting invalid or ignored arguments.</summary>
internal static class ScheduleParser
{
    private const string AttributeName = "Optim.LrScheduleAttribute";

    /// <summary>The schedule, or null when the class has none or it is invalid (after reporting why).</summary>
    public static ScheduleSpec? Read(INamedTypeSymbol type, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        AttributeData? attribute = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == AttributeName);
        if (attribute is null || attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not int kind)
        {
            return null;
        }

        var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        LocationInfo? attributeLocation = LocationInfo.From(syntax);
        LocationInfo? ArgumentLocation(string name) => LocationInfo.OfNamedArgument(syntax, name, attributeLocation);
        bool ok = true;
        void Invalid(string argument, string text, string reason, LocationInfo? location)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.ScheduleArgumentInvalid, location, text, argument, reason));
            ok = false;
        }

        ScheduleDefinition? definition = ScheduleCatalog.Find(kind);
        if (definition is null)
        {
            Invalid("[LrSchedule]", $"ScheduleKind value {kind}", "use a member of Optim.ScheduleKind", LocationInfo.From(syntax?.ArgumentList?.Arguments.FirstOrDefault()) ?? attributeLocation);
            return null;
        }

        var values = new Dictionary<string, double>();
        int[] milestones = Array.Empty<int>();
        int warmupSteps = 0;
        double warmupStartFactor = 0.1;
        foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
        {
            string name = named.Key;
            if (name == "Milestones" && definition.UsesMilestones)
            {
                milestones = named.Value.Kind == TypedConstantKind.Array && !named.Value.IsNull
                    ? named.Value.Values.Select(v => v.Value is int i ? i : 0).ToArray()
                    : Array.Empty<int>();
                continue;
            }

            double? number = named.Value.Value switch
            {
                int i => i,
                double d => d,
                bool b => b ? 1 : 0,
                _ => null,
            };
            if (name == "WarmupSteps" && number is { } steps)
            {
                warmupSteps = (int)steps;
                if (steps < 0)
                {
                    Invalid(definition.Name, $"WarmupSteps = {steps.ToString(CultureInfo.InvariantCulture)}", "it must be 0 or greater", ArgumentLocation(name));
                }

                continue;
            }

            if (name == "WarmupStartFactor" && number is { } factor)
            {
                warmupStartFactor = factor;
                if (!(factor > 0 && factor <= 1))
                {
                    Invalid(definition.Name, $"WarmupStartFactor = {factor.ToString("R", CultureInfo.InvariantCulture)}", "it must be in (0, 1]", ArgumentLocation(name));
                }

                continue;
            }

            ScheduleArgument? argument = definition.Find(name);
            if (argument is null)
            {
                var uses = definition.Arguments.Select(a => a.Name).ToList();
                if (definition.UsesMilestones)
                {
                    uses.Add("Milestones");
                }

                uses.Add("WarmupSteps");
                uses.Add("WarmupStartFactor");
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.ScheduleArgumentIgnored, ArgumentLocation(name), name, definition.Name, string.Join(", ", uses)));
                continue;
            }

            if (number is null)
            {
                continue;
            }

            string? problem = argument.Check(number.Value);
            if (problem is null)
            {
                values[name] = number.Value;
            }
            else
            {
                Invalid(definition.Name, $"{name} = {number.Value.ToString("R", CultureInfo.InvariantCulture)}", problem, ArgumentLocation(name));
            }
        }

        foreach (ScheduleArgument argument in definition.Arguments.Where(a => !values.ContainsKey(a.Name)))
        {
            if (argument.Default is { } fallback)
            {
                values[argument.Name] = fallback;
            }
            else if (ok)
            {
                Invalid(definition.Name, $"[LrSchedule({definition.Name})] without {argument.Name}", $"{definition.Name} requires {argument.Name}", attributeLocation);
            }
        }

        if (definition.UsesMilestones && (milestones.Length == 0 || milestones.Where((m, i) => m < 1 || (i > 0 && m <= milestones[i - 1])).Any()))
        {
            Invalid(definition.Name, "Milestones", "it must list strictly increasing step counts, each 1 or greater", ArgumentLocation("Milestones"));
        }

        if (definition.Name == "CyclicLR" && values.TryGetValue("StepSizeDown", out double down) && down == 0)
        {
            values["StepSizeDown"] = values["StepSizeUp"];
        }

        if (definition.Name == "CyclicLR" && ok && values["MaxLr"] < values["BaseLr"])
        {
            Invalid(definition.Name, "MaxLr", "it must be at least BaseLr", ArgumentLocation("MaxLr"));
        }

        // The same test as the runtime OneCycleLR (LrFormulas.OneCycleWarmupHasLength): a warm-up of zero steps divides by zero.
        if (definition.Name == "OneCycleLR" && ok && (values["PctStart"] * values["TotalSteps"]) - 1 == 0)
        {
            string pct = values["PctStart"].ToString("R", CultureInfo.InvariantCulture);
            string total = values["TotalSteps"].ToString(CultureInfo.InvariantCulture);
            Invalid(definition.Name, $"PctStart = {pct}", $"PctStart·TotalSteps = {pct}·{total} = 1 would make the warm-up phase zero steps long", ArgumentLocation("PctStart"));
        }

        return ok
            ? new ScheduleSpec(
                kind,
                definition.Arguments.Select(a => new OptimizerSpec.Value(a.Name, values[a.Name])).ToEquatableArray(),
                new EquatableArray<int>(System.Collections.Immutable.ImmutableArray.Create(milestones)),
                warmupSteps,
                warmupStartFactor)
            : null;
    }
}
