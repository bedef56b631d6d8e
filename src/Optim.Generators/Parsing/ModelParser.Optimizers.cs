using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Optim.Generators.Common;
using Optim.Generators.Diagnostics;
using Optim.Generators.Model;
using Optim.Generators.Model.Optimizers;

namespace Optim.Generators.Parsing;

/// <summary>[Optimize]'s arguments: the optimizer's hyperparameters, Threads, the gradient services and a group's own optimizer.</summary>
internal static partial class ModelParser
{
    private const string ThreadsArgument = "Threads";

    /// <summary>Arguments of [Optimize] that apply to the whole model rather than to an optimizer.</summary>
    private static readonly string[] ModelArguments = { ThreadsArgument, "ClipGradNorm", "SkipNonFinite" };

    private static OptimizerSpec ReadHyperparameters(
        OptimizerDefinition definition,
        AttributeData attribute,
        AttributeSyntax? attributeSyntax,
        LocationInfo? attributeLocation,
        List<DiagnosticInfo> diagnostics,
        IReadOnlyDictionary<string, double>? baseline = null)
    {
        var values = definition.Hyperparameters.ToDictionary(h => h.Name, h => baseline is not null && baseline.TryGetValue(h.Name, out double inherited) ? inherited : h.Default);
        LocationInfo? ArgumentLocation(string name) => LocationInfo.OfNamedArgument(attributeSyntax, name, attributeLocation);

        foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments.Where(n => !ModelArguments.Contains(n.Key)))
        {
            Hyperparameter? hyperparameter = definition.Find(named.Key);
            if (hyperparameter is null)
            {
                string accepted = string.Join(", ", definition.Hyperparameters.Select(h => h.Name));
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.HyperparameterIgnored, ArgumentLocation(named.Key), named.Key, definition.Name, "it uses " + accepted));
                continue;
            }

            double? value = named.Value.Value switch
            {
                bool flag => flag ? 1 : 0,
                double number => number,
                int count => count,
                _ => null,
            };
            if (value is null)
            {
                continue;
            }

            string? problem = hyperparameter.Check(value.Value);
            if (problem is null)
            {
                values[named.Key] = value.Value;
            }
            else
            {
                // Keep the default so the rest of the model still generates and only this error shows.
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.HyperparameterInvalid, ArgumentLocation(named.Key), named.Key, hyperparameter.Format(value.Value), definition.Name, problem));
            }
        }

        foreach (ComboError error in definition.CheckCombination(new HyperValues(values.Select(v => new OptimizerSpec.Value(v.Key, v.Value)))).ToList())
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.HyperparameterInvalid, ArgumentLocation(error.Blame), error.Blame, definition.Find(error.Blame)!.Format(values[error.Blame]), definition.Name, error.Reason));
            values[error.Blame] = definition.Find(error.Blame)!.Default;
        }

        return new OptimizerSpec(definition.Id, definition.Hyperparameters.Select(h => new OptimizerSpec.Value(h.Name, values[h.Name])).ToEquatableArray());
    }

    /// <summary>The attribute's Threads (not a hyperparameter: it applies to every optimizer).</summary>
    private static int ReadThreads(AttributeData attribute, AttributeSyntax? attributeSyntax, LocationInfo? attributeLocation, List<DiagnosticInfo> diagnostics)
    {
        foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
        {
            if (named.Key == ThreadsArgument && named.Value.Value is int threads)
            {
                if (threads >= 0)
                {
                    return threads;
                }

                LocationInfo? location = LocationInfo.OfNamedArgument(attributeSyntax, ThreadsArgument, attributeLocation);
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.HyperparameterInvalid, location, ThreadsArgument, threads.ToString(System.Globalization.CultureInfo.InvariantCulture), "every optimizer", "it must be 0 (automatic), 1 (single-threaded) or more"));
            }
        }

        return 0;
    }

    /// <summary>ClipGradNorm (a positive finite number, or 0 for none) and SkipNonFinite.</summary>
    private static GradientServices ReadGradientServices(AttributeData attribute, AttributeSyntax? attributeSyntax, LocationInfo? attributeLocation, List<DiagnosticInfo> diagnostics)
    {
        double clip = 0;
        bool skip = false;
        foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
        {
            switch (named.Key, named.Value.Value)
            {
                case ("ClipGradNorm", double value):
                    if (value > 0 && value <= double.MaxValue)
                    {
                        clip = value;
                    }
                    else
                    {
                        LocationInfo? location = LocationInfo.OfNamedArgument(attributeSyntax, named.Key, attributeLocation);
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.HyperparameterInvalid, location, named.Key, value.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "every optimizer", "the largest gradient norm must be a positive finite number (leave ClipGradNorm out not to clip)"));
                    }

                    break;
                case ("SkipNonFinite", bool value):
                    skip = value;
                    break;
            }
        }

        return new GradientServices(clip, skip);
    }

    /// <summary>
    /// A parameter's own [Optimize]: another optimizer with its defaults, or the class's optimizer with the class's values,
    /// each overridden by the arguments given. Threads applies to the whole model and is reported if given here.
    /// </summary>
    private static (OptimizerSpec? Spec, OptimizerDefinition? Definition) ReadGroup(
        AttributeData attribute,
        OptimizerDefinition classDefinition,
        OptimizerSpec classSpec,
        List<DiagnosticInfo> diagnostics,
        CancellationToken cancellationToken)
    {
        var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        LocationInfo? location = LocationInfo.From(syntax);
        if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not int id)
        {
            return (null, null);
        }

        OptimizerDefinition? definition = OptimizerCatalog.Find(id);
        if (definition is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnknownOptimizer, LocationInfo.From(syntax?.ArgumentList?.Arguments.FirstOrDefault()) ?? location, $"Optimizer value {id}"));
            return (null, null);
        }

        foreach (string argument in ModelArguments.Where(a => attribute.NamedArguments.Any(n => n.Key == a)))
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.HyperparameterIgnored, LocationInfo.OfNamedArgument(syntax, argument, location), argument, "A parameter's [Optimize]", $"{argument} applies to the whole model: set it in the class's [Optimize]"));
        }

        IReadOnlyDictionary<string, double>? baseline = definition.Id == classDefinition.Id ? classSpec.Values.ToDictionary(v => v.Name, v => v.Number) : null;
        return (ReadHyperparameters(definition, attribute, syntax, location, diagnostics, baseline), definition);
    }
}
