using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.Diagnostics;

/// <summary>
/// An OPT error comes alone: when Optim rejects a model it still implements the model's partial [Parameter] properties
/// (placeholders that throw), so the compiler adds no CS9248 ("partial property must have an implementation part") per
/// parameter. For every diagnostic case of <see cref="DiagnosticTests"/> and <see cref="CorpusTests"/>, the errors of the
/// compilation are the OPT ones plus those the user's own code has without any generator involved.
/// </summary>
public sealed class QuietErrorTests
{
    private const string Usings = "using System;\nusing Optim;\nusing static Optim.Optimizer;\n";

    /// <summary>
    /// Compiler errors about the user's code itself, which no generated code could remove, each with the case that
    /// shows it.
    /// </summary>
    private static readonly Dictionary<string, string> Genuine = new()
    {
        ["CS0592"] = "[Optimize] on a struct or an interface: the attribute is valid on classes only (OPT0031 explains)",
        ["CS8345"] = "a non-partial Span<float> auto-property in a class (OPT0002 explains)",
        ["CS0260"] = "a declaration of the model without 'partial' beside one with it (OPT0001 explains)",
        ["CS0751"] = "a partial property in a type not declared partial (OPT0001 explains)",
        ["CS0708"] = "an instance property in a static class (OPT0014 explains)",
        ["CS0534"] = "a model deriving from a class whose abstract member it does not implement (OPT0034 explains)",
        ["CS0754"] = "a partial property that implements an interface member explicitly (OPT0011 explains)",
        ["CS0579"] = "[Optimize] twice on one class, on two of its partial declarations",
    };

    /// <summary>
    /// OPT errors about a model type no generated file can add a part to (not partial, or inside a type that is not;
    /// file-local): nothing can implement its partial properties, so CS9248 stays beside them.
    /// </summary>
    private static readonly string[] TypeCannotBeReopened = { "OPT0001", "OPT0032" };

    public static IEnumerable<object[]> Cases() =>
        DiagnosticTests.Misuses.Select(m => new object[] { "misuse " + (string)m[0], new[] { MarkedSource.Parse(Usings + (string)m[1]).Text } })
            .Concat(CorpusTests.Corpus().Where(c => ((string[])c[2]).Any(id => id.Length > 0)).Select(c => new object[] { $"corpus {c[0]}", ((string[])c[1]).Select(f => Usings + f).ToArray() }));

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_rejected_model_shows_its_OPT_errors_and_no_compiler_noise(string name, string[] files)
    {
        GeneratorHarness.Run run = GeneratorHarness.Generate(files);

        Assert.Null(run.Generator.Exception);
        var generated = run.Generator.GeneratedSources.Select(s => s.SyntaxTree).ToHashSet();
        var errors = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        bool cannotReopen = run.GeneratorDiagnostics.Any(d => TypeCannotBeReopened.Contains(d.Id));

        // CS9248 is noise unless nothing could implement the property: its type cannot be reopened, or the declaration
        // itself is the user's error (a genuine error at the same place).
        bool Unavoidable(Diagnostic d) => d.Id == "CS9248"
            && (cannotReopen || errors.Any(e => Genuine.ContainsKey(e.Id) && e.Location == d.Location));
        var noise = errors
            .Where(d => generated.Contains(d.Location.SourceTree!) || !(Genuine.ContainsKey(d.Id) || Unavoidable(d)))
            .ToList();
        Assert.True(noise.Count == 0, $"{name}: {string.Join("; ", noise)}");
    }

    /// <summary>A placeholder throws a clear exception if it ever runs (it cannot, while the OPT error stands).</summary>
    [Fact]
    public void A_placeholder_names_the_reason()
    {
        GeneratorHarness.Run run = GeneratorHarness.Generate(Usings + "[Optimize(Adam)] public partial class M { [Parameter(3, 0)] public partial Span<float> W { get; } [Parameter(2)] public partial Span<float> V { get; } }");

        Assert.Equal("OPT0004", Assert.Single(run.GeneratorDiagnostics).Id);
        string text = Assert.Single(run.Sources).Text;
        Assert.Contains("public partial global::System.Span<float> W", text, StringComparison.Ordinal);
        Assert.Contains("public partial global::System.Span<float> V", text, StringComparison.Ordinal);
        Assert.Contains("fix the OPT errors", text, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Output.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error && d.Id != "OPT0004");
    }
}
