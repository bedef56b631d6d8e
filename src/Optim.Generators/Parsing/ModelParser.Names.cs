using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Optim.Generators.Common;
using Optim.Generators.Diagnostics;
using Optim.Generators.Model;

namespace Optim.Generators.Parsing;

/// <summary>Names: the members the generated code adds (and their conflicts), the namespace, containing types and hint name.</summary>
internal static partial class ModelParser
{
    /// <summary>Names the generator adds to the model, which the user's members must not use.</summary>
    private static readonly string[] GeneratedMembers =
    {
        "ParameterCount", "Parameters", "Gradients", "LearningRate", "StepCount", "Step", "ZeroGrad", "UpdateRule", "OptimStride", "OptimRangeKernel", "OptimTensorKernel", "OptimScheduledLr", "OptimStepTensor", "OptimStepMatrix", "OptimStepVector",
        "SaveCheckpoint", "LoadCheckpoint", "OptimCheckpointLayout", "OptimWriteCheckpoint", "OptimLoadCheckpoint", "SaveSafetensors", "LoadSafetensors", "OptimTensors", "Initialize", "OptimInitialize", "LastGradNorm", "SkippedSteps", "OptimGradientSquares",
    };

    /// <summary>Prefix of the generator's private fields (arena, step, learning rate, accumulators).</summary>
    private const string ReservedPrefix = "_optim";

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

    /// <summary>The opening brace of a block-scoped namespace (a file-scoped one has none, so it is never missing).</summary>
    internal static SyntaxToken OpenBraceToken(this BaseNamespaceDeclarationSyntax declaration) =>
        declaration is NamespaceDeclarationSyntax block ? block.OpenBraceToken : SyntaxFactory.Token(SyntaxKind.OpenBraceToken);

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
