using Optim.Generators.Common;
using Optim.Generators.Diagnostics;
using Optim.Generators.Model;

namespace Optim.Generators.Parsing;

/// <summary>
/// What the parse step produces for one [Optimize] class: the model (null when code cannot be generated),
/// the diagnostics found, where the attribute is (for diagnostics decided later in the pipeline), and for a rejected
/// model the placeholders that keep the compiler quiet about its parameters (null when there are none to write).
/// </summary>
internal sealed record ParseResult(ModelSpec? Model, EquatableArray<DiagnosticInfo> Diagnostics, LocationInfo? AttributeLocation, StubSpec? Stub = null);

/// <summary>Facts about the target compilation, reduced once to an equatable value.</summary>
/// <param name="SupportsPartialProperties">C# 13 or later.</param>
/// <param name="Version">The language version as the user would write it.</param>
internal sealed record LanguageFacts(bool SupportsPartialProperties, string Version);
