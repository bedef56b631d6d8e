using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Optim.Generators.Common;
using Optim.Generators.Diagnostics;
using Optim.Generators.Emit;
using Optim.Generators.Model;
using Optim.Generators.Model.Networks;

namespace Optim.Generators.Parsing.Networks;

/// <summary>
/// The networks front end: reads a model's layer properties (<c>[Linear]</c>, <c>[Conv2d]</c>, <c>[Embedding]</c>,
/// <c>[LayerNorm]</c>) and its <c>[Forward]</c> method into a <see cref="NetworkSpec"/>, and contributes each layer's
/// weight and bias as ordinary <see cref="ParameterSpec"/>s. The method body is read through Roslyn's operation tree
/// (<see cref="ForwardReader"/>); every construct outside the vocabulary and every shape mismatch is one diagnostic at
/// its expression.
/// </summary>
internal static class NetworkParser
{
    /// <summary>Members a network adds to its model, which the user's members must not use.</summary>
    public static readonly string[] GeneratedMembers = { "Predict", "Evaluate", "TrainStep", "Backward", "Threads", "MaxBatch", "OptimForward", "OptimBackward", "OptimLoss", "OptimCheckInputs", "OptimCheckTarget" };

    /// <summary>Layers larger than this many values are rejected (the arena's limit, with room for state).</summary>
    private const long MaxLayerValues = int.MaxValue / 8;

    /// <summary>What the layers and the forward method add to a model.</summary>
    /// <param name="Network">The network, or null when the class declares none or it is invalid.</param>
    /// <param name="Parameters">The layers' parameters, in declaration order (offsets not yet assigned).</param>
    /// <param name="Element">The element type the layers and tensors use, when any is declared.</param>
    /// <param name="Valid">False when a diagnostic was reported: no code may be generated for the model.</param>
    /// <param name="Declared">Whether the class declares layers or a forward method.</param>
    /// <param name="LayerOf">The layer property of each layer parameter.</param>
    /// <param name="Optimizers">The [Optimize] attribute of each layer property that has one (its parameter group).</param>
    /// <param name="Locations">Each layer property's name, for diagnostics about its parameters.</param>
    internal sealed record Result(NetworkSpec? Network, List<ParameterSpec> Parameters, ElementType? Element, bool Valid, bool Declared,
        Dictionary<string, string> LayerOf, Dictionary<string, AttributeData> Optimizers, Dictionary<string, LocationInfo?> Locations);

    public static Result Read(INamedTypeSymbol type, Compilation compilation, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        INamedTypeSymbol? forwardAttribute = compilation.GetTypeByMetadataName("Optim.ForwardAttribute");
        ElementType? element = null;
        var parameters = new List<ParameterSpec>();
        var layers = new List<LayerSpec>();
        var layerOf = new Dictionary<string, string>();
        var optimizers = new Dictionary<string, AttributeData>();
        var locations = new Dictionary<string, LocationInfo?>();
        Result Done(NetworkSpec? network, bool ok, bool declared) => new(network, parameters, element, ok, declared, layerOf, optimizers, locations);
        bool valid = true;
        if (forwardAttribute is null)
        {
            return Done(null, true, false);
        }

        // A network may be declared once in an abstract base class (abstract layer properties and the forward method) and
        // trained by several [Optimize] classes deriving from it: each gets its own parameters, state and passes.
        var chain = new List<INamedTypeSymbol>();
        for (INamedTypeSymbol? t = type; t is not null && t.SpecialType != SpecialType.System_Object; t = t.BaseType)
        {
            chain.Add(t);
        }

        foreach (ISymbol member in chain.SelectMany(t => t.GetMembers()))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member is not IPropertySymbol property || layers.Any(l => l.Name == property.Name))
            {
                continue;
            }

