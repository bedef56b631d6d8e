using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Optim.Generators.Common;
using Optim.Generators.Model;

namespace Optim.Generators.Parsing;

/// <summary>
/// Reads what a rejected model still needs so that only the OPT errors show: its partial [Parameter] and layer property
/// definitions that nothing implements. Null when a placeholder could itself be an error (a type that is not partial
/// everywhere, file-local, an enum or delegate, or half-typed), or when there is nothing to implement. A static class, a
/// struct or an interface gets them: the compiler's own error there is about the user's declaration, not the placeholder.
/// </summary>
internal static class StubParser
{
    private const string ParameterAttribute = "Optim.ParameterAttribute";

    /// <summary>The type's and its parameters' types as the stub spells them: fully qualified, nullable annotations kept.</summary>
    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    public static StubSpec? Read(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        if (type.TypeKind is not (TypeKind.Class or TypeKind.Struct or TypeKind.Interface) || !CanReopen(type, cancellationToken))
        {
            return null;
        }

        var properties = new List<StubProperty>();
        foreach (IPropertySymbol property in type.GetMembers().OfType<IPropertySymbol>())
        {
            cancellationToken.ThrowIfCancellationRequested();
            StubProperty? stub = Property(type, property, cancellationToken);
            if (stub is not null)
            {
                properties.Add(stub);
            }
        }

        if (properties.Count == 0)
        {
            return null;
        }

        var declaration = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().First();
        return new StubSpec(
            ModelParser.Namespace(type),
            ModelParser.ContainingTypes(type, cancellationToken),
            ModelParser.Header(type, declaration),
            ModelParser.HintName(type),
            properties.ToEquatableArray());
    }

    /// <summary>Whether a generated file can add a part to the type: every declaration of it and of its containers is partial, none is file-local.</summary>
    private static bool CanReopen(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        string ns = ModelParser.Namespace(type);
        if (ns.Split('.').Where(part => part.Length > 0 || ns.Length > 0).Any(part => !SyntaxFacts.IsValidIdentifier(part.TrimStart('@'))))
        {
            return false;
        }

        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            var declarations = t.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).ToList();
            if (t.IsFileLocal
                || !SyntaxFacts.IsValidIdentifier(t.Name)
                || declarations.Count == 0
                || declarations.Any(d => d is not TypeDeclarationSyntax part || !part.Modifiers.Any(SyntaxKind.PartialKeyword) || part.ContainsDiagnostics && part.Identifier.IsMissing)
                || declarations.Any(d => d.Ancestors().OfType<BaseNamespaceDeclarationSyntax>().Any(n => n.Name.IsMissing || n.Name.ContainsDiagnostics || n.OpenBraceToken().IsMissing)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A placeholder for a [Parameter] property declared as a partial definition (accessors without bodies) that no other
    /// declaration implements; null for anything else (the user's own errors stay theirs to see, and a placeholder must
    /// never add one).
    /// </summary>
    private static StubProperty? Property(INamedTypeSymbol type, IPropertySymbol property, CancellationToken cancellationToken)
    {
        if (property.IsIndexer
            || !property.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() is ParameterAttribute or "Optim.LinearAttribute" or "Optim.Conv2dAttribute" or "Optim.EmbeddingAttribute" or "Optim.LayerNormAttribute")
            || type.GetMembers(property.Name).Length != 1
            || ContainsError(property.Type))
        {
            return null;
        }

        var declarations = property.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).ToList();
        if (declarations.Count != 1
            || declarations[0] is not PropertyDeclarationSyntax { ExplicitInterfaceSpecifier: null, ExpressionBody: null, Initializer: null, AccessorList: { Accessors.Count: > 0 } accessors } declaration
            || declaration.ContainsDiagnostics
            || !declaration.Modifiers.Any(SyntaxKind.PartialKeyword)
            || declaration.Modifiers.Any(m => m.IsKind(SyntaxKind.AbstractKeyword) || m.IsKind(SyntaxKind.ExternKeyword))
            || accessors.Accessors.Any(a => a.Body is not null || a.ExpressionBody is not null || a.Kind() is not (SyntaxKind.GetAccessorDeclaration or SyntaxKind.SetAccessorDeclaration or SyntaxKind.InitAccessorDeclaration))
            || accessors.Accessors.Select(a => a.Keyword.Kind()).Distinct().Count() != accessors.Accessors.Count
            || ModelParser.HasImplementation(type, property.Name, cancellationToken))
        {
            return null;
        }

        string refKind = property.RefKind switch
        {
            RefKind.Ref => "ref ",
            RefKind.RefReadOnly => "ref readonly ",
            _ => "",
        };
        string modifiers = string.Join(" ", declaration.Modifiers.Where(m => !m.IsKind(SyntaxKind.PartialKeyword)).Select(m => m.Text).Distinct().Append("partial"));
        string name = ModelParser.Identifier(property.Name);
        var accessorTexts = accessors.Accessors.Select(a => string.Join(" ", a.Modifiers.Select(m => m.Text).Append(a.Keyword.Text))).ToEquatableArray();
        return new StubProperty(name, $"{modifiers} {refKind}{property.Type.ToDisplayString(TypeFormat)} {name}", accessorTexts);
    }

    private static bool ContainsError(ITypeSymbol type) => type switch
    {
        { TypeKind: TypeKind.Error } => true,
        INamedTypeSymbol named => named.TypeArguments.Any(ContainsError) || (named.ContainingType is { } outer && ContainsError(outer)),
        IArrayTypeSymbol array => ContainsError(array.ElementType),
        IPointerTypeSymbol pointer => ContainsError(pointer.PointedAtType),
        _ => false,
    };
}
