using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Optim.Generators.Common;
using Optim.Generators.Diagnostics;
using Optim.Generators.Emit;
using Optim.Generators.Model;
using Optim.Generators.Model.Optimizers;
using Optim.Generators.Parsing.UpdateRules;

namespace Optim.Generators.Parsing;

/// <summary>
/// The parse room: reads an [Optimize] class and its [Parameter] properties into a <see cref="ModelSpec"/>.
/// All symbol and syntax work happens here; nothing it returns holds a symbol, node or compilation.
/// This file walks the model in order; ModelParser.Declarations checks the class and its [Parameter] properties,
/// ModelParser.Optimizers reads [Optimize]'s arguments, ModelParser.Names the names the generated code uses.
/// </summary>
internal static partial class ModelParser
{
    private const string ParameterAttribute = "Optim.ParameterAttribute";

    /// <summary>Array.MaxLength, which the arena (plus its alignment slack) must not exceed.</summary>
    private const long MaxArrayLength = 0x7FFFFFC7;

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        try
        {
            return ParseCore(context, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception exception)
        {
            // The generator must never throw: turn the surprise into a diagnostic that asks for a report.
            var location = LocationInfo.From((context.TargetNode as BaseTypeDeclarationSyntax)?.Identifier ?? default);
            var diagnostic = DiagnosticInfo.Create(Descriptors.InternalError, location, context.TargetSymbol.Name, exception.GetType().Name + ": " + exception.Message);
            return new ParseResult(null, EquatableArray.Of(diagnostic), location);
        }
    }

    private static ParseResult ParseCore(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not TypeDeclarationSyntax syntax || context.Attributes.Length == 0)
        {
            return new ParseResult(null, EquatableArray<DiagnosticInfo>.Empty, null);
        }