            foreach (AttributeData attribute in property.GetAttributes())
            {
                if (attribute.AttributeClass is not { ContainingNamespace: { Name: "Optim", ContainingNamespace.IsGlobalNamespace: true } } attributeClass
                    || !TryKind(attributeClass.Name, out LayerKind kind))
                {
                    continue;
                }

                var declaration = property.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<PropertyDeclarationSyntax>().FirstOrDefault();
                if (declaration is null)
                {
                    valid = false;
                    continue;
                }

                bool inherited = !SymbolEqualityComparer.Default.Equals(property.ContainingType, type);
                LayerSpec? layer = ReadLayer(property, declaration, attribute, kind, inherited, ref element, diagnostics);
                if (layer is null)
                {
                    valid = false;
                    continue;
                }

                layers.Add(layer);
                locations[layer.Name] = LocationInfo.From(declaration.Identifier);
                AttributeData? optimize = property.GetAttributes().FirstOrDefault(a => a.AttributeClass is { Name: "OptimizeAttribute", ContainingNamespace: { Name: "Optim", ContainingNamespace.IsGlobalNamespace: true } });
                if (optimize is not null)
                {
                    optimizers[layer.Name] = optimize;
                }

                foreach (ParameterSpec parameter in ParametersOf(layer, declaration))
                {
                    parameters.Add(parameter);
                    layerOf[parameter.Name] = layer.Name;
                }
            }
        }

        foreach (var duplicate in parameters.GroupBy(p => p.FileName).Where(g => g.Count() > 1))
        {
            LayerSpec owner = layers.Last(l => l.Weight == duplicate.Last().Name || l.Bias == duplicate.Last().Name);
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.LayerInvalid, LocationInfo.From(type.Locations.FirstOrDefault()), owner.Name,
                $"its tensor name '{duplicate.Key}' is already another layer's; give each layer its own Module"));
            valid = false;
        }

        var forwards = chain.Select(t => t.GetMembers().OfType<IMethodSymbol>()
                .Where(m => m.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, forwardAttribute)))
                .ToList())
            .FirstOrDefault(found => found.Count > 0) ?? new List<IMethodSymbol>();
        if (forwards.Count == 0)
        {
            if (layers.Count > 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.ForwardInvalid, LocationInfo.From(type.Locations.FirstOrDefault()), type.Name,
                    "the class declares layers but no [Forward] method; add one, e.g. '[Forward] public Tensor<float> Forward([Shape(10)] Tensor<float> x) => Output.Forward(Nn.Relu(Hidden.Forward(x)));'"));
                valid = false;
            }

            return Done(null, valid, layers.Count > 0);
        }

        if (!valid)
        {
            // The forward method calls the layers just rejected: reading it would only repeat their errors.
            return Done(null, false, true);
        }

        foreach (IMethodSymbol extra in forwards.Skip(1))
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.ForwardInvalid, LocationInfo.From(extra.Locations.FirstOrDefault()), extra.Name, "a model has one [Forward] method"));
            valid = false;
        }

        var reader = new ForwardReader(layers, compilation, diagnostics, cancellationToken);
        NetworkSpec? network = reader.Read(forwards[0], forwardAttribute, ref element);
        return Done(valid ? network : null, valid && network is not null, true);
    }

    private static bool TryKind(string attributeName, out LayerKind kind)
    {
        switch (attributeName)
        {
            case "LinearAttribute": kind = LayerKind.Linear; return true;
            case "Conv2dAttribute": kind = LayerKind.Conv2d; return true;
            case "EmbeddingAttribute": kind = LayerKind.Embedding; return true;
            case "LayerNormAttribute": kind = LayerKind.LayerNorm; return true;
            default: kind = default; return false;
        }
    }

    private static LayerSpec? ReadLayer(IPropertySymbol property, PropertyDeclarationSyntax declaration, AttributeData attribute, LayerKind kind, bool inherited, ref ElementType? element, List<DiagnosticInfo> diagnostics)
    {
        LocationInfo? at = LocationInfo.From(declaration.Identifier);
        LayerSpec? Invalid(string why)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.LayerInvalid, at, property.Name, why));
            return null;
        }

        ElementType? layerElement = LayerElement(property.Type, kind.ToString());
        if (layerElement is null)
        {
            return Invalid($"a [{kind}] property must be of type {kind}<float> or {kind}<double>, not '{property.Type.ToDisplayString()}'");
        }

        if (inherited && (!property.IsAbstract || property.SetMethod is not null))
        {
            return Invalid($"a layer of a base class must be abstract and get-only, e.g. 'public abstract {kind}<{layerElement.Value.Keyword()}> {property.Name} {{ get; }}', for each optimized class to implement");
        }

        if (!inherited && (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword) || property.IsStatic || property.SetMethod is not null || declaration.AccessorList is null))
        {
            return Invalid($"declare it as a partial get-only instance property, e.g. 'public partial {kind}<{layerElement.Value.Keyword()}> {property.Name} {{ get; }}'");
        }

        element ??= layerElement;
        if (element != layerElement)
        {
            return Invalid($"its element type {layerElement.Value.Keyword()} differs from the network's {element.Value.Keyword()}");
        }

        int[] sizes = attribute.ConstructorArguments.Select(a => a.Value is int v ? v : 0).ToArray();
        int Named(string name, int fallback) => attribute.NamedArguments.FirstOrDefault(a => a.Key == name).Value.Value is int v ? v : fallback;
        bool bias = attribute.NamedArguments.FirstOrDefault(a => a.Key == "Bias").Value.Value is not false;
        double eps = attribute.NamedArguments.FirstOrDefault(a => a.Key == "Eps").Value.Value is double e ? e : 1e-5;
        if (sizes.Any(s => s < 1))
        {
            return Invalid($"{kind}({string.Join(", ", sizes)}) needs sizes of 1 or more");
        }

        if (kind == LayerKind.Conv2d)
        {
            int stride = Named("Stride", 1), padding = Named("Padding", 0);
            if (stride < 1 || padding < 0 || padding > sizes[2])
            {
                return Invalid($"Conv2d needs Stride ≥ 1 and 0 ≤ Padding ≤ the kernel size; got Stride = {stride}, Padding = {padding}");
            }

            sizes = sizes.Concat(new[] { stride, padding }).ToArray();
        }
        else if (kind == LayerKind.LayerNorm && !(eps > 0 && !double.IsInfinity(eps)))
        {
            return Invalid($"Eps = {eps.ToString("R", CultureInfo.InvariantCulture)} must be a positive finite number");
        }

        long weight = kind switch
        {
            LayerKind.Conv2d => (long)sizes[0] * sizes[1] * sizes[2] * sizes[2],
            LayerKind.LayerNorm => sizes[0],
            _ => (long)sizes[0] * sizes[1],
        };
        if (weight > MaxLayerValues)
        {
            return Invalid($"its weight has {weight} values, more than an arena can hold");
        }

        string modifiers = inherited
            ? string.Join(" ", declaration.Modifiers.Where(m => SyntaxFacts.IsAccessibilityModifier(m.Kind())).Select(m => m.Text).Distinct().Append("override"))
            : string.Join(" ", declaration.Modifiers.Where(m => !m.IsKind(SyntaxKind.PartialKeyword)).Select(m => m.Text).Distinct().Append("partial"));
        bool hasBias = kind switch { LayerKind.Embedding => false, LayerKind.LayerNorm => true, _ => bias };
        int weightInit = attribute.NamedArguments.FirstOrDefault(a => a.Key == "WeightInit").Value.Value is int w ? w : LinearDefault;
        int biasInit = attribute.NamedArguments.FirstOrDefault(a => a.Key == "BiasInit").Value.Value is int b ? b : LinearDefault;
        if (weightInit is < 0 or > LinearDefault || biasInit is < 0 or > LinearDefault)
        {
            return Invalid($"WeightInit and BiasInit must be members of Optim.Initialization");
        }

        if (biasInit is >= 4 and <= 7)
        {
            return Invalid($"BiasInit = {Schemes[biasInit]} needs a matrix: a bias has no fan-in or fan-out; use LinearDefault (PyTorch's), Zeros, Ones, Uniform or Normal");
        }

        string? module = attribute.NamedArguments.FirstOrDefault(a => a.Key == "Module").Value.Value as string;
        if (module is not null && (module.Length == 0 || module.Any(c => char.IsControl(c) || c == '"' || c == '\\')))
        {
            return Invalid($"Module = \"{module}\" must be a non-empty name without quotes, backslashes or control characters (e.g. \"0\" or \"encoder.1\")");
        }

        return new LayerSpec(property.Name, kind, modifiers, EquatableArray.Of(sizes), hasBias, eps, module, weightInit, biasInit);
    }

    /// <summary>The layer's parameters with PyTorch's shapes and default initialisation.</summary>
    private static IEnumerable<ParameterSpec> ParametersOf(LayerSpec layer, PropertyDeclarationSyntax declaration)
    {
        string accessibility = string.Join(" ", declaration.Modifiers.Where(m => SyntaxFacts.IsAccessibilityModifier(m.Kind())).Select(m => m.Text).Distinct());
        string view = accessibility.Length == 0 ? "private" : accessibility;
        ParameterSpec Parameter(string name, int[] shape, InitSpec? init) =>
            new(name, view, view, EquatableArray.Of(shape), 0, shape.Aggregate(1, (p, d) => p * d), 0, init,
                layer.Module is null ? null : layer.Module + (name == layer.Weight ? ".weight" : ".bias"));
        switch (layer.Kind)
        {
            case LayerKind.Linear:
                yield return Parameter(layer.Weight, new[] { layer.Out, layer.In }, Init(layer.WeightInit, layer.In));
                if (layer.HasBias)
                {
                    yield return Parameter(layer.Bias, new[] { layer.Out }, Init(layer.BiasInit, layer.In));
                }

                break;
            case LayerKind.Conv2d:
                int k = layer.Sizes[2], fan = layer.In * k * k;
                yield return Parameter(layer.Weight, new[] { layer.Out, layer.In, k, k }, Init(layer.WeightInit, fan));
                if (layer.HasBias)
                {
                    yield return Parameter(layer.Bias, new[] { layer.Out }, Init(layer.BiasInit, fan));
                }

                break;
            case LayerKind.Embedding:
                yield return Parameter(layer.Weight, new[] { layer.Sizes[0], layer.Sizes[1] }, new InitSpec("Normal", EquatableArray.Of(Literals.Double(0), Literals.Double(1)), false, "N(0, 1²)"));
                break;
            default:
                yield return Parameter(layer.Weight, new[] { layer.Sizes[0] }, new InitSpec("Ones", EquatableArray<string>.Empty, false, "1"));
                yield return Parameter(layer.Bias, new[] { layer.Sizes[0] }, null);
                break;
        }
    }

    /// <summary>Optim.Initialization's LinearDefault (PyTorch's nn.Linear and nn.Conv2d default).</summary>
    private const int LinearDefault = 8;

    /// <summary>Optim.Initialization's members by value.</summary>
    private static readonly string[] Schemes = { "Zeros", "Ones", "Uniform", "Normal", "XavierUniform", "XavierNormal", "KaimingUniform", "KaimingNormal", "LinearDefault" };

    /// <summary>A layer parameter's initialisation: an Optim.Initialization member with its default arguments.</summary>
    private static InitSpec? Init(int scheme, int fanIn)
    {
        string fan = fanIn.ToString(CultureInfo.InvariantCulture);
        return Schemes[scheme] switch
        {
            "Zeros" => null,
            "Ones" => new InitSpec("Ones", EquatableArray<string>.Empty, false, "1"),
            "Uniform" => new InitSpec("Uniform", EquatableArray.Of(Literals.Double(0), Literals.Double(1)), false, "U(0, 1)"),
            "Normal" => new InitSpec("Normal", EquatableArray.Of(Literals.Double(0), Literals.Double(1)), false, "N(0, 1²)"),
            "XavierUniform" => new InitSpec("XavierUniform", EquatableArray.Of(Literals.Double(1)), true, "U(−b, b), b = 1·√(6 / (fan_in + fan_out))"),
            "XavierNormal" => new InitSpec("XavierNormal", EquatableArray.Of(Literals.Double(1)), true, "N(0, σ²), σ = 1·√(2 / (fan_in + fan_out))"),
            "KaimingUniform" => new InitSpec("KaimingUniform", EquatableArray.Of(Literals.Double(0)), true, "U(−b, b), b = √(2 / (1 + 0²))·√(3 / fan_in)"),
            "KaimingNormal" => new InitSpec("KaimingNormal", EquatableArray.Of(Literals.Double(0)), true, "N(0, σ²), σ = √(2 / (1 + 0²)) / √fan_in"),
            _ => new InitSpec("LinearDefault", EquatableArray.Of("fanIn: " + fan), true, $"U(−1/√{fan}, 1/√{fan})"),
        };
    }

    /// <summary>The element type of <c>Optim.{name}&lt;float&gt;</c> or <c>&lt;double&gt;</c>; null for any other type.</summary>
    internal static ElementType? LayerElement(ITypeSymbol type, string name)
    {
        if (type is not INamedTypeSymbol { IsGenericType: true, Name: var n, TypeArguments.Length: 1 } named || n != name
            || named.ContainingNamespace is not { Name: "Optim", ContainingNamespace.IsGlobalNamespace: true })
        {
            return null;
        }

        return named.TypeArguments[0].SpecialType switch
        {
            SpecialType.System_Single => ElementType.Float,
            SpecialType.System_Double => ElementType.Double,
            _ => null,
        };
    }

    /// <summary>Whether <paramref name="type"/> is <c>Optim.Indices</c>.</summary>
    internal static bool IsIndices(ITypeSymbol type) =>
        type is INamedTypeSymbol { Name: "Indices", IsGenericType: false, ContainingNamespace: { Name: "Optim", ContainingNamespace.IsGlobalNamespace: true } };
}
