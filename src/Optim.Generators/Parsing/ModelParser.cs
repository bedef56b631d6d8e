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

namespace Optim.Generators.Parsing;

/// <summary>
/// The parse room: reads an [Optimize] class and its [Parameter] properties into a <see cref="ModelSpec"/>.
/// All symbol and syntax work happens here; nothing it returns holds a symbol, node or compilation.
/// </summary>
internal static class ModelParser
{
    private const string ParameterAttribute = "Optim.ParameterAttribute";

    private const string ThreadsArgument = "Threads";

    /// <summary>Arguments of [Optimize] that apply to the whole model rather than to an optimizer.</summary>
    private static readonly string[] ModelArguments = { ThreadsArgument, "ClipGradNorm", "SkipNonFinite" };

    /// <summary>Array.MaxLength, which the arena (plus its alignment slack) must not exceed.</summary>
    private const long MaxArrayLength = 0x7FFFFFC7;

    /// <summary>Names the generator adds to the model, which the user's members must not use.</summary>
    private static readonly string[] GeneratedMembers =
    {
        "ParameterCount", "Parameters", "Gradients", "LearningRate", "StepCount", "Step", "ZeroGrad", "UpdateRule", "OptimStride", "OptimRangeKernel", "OptimTensorKernel", "OptimScheduledLr", "OptimStepTensor", "OptimStepMatrix", "OptimStepVector",
        "SaveCheckpoint", "LoadCheckpoint", "OptimCheckpointLayout", "OptimWriteCheckpoint", "OptimLoadCheckpoint", "SaveSafetensors", "LoadSafetensors", "OptimTensors", "Initialize", "OptimInitialize", "LastGradNorm", "SkippedSteps", "OptimGradientSquares",
    };

    /// <summary>Prefix of the generator's private fields (arena, step, learning rate, accumulators).</summary>
    private const string ReservedPrefix = "_optim";

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

        // Offsets: group by group, declaration order within a group, so each group is one contiguous range.
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