        // [Optimize] on two partial declarations of one class is the compiler's CS0579 at the second; the pipeline sees one
        // item per declaration, so only the declaration holding the class's first [Optimize] describes the model (one
        // file, one hint name); the others produce nothing.
        AttributeData attribute = context.Attributes[0];
        AttributeData? first = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == "Optim.OptimizeAttribute");
        if (first?.ApplicationSyntaxReference is { } firstReference)
        {
            if (firstReference.SyntaxTree != syntax.SyntaxTree || !syntax.AttributeLists.Any(list => list.Span.Contains(firstReference.Span)))
            {
                return new ParseResult(null, EquatableArray<DiagnosticInfo>.Empty, null);
            }

            attribute = first;
        }

        var attributeSyntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        LocationInfo? attributeLocation = LocationInfo.From(attributeSyntax) ?? LocationInfo.From(syntax.Identifier);
        // A rejected model still gets placeholders for its parameter properties, so only the OPT errors show.
        ParseResult Result(ModelSpec? model) => new(model, diagnostics.ToEquatableArray(), attributeLocation, model is null ? StubParser.Read(type, cancellationToken) : null);

        bool canEmit = CheckType(type, syntax, diagnostics, cancellationToken);

        // The optimizer. A malformed attribute is the compiler's to report.
        if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not int optimizerId)
        {
            return Result(null);
        }

        OptimizerDefinition? definition = OptimizerCatalog.Find(optimizerId);
        if (definition is null)
        {
            LocationInfo? location = LocationInfo.From(attributeSyntax?.ArgumentList?.Arguments.FirstOrDefault()) ?? attributeLocation;
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnknownOptimizer, location, $"Optimizer value {optimizerId}"));
            return Result(null);
        }

        OptimizerSpec optimizer = ReadHyperparameters(definition, attribute, attributeSyntax, attributeLocation, diagnostics);
        int threads = ReadThreads(attribute, attributeSyntax, attributeLocation, diagnostics);
        GradientServices services = ReadGradientServices(attribute, attributeSyntax, attributeLocation, diagnostics);
        // An invalid schedule is reported and left out, so the rest of the model still generates.
        Model.Schedules.ScheduleSpec? schedule = ScheduleParser.Read(type, diagnostics, cancellationToken);

        // A custom rule is compiled from the [UpdateRule] method once the element type is known (after the parameters);
        // until then a rule without state stands in, and a failed one stops emission.
        bool usesCustom = definition.Id == Custom.Id;
        UpdateRule Placeholder(OptimizerDefinition d, OptimizerSpec spec) => d.Id == Custom.Id
            ? new UpdateRule("Custom", "", "", EquatableArray<Model.Buffer>.Empty, EquatableArray<StepAccumulator>.Empty, EquatableArray<StepScalar>.Empty, EquatableArray<Statement>.Empty)
            : d.Build(spec);
        UpdateRule rule = Placeholder(definition, optimizer);

        int sections = 2 + rule.State.Count;
        var groups = new List<OptimizerSpec>();
        var groupRules = new List<UpdateRule>();
        INamedTypeSymbol? optimizeAttribute = context.SemanticModel.Compilation.GetTypeByMetadataName("Optim.OptimizeAttribute");

        // The group of a property's own [Optimize]: 0 when it equals the class's, else its index among the groups plus 1.
        int GroupIndex(OptimizerSpec spec, OptimizerDefinition ownDefinition)
        {
            if (spec == optimizer)
            {
                return 0;
            }

            int index = groups.IndexOf(spec);
            if (index < 0)
            {
                groups.Add(spec);
                groupRules.Add(Placeholder(ownDefinition, spec));
                usesCustom |= ownDefinition.Id == Custom.Id;
                index = groups.Count - 1;
            }

            return index + 1;
        }

        // Parameters.
        INamedTypeSymbol? parameterAttribute = context.SemanticModel.Compilation.GetTypeByMetadataName(ParameterAttribute);
        var parameters = new List<ParameterSpec>();
        ElementType? element = null;
        string firstName = "";
        long offset = 0;
        bool anyParameter = false;
        long maxPerBuffer = (MaxArrayLength - 16) / sections / 16 * 16;
        foreach (ISymbol member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            AttributeData? parameter = member.GetAttributes().FirstOrDefault(a => parameterAttribute is not null && SymbolEqualityComparer.Default.Equals(a.AttributeClass, parameterAttribute));
            if (parameter is null || member is not IPropertySymbol property)
            {
                continue;
            }

            anyParameter = true;

            // Two members of one name are the compiler's error (CS0102); generating for both would only add more.
            if (parameters.Any(p => p.Name.Replace("@", "") == property.Name))
            {
                canEmit = false;
                continue;
            }

            var declaration = property.DeclaringSyntaxReferences
                .Select(r => r.GetSyntax(cancellationToken))
                .OfType<PropertyDeclarationSyntax>()
                .FirstOrDefault();
            if (declaration is null)
            {
                canEmit = false;
                continue;
            }

            bool valid = CheckDeclaration(property, declaration, diagnostics) & CheckNoImplementation(type, property, diagnostics, cancellationToken);
            ElementType? propertyElement = ElementOf(property, declaration, diagnostics);
            if (propertyElement is null)
            {
                valid = false;
            }
            else if (element is null)
            {
                element = propertyElement;
                firstName = property.Name;
            }
            else if (element != propertyElement)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    Descriptors.MixedElementTypes,
                    LocationInfo.From(declaration.Type),
                    property.Name,
                    propertyElement.Value.Keyword(),
                    firstName,
                    element.Value.Keyword()));
                valid = false;
            }

            ImmutableArray<int>? shape = ReadShape(property.Name, parameter, diagnostics, maxPerBuffer, cancellationToken);
            if (!valid || shape is null)
            {
                canEmit = false;
                continue;
            }

            // A parameter group: [Optimize] on the property overrides the class's choice for this parameter.
            int group = 0;
            OptimizerDefinition groupDefinition = definition;
            AttributeData? own = member.GetAttributes().FirstOrDefault(a => optimizeAttribute is not null && SymbolEqualityComparer.Default.Equals(a.AttributeClass, optimizeAttribute));
            if (own is not null)
            {
                var (spec, ownDefinition) = ReadGroup(own, definition, optimizer, diagnostics, cancellationToken);
                if (spec is null || ownDefinition is null)
                {
                    canEmit = false;
                    continue;
                }

                groupDefinition = ownDefinition;
                group = GroupIndex(spec, ownDefinition);
            }

            if (groupDefinition.RequiresMatrices && shape.Value.Length != 2)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    Descriptors.MatrixRequired,
                    LocationInfo.From(parameter.ApplicationSyntaxReference?.GetSyntax(cancellationToken)) ?? LocationInfo.From(declaration.Identifier),
                    groupDefinition.Name,
                    property.Name,
                    string.Join(", ", shape.Value)));
                canEmit = false;
                continue;
            }

            var (init, initOk) = InitParser.Read(property.Name, parameter, shape.Value, diagnostics, cancellationToken);
            if (!initOk)
            {
                canEmit = false;
                continue;
            }

            long length = shape.Value.Aggregate(1L, (product, dimension) => product * dimension);
            parameters.Add(new ParameterSpec(
                Identifier(property.Name),
                // The user's modifiers once each, partial last where C# requires it: half-typed code ("partial public
                // partial") is the user's error to see, not one in the generated file.
                string.Join(" ", declaration.Modifiers.Where(m => !m.IsKind(SyntaxKind.PartialKeyword)).Select(m => m.Text).Distinct().Append("partial")),
                string.Join(" ", declaration.Modifiers.Where(m => SyntaxFacts.IsAccessibilityModifier(m.Kind())).Select(m => m.Text).Distinct()),
                new EquatableArray<int>(shape.Value),
                0,
                (int)length,
                group,
                init));
            offset += length;
        }

        // Layers and the [Forward] method (the networks front end): the layers' weights and biases are ordinary parameters.
        Networks.NetworkParser.Result network = Networks.NetworkParser.Read(type, context.SemanticModel.Compilation, diagnostics, cancellationToken);
        canEmit &= network.Valid;
        anyParameter |= network.Declared;
        if (network.Element is ElementType networkElement)
        {
            if (element is null)
            {
                element = networkElement;
            }
            else if (element != networkElement)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.MixedElementTypes, LocationInfo.From(syntax.Identifier), network.Network?.Method ?? "the network", networkElement.Keyword(), firstName, element.Value.Keyword()));
                canEmit = false;
            }
        }

        // A layer's own [Optimize] puts its parameters in that group, except a vector (a bias) under an optimizer that needs
        // matrices (Muon), which stays with the class's optimizer.
        var layerGroups = new Dictionary<string, (OptimizerSpec? Spec, OptimizerDefinition? Definition)>();
        foreach (ParameterSpec layerParameter in network.Parameters)
        {
            int group = 0;
            OptimizerDefinition groupDefinition = definition;
            string layer = network.LayerOf[layerParameter.Name];
            if (network.Optimizers.TryGetValue(layer, out AttributeData? own))
            {
                if (!layerGroups.TryGetValue(layer, out var read))
                {
                    read = ReadGroup(own, definition, optimizer, diagnostics, cancellationToken);
                    layerGroups[layer] = read;
                }

                if (read.Spec is null || read.Definition is null)
                {
                    canEmit = false;
                    continue;
                }

                if (!(read.Definition.RequiresMatrices && layerParameter.Shape.Count == 1))
                {
                    groupDefinition = read.Definition;
                    group = GroupIndex(read.Spec, read.Definition);
                }
            }

            if (groupDefinition.RequiresMatrices && layerParameter.Shape.Count != 2)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.MatrixRequired, network.Locations[layer], groupDefinition.Name, layerParameter.Name, string.Join(", ", layerParameter.Shape)));
                canEmit = false;
                continue;
            }

            parameters.Add(layerParameter with { Group = group });
            offset += layerParameter.Length;
        }

        AssignOffsets(parameters);

        UpdateRule? customRule = null;
        if (usesCustom)
        {
            customRule = UpdateRuleParser.Parse(type, syntax, context.SemanticModel.Compilation, element, diagnostics, cancellationToken);
            if (customRule is null)
            {
                canEmit = false;
            }
            else
            {
                // The real state sections count towards the arena's size.
                rule = definition.Id == Custom.Id ? customRule : rule;
                for (int g = 0; g < groups.Count; g++)
                {
                    groupRules[g] = groups[g].Id == Custom.Id ? customRule : groupRules[g];
                }
            }
        }
        else
        {
            foreach (IMethodSymbol unused in UpdateRuleParser.Find(type))
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.UpdateRuleIgnored, LocationInfo.From(unused.Locations.FirstOrDefault()), unused.Name, type.Name, definition.Name));
            }
        }

        if (!anyParameter)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.NoParameters, LocationInfo.From(syntax.Identifier), type.Name));
            canEmit = false;
        }
        else if (offset > maxPerBuffer)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.TooLarge, LocationInfo.From(syntax.Identifier), $"Model '{type.Name}'", offset.ToString(System.Globalization.CultureInfo.InvariantCulture), maxPerBuffer.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            canEmit = false;
        }

        // With parameter groups, each group's state sections add to the arena: check the whole.
        long arena = 2 * RoundUp(offset) + new[] { rule }.Concat(groupRules).Select((r, g) => (long)r.State.Count * RoundUp(parameters.Where(p => p.Group == g).Sum(p => (long)p.Length))).Sum();
        if (groups.Count > 0 && arena > MaxArrayLength - 16)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.TooLarge, LocationInfo.From(syntax.Identifier), $"Model '{type.Name}'", offset.ToString(System.Globalization.CultureInfo.InvariantCulture), maxPerBuffer.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            canEmit = false;
        }

        canEmit &= CheckNameConflicts(type, parameters, ViewNames(new[] { rule }.Concat(groupRules).ToList(), parameters, groups.Count > 0).Concat(network.Network is null ? Array.Empty<string>() : Networks.NetworkParser.GeneratedMembers), syntax, diagnostics, cancellationToken);
        if (!canEmit || element is null)
        {
            return Result(null);
        }

        return Result(new ModelSpec(
            Namespace(type),
            ContainingTypes(type, cancellationToken),
            Header(type, syntax),
            HintName(type),
            element.Value,
            parameters.ToEquatableArray(),
            optimizer,
            threads,
            schedule,
            groups.ToEquatableArray(),
            customRule,
            services,
            network.Network));
    }

    /// <summary>Offsets: group by group, declaration order within a group, so each group is one contiguous range.</summary>
    private static void AssignOffsets(List<ParameterSpec> parameters)
    {
        int next = 0;
        foreach (int g in parameters.Select(p => p.Group).Distinct().OrderBy(g => g).ToList())
        {
            for (int i = 0; i < parameters.Count; i++)
            {
                if (parameters[i].Group == g)
                {
                    parameters[i] = parameters[i] with { Offset = next };
                    next += parameters[i].Length;
                }
            }
        }
    }

    /// <summary><paramref name="count"/> rounded up to whole 64-byte lines of floats (a bound for doubles too).</summary>
    private static long RoundUp(long count) => (count + 15) / 16 * 16;
}
