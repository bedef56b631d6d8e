using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Optim.Generators.Diagnostics;
using Optim.Generators.Model;

namespace Optim.Generators.Parsing;

/// <summary>The model class and its [Parameter] properties: what C# and the generated code require of them.</summary>
internal static partial class ModelParser
{
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
}
