using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Optim.Generators.Common;

namespace Optim.Generators.Diagnostics;

/// <summary>Where a diagnostic points: a file path and spans, with no reference to a syntax tree.</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    /// <summary>
    /// The location in <paramref name="compilation"/>'s syntax tree of that path, so that #pragma warning disable and
    /// .editorconfig severities apply to the diagnostic; a path-only location if the tree is not there (any more).
    /// </summary>
    public Location ToLocation(Compilation? compilation)
    {
        SyntaxTree? tree = compilation?.SyntaxTrees.FirstOrDefault(t => t.FilePath == FilePath);
        return tree is not null && Span.End <= tree.Length ? Location.Create(tree, Span) : Location.Create(FilePath, Span, LineSpan);
    }

    public static LocationInfo? From(SyntaxNode? node) => From(node?.GetLocation());

    public static LocationInfo? From(SyntaxToken token) => From(token.GetLocation());

    /// <summary>The named argument <c>name = …</c> of an attribute, or <paramref name="fallback"/> when it has none.</summary>
    public static LocationInfo? OfNamedArgument(Microsoft.CodeAnalysis.CSharp.Syntax.AttributeSyntax? attribute, string name, LocationInfo? fallback) =>
        From(attribute?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name)) ?? fallback;

    public static LocationInfo? From(Location? location) =>
        location is { SourceTree: not null }
            ? new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span)
            : null;
}

/// <summary>An equatable diagnostic: descriptor, location and message arguments as strings.</summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments) =>
        new(descriptor, location, EquatableArray.Of(arguments));

    public Diagnostic ToDiagnostic(Compilation? compilation = null) =>
        Diagnostic.Create(Descriptor, Location?.ToLocation(compilation), messageArgs: System.Linq.Enumerable.ToArray(Arguments));
}