    /// <summary>The class and every type containing it must be partial; the class must not be static.</summary>
    private static bool CheckType(INamedTypeSymbol type, TypeDeclarationSyntax syntax, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        // A struct (copied by value, arena and all), an interface or an enum cannot hold a model; the compiler also
        // rejects [Optimize] there (CS0592), and nothing is generated on top of that.
        if (type.TypeKind != TypeKind.Class)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.ModelMustBeClass, LocationInfo.From(syntax.Identifier), type.Name, type.TypeKind.ToString().ToLowerInvariant()));
            return false;
        }

        // A file-local type exists in one file only, so no generated file can add the other half (CS9249 otherwise).
        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            if (t.IsFileLocal)
            {
                var declaration = t.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().FirstOrDefault();
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.FileLocalModel, LocationInfo.From(declaration?.Identifier ?? syntax.Identifier), t.Name, SymbolEqualityComparer.Default.Equals(t, type) ? "the model" : $"the model '{type.Name}' it contains"));
                return false;
            }
        }

        bool ok = true;
        string ns = Namespace(type);

        // Half-typed code: a namespace or type whose name is missing is the compiler's error; nothing to generate.
        if (ns.Split('.').Where(part => part.Length > 0 || ns.Length > 0).Concat(new[] { type.Name }).Any(part => !SyntaxFacts.IsValidIdentifier(part.TrimStart('@')))
            || syntax.Ancestors().OfType<BaseNamespaceDeclarationSyntax>().Any(n => n.Name.IsMissing || n.Name.ContainsDiagnostics || n.OpenBraceToken().IsMissing))
        {
            return false;
        }
        if (ns == "Optim.Generated" || ns.StartsWith("Optim.Generated.", StringComparison.Ordinal))
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.ReservedNamespace, LocationInfo.From(syntax.Identifier), type.Name, ns));
            ok = false;
        }

        for (INamedTypeSymbol? baseType = type.BaseType; baseType is not null && baseType.SpecialType != SpecialType.System_Object; baseType = baseType.BaseType)
        {
            if (baseType.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "Optim.OptimizeAttribute"))
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.ModelDerivesFromModel, LocationInfo.From(syntax.BaseList?.Types.FirstOrDefault()) ?? LocationInfo.From(syntax.Identifier), type.Name, baseType.Name));
                ok = false;
                break;
            }
        }

        if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.TypeMustBePartial, LocationInfo.From(syntax.Identifier), type.Name, "this model"));
            ok = false;
        }

        if (type.IsStatic)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.StaticModel, LocationInfo.From(syntax.Identifier), type.Name));
            ok = false;
        }

        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            var declarations = outer.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().ToList();
            TypeDeclarationSyntax? notPartial = declarations.FirstOrDefault(d => !d.Modifiers.Any(SyntaxKind.PartialKeyword));
            if (notPartial is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.TypeMustBePartial, LocationInfo.From(notPartial.Identifier), outer.Name, $"the nested model '{type.Name}'"));
                ok = false;
            }
        }

        return ok;
    }

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

    /// <summary>A parameter must be a partial, get-only instance property declaration.</summary>
    private static bool CheckDeclaration(IPropertySymbol property, PropertyDeclarationSyntax declaration, List<DiagnosticInfo> diagnostics)
    {
        bool ok = true;
        if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.ParameterMustBePartial, LocationInfo.From(declaration.Identifier), property.Name));
            ok = false;
        }

        bool getOnly = declaration.AccessorList is { Accessors: { Count: 1 } accessors }
            && accessors[0].IsKind(SyntaxKind.GetAccessorDeclaration)
            && accessors[0].Body is null
            && accessors[0].ExpressionBody is null;
        if (property.IsStatic || !getOnly || declaration.ExpressionBody is not null || declaration.Initializer is not null || declaration.ExplicitInterfaceSpecifier is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.ParameterShape, LocationInfo.From(declaration.Identifier), property.Name));
            ok = false;
        }

        return ok;
    }

    /// <summary>The generator writes a parameter property's implementation: one the user wrote as well is reported.</summary>
    private static bool CheckNoImplementation(INamedTypeSymbol type, IPropertySymbol property, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is not TypeDeclarationSyntax part)
            {
                continue;
            }

            foreach (PropertyDeclarationSyntax implementation in part.Members.OfType<PropertyDeclarationSyntax>().Where(p => IsImplementation(p, property.Name)))
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.ParameterImplemented, LocationInfo.From(implementation.Identifier), property.Name));
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether some declaration of the type implements the partial property <paramref name="name"/> (gives it a body).</summary>
    internal static bool HasImplementation(INamedTypeSymbol type, string name, CancellationToken cancellationToken) =>
        type.DeclaringSyntaxReferences
            .Select(r => r.GetSyntax(cancellationToken))
            .OfType<TypeDeclarationSyntax>()
            .Any(part => part.Members.OfType<PropertyDeclarationSyntax>().Any(p => IsImplementation(p, name)));

    private static bool IsImplementation(PropertyDeclarationSyntax declaration, string name) =>
        declaration.Identifier.ValueText == name
        && declaration.Modifiers.Any(SyntaxKind.PartialKeyword)
        && (declaration.ExpressionBody is not null || declaration.AccessorList?.Accessors.Any(a => a.Body is not null || a.ExpressionBody is not null) == true);

    /// <summary>float for Span&lt;float&gt;, double for Span&lt;double&gt;, otherwise a diagnostic and null.</summary>
    private static ElementType? ElementOf(IPropertySymbol property, PropertyDeclarationSyntax declaration, List<DiagnosticInfo> diagnostics)
    {
        if (property.Type is INamedTypeSymbol { Name: "Span", Arity: 1 } span
            && span.ContainingNamespace is { Name: "System", ContainingNamespace.IsGlobalNamespace: true })
        {
            switch (span.TypeArguments[0].SpecialType)
            {
                case SpecialType.System_Single:
                    return ElementType.Float;
                case SpecialType.System_Double:
                    return ElementType.Double;
            }
        }

        // An unresolved type is already a compiler error; a second message would only add noise.
        if (property.Type.TypeKind != TypeKind.Error && !ContainsError(property.Type))
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.ParameterTypeNotSupported, LocationInfo.From(declaration.Type), property.Name, property.Type.ToDisplayString()));
        }

        return null;
    }

    private static bool ContainsError(ITypeSymbol type) =>
        type.TypeKind == TypeKind.Error || (type is INamedTypeSymbol named && named.TypeArguments.Any(ContainsError));

    /// <summary>The shape from [Parameter(dims…)], or null after reporting why it is invalid.</summary>
    private static ImmutableArray<int>? ReadShape(string name, AttributeData parameter, List<DiagnosticInfo> diagnostics, long maxPerBuffer, CancellationToken cancellationToken)
    {
        if (parameter.ConstructorArguments.Length != 1 || parameter.ConstructorArguments[0] is not { Kind: TypedConstantKind.Array } array || array.IsNull)
        {
            return null;
        }

        var arguments = (parameter.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax)?.ArgumentList?.Arguments;
        LocationInfo? attributeLocation = LocationInfo.From(parameter.ApplicationSyntaxReference?.GetSyntax(cancellationToken));
        LocationInfo? DimensionLocation(int index) =>
            arguments is { } list && list.Count == array.Values.Length && index < list.Count ? LocationInfo.From(list[index]) : attributeLocation;

        var dimensions = ImmutableArray.CreateBuilder<int>(array.Values.Length);
        long length = 1;
        bool ok = true;
        for (int i = 0; i < array.Values.Length; i++)
        {
            if (array.Values[i].Value is not int dimension)
            {
                return null;
            }

            if (dimension <= 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.DimensionNotPositive, DimensionLocation(i), name, i.ToString(System.Globalization.CultureInfo.InvariantCulture), dimension.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                ok = false;
            }
            else
            {
                length = Math.Min(length * dimension, long.MaxValue / int.MaxValue);
            }

            dimensions.Add(dimension);
        }

        if (ok && length > maxPerBuffer)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.TooLarge, attributeLocation, $"Parameter '{name}'", string.Join(" × ", dimensions), maxPerBuffer.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            ok = false;
        }

        return ok ? dimensions.ToImmutable() : null;
    }

    /// <summary>
    /// The views exposed state adds (ASGD's averages): one per parameter of the group, and one for the whole model when
    /// the model has a single group.
    /// </summary>
    private static IEnumerable<string> ViewNames(List<UpdateRule> rules, List<ParameterSpec> parameters, bool grouped) =>
        rules.SelectMany((rule, g) => rule.State.Where(b => b.View.Length > 0).SelectMany(b =>
        {
            var names = parameters.Where(p => p.Group == g).Select(p => p.Name + b.View);
            return grouped ? names : names.Append(b.View + "Parameters");
        }));

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

    /// <summary>The opening brace of a block-scoped namespace (a file-scoped one has none, so it is never missing).</summary>
    internal static SyntaxToken OpenBraceToken(this BaseNamespaceDeclarationSyntax declaration) =>
        declaration is NamespaceDeclarationSyntax block ? block.OpenBraceToken : SyntaxFactory.Token(SyntaxKind.OpenBraceToken);

    /// <summary><paramref name="count"/> rounded up to whole 64-byte lines of floats (a bound for doubles too).</summary>
    private static long RoundUp(long count) => (count + 15) / 16 * 16;

    /// <summary>The members every parameter X brings: its gradient view XGrad and its XFrozen switch.</summary>
    private static string[] OwnViews(ParameterSpec parameter) => new[] { parameter.Name + "Grad", parameter.Name + "Frozen" };

    private static bool CheckNameConflicts(INamedTypeSymbol type, List<ParameterSpec> parameters, IEnumerable<string> views, TypeDeclarationSyntax syntax, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        bool ok = true;

        // A parameter's own views (WGrad, WAx) must not take a name the generator gives to a member of its own.
        foreach (ParameterSpec parameter in parameters)
        {
            foreach (string view in views.Concat(OwnViews(parameter)).Where(v => v.StartsWith(parameter.Name, StringComparison.Ordinal) && GeneratedMembers.Contains(v.Replace("@", ""))))
            {
                ISymbol? property = type.GetMembers(parameter.Name.Replace("@", "")).FirstOrDefault();
                LocationInfo? location = LocationInfo.From(property?.Locations.FirstOrDefault(l => l.IsInSource)) ?? LocationInfo.From(syntax.Identifier);
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.ViewNameConflict, location, parameter.Name.Replace("@", ""), view.Replace("@", "")));
                ok = false;
            }
        }

        var reserved = type.GetMembers().Select(m => m.Name).Where(n => n.StartsWith(ReservedPrefix, StringComparison.Ordinal));
        foreach (string name in GeneratedMembers.Concat(parameters.SelectMany(OwnViews)).Concat(views).Concat(reserved).Distinct())
        {
            cancellationToken.ThrowIfCancellationRequested();
            ISymbol? existing = type.GetMembers(name.Replace("@", "")).FirstOrDefault(m => !m.IsImplicitlyDeclared);
            if (existing is not null)
            {
                LocationInfo? location = LocationInfo.From(existing.Locations.FirstOrDefault(l => l.IsInSource)) ?? LocationInfo.From(syntax.Identifier);
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.MemberNameConflict, location, type.Name, name));
                ok = false;
                continue;
            }

            // An inherited member of that name would be hidden or, abstract, left unimplemented (CS0114, CS0534).
            for (INamedTypeSymbol? baseType = type.BaseType; baseType is not null && baseType.SpecialType != SpecialType.System_Object; baseType = baseType.BaseType)
            {
                ISymbol? inherited = baseType.GetMembers(name.Replace("@", "")).FirstOrDefault(m => !m.IsImplicitlyDeclared && m.DeclaredAccessibility != Accessibility.Private);
                if (inherited is not null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(Descriptors.InheritedMemberConflict, LocationInfo.From(syntax.BaseList?.Types.FirstOrDefault()) ?? LocationInfo.From(syntax.Identifier), type.Name, baseType.Name, inherited.Name));
                    ok = false;
                    break;
                }
            }
        }

        return ok;
    }

    internal static string Namespace(INamedTypeSymbol type) =>
        type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : "";

    internal static EquatableArray<TypeHeader> ContainingTypes(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var headers = new List<TypeHeader>();
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            var declaration = outer.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().First();
            headers.Insert(0, Header(outer, declaration));
        }

        return headers.ToEquatableArray();
    }

    internal static TypeHeader Header(INamedTypeSymbol type, TypeDeclarationSyntax declaration)
    {
        string keyword = declaration switch
        {
            RecordDeclarationSyntax record => record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) ? "record struct" : "record",
            StructDeclarationSyntax => "struct",
            InterfaceDeclarationSyntax => "interface",
            _ => "class",
        };
        string name = type.TypeParameters.Length == 0
            ? Identifier(type.Name)
            : $"{Identifier(type.Name)}<{string.Join(", ", type.TypeParameters.Select(p => Identifier(p.Name)))}>";
        return new TypeHeader(keyword, name);
    }

    /// <summary>A name as C# code must spell it: keywords and contextual keywords escaped with '@' (class @class, @int).</summary>
    internal static string Identifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    /// <summary>
    /// The generated file's name: the readable Namespace.Outer.Model (generic arity as `N), then a hash of the type's full
    /// metadata name. Hint names must be unique ignoring case, so two models whose names differ only in case, a nested type
    /// and a namespace of the same spelling, or M`1 beside M_1, would otherwise collide (CS8785, and every model of the
    /// project lost); the hash keeps each file apart.
    /// </summary>
    internal static string HintName(INamedTypeSymbol type)
    {
        var parts = new List<string>();
        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            parts.Insert(0, t.Arity == 0 ? t.Name : $"{t.Name}`{t.Arity}");
        }

        string ns = Namespace(type).Replace("@", "");
        string readable = (ns.Length > 0 ? ns + "." : "") + string.Join(".", parts);
        string identity = type.ContainingNamespace is { IsGlobalNamespace: false } ? type.ContainingNamespace.ToDisplayString() + "/" : "/";
        identity += string.Join("+", parts);
        return $"{readable}.{Fnv1a(identity):x8}.g.cs";
    }

    /// <summary>FNV-1a over the UTF-16 code units: stable across runs and machines (string.GetHashCode is not).</summary>
    private static uint Fnv1a(string text)
    {
        uint hash = 2166136261;
        foreach (char c in text)
        {
            hash = unchecked((hash ^ c) * 16777619);
        }

        return hash;
    }
}
