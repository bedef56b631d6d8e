using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Optim.Generators.Common;

namespace Optim.Generators.Diagnostics;

/// <summary>Where a diagnostic points: a file path and spans, with no reference to a syntax tree.</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

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

    public Diagnostic ToDiagnostic() => Diagnostic.Create(Descriptor, Location?.ToLocation(), messageArgs: System.Linq.Enumerable.ToArray(Arguments));
}
