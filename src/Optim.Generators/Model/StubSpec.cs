using Optim.Generators.Common;

namespace Optim.Generators.Model;

/// <summary>
/// What is generated for a model Optim rejected: placeholder implementations of its partial [Parameter] properties, so
/// the user sees the OPT errors that explain the problem rather than a compiler error per parameter (CS9248, a partial
/// property without an implementation). The placeholders throw; the project does not build while the OPT errors stand.
/// </summary>
/// <param name="Namespace">Containing namespace, empty for the global namespace.</param>
/// <param name="ContainingTypes">Types that contain the model, outermost first.</param>
/// <param name="Type">The model type itself.</param>
/// <param name="HintName">File name of the generated source (the one the model would have had).</param>
/// <param name="Properties">The partial property definitions to implement.</param>
internal sealed record StubSpec(
    string Namespace,
    EquatableArray<TypeHeader> ContainingTypes,
    TypeHeader Type,
    string HintName,
    EquatableArray<StubProperty> Properties);

/// <summary>One placeholder property: its declaration up to the name, and its accessors.</summary>
/// <param name="Name">The property's name as C# spells it.</param>
/// <param name="Declaration">Modifiers, type and name, e.g. "public partial global::System.Span&lt;float&gt; W".</param>
/// <param name="Accessors">Each accessor with its own modifiers, e.g. "get", "private set".</param>
internal sealed record StubProperty(string Name, string Declaration, EquatableArray<string> Accessors);
