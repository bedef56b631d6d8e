using System.Linq;
using Microsoft.CodeAnalysis;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.Diagnostics;

/// <summary>
/// Every model gets its own generated file whatever the other models are called: hint names are unique ignoring case
/// (the compiler's rule), so names that differ only in case, M`1 beside M_1, a nested type spelled like a namespace and
/// file types of the same name never collide (CS8785 would drop every model of the project).
/// </summary>
public sealed class HintNameTests
{
    private const string Usings = "using System;\nusing Optim;\nusing static Optim.Optimizer;\n";
    private const string W = "[Parameter(3)] public partial Span<float> W { get; }";

    public static TheoryData<string[]> Projects => new()
    {
        new[] { $"[Optimize(Adam)] public partial class M {{ {W} }}", $"[Optimize(Adam)] public partial class m {{ {W} }}" },
        new[] { $"[Optimize(Adam)] public partial class M_1 {{ {W} }} [Optimize(Adam)] public partial class M<T> {{ {W} }}" },
        new[] { $"namespace A {{ [Optimize(Adam)] public partial class B {{ {W} }} }} public partial class a {{ [Optimize(Adam)] public partial class B {{ {W} }} }}" },
        new[] { $"namespace N {{ [Optimize(Sgd)] public partial class Model {{ {W} }} }}", $"namespace n {{ [Optimize(Sgd)] public partial class model {{ {W} }} }}" },
        new[] { $"[Optimize(Adam)] public partial class @class {{ {W} }} [Optimize(Adam)] public partial class Class {{ {W} }}" },
    };

    [Theory]
    [MemberData(nameof(Projects))]
    public void Models_whose_names_collide_ignoring_case_each_get_their_file(string[] files)
    {
        GeneratorHarness.Run run = GeneratorHarness.Generate(files.Select(f => Usings + f).ToArray());

        Assert.Null(run.Generator.Exception);
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        int models = files.Sum(f => f.Split("[Optimize(").Length - 1);
        Assert.Equal(models, run.Sources.Count);
        Assert.Equal(models, run.Sources.Select(s => s.HintName.ToUpperInvariant()).Distinct().Count());
        Assert.Empty(run.CompileDiagnostics);
    }

    /// <summary>
    /// [Optimize] on two partial declarations of one class: the compiler's CS0579 (duplicate attribute) at the second is the
    /// one error; the model is generated once from the first, so no CS8785 drops the other models of the project.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Optimize_on_two_partial_declarations_generates_the_model_once(bool sameFile)
    {
        string first = $"[Optimize(Adam)] public partial class M {{ {W} }}";
        string second = "[[|Optimize|](Sgd)] public partial class M { [Parameter(2)] public partial Span<float> V { get; } }";
        string other = $"[Optimize(Sgd)] public partial class Other {{ {W} }}";
        MarkedSource marked = MarkedSource.Parse(Usings + (sameFile ? first + "\n" + second : second));
        string[] files = sameFile ? new[] { marked.Text, Usings + other } : new[] { Usings + first, marked.Text, Usings + other };

        GeneratorHarness.Run run = GeneratorHarness.Generate(files);

        Assert.Null(run.Generator.Exception);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(2, run.Sources.Count);
        Diagnostic error = Assert.Single(run.Output.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal("CS0579", error.Id);
        Assert.Equal(marked.Spans.Single(), error.Location.SourceSpan);
        Assert.Equal(sameFile ? "Model0.cs" : "Model1.cs", error.Location.SourceTree!.FilePath);
        Assert.NotNull(run.Output.GetTypeByMetadataName("Other")!.GetMembers("Step").SingleOrDefault());
    }

    /// <summary>Keywords escaped with '@' round-trip: in the model's name, a parameter's, a namespace's and a type parameter's.</summary>
    [Theory]
    [InlineData("[Optimize(Adam)] public partial class @class { [Parameter(3)] public partial Span<float> W { get; } }", "@class")]
    [InlineData("[Optimize(Adam)] public partial class M { [Parameter(3)] public partial Span<float> @int { get; } }", "M")]
    [InlineData("namespace My.@event { [Optimize(Adam)] public partial class M { [Parameter(3)] public partial Span<float> W { get; } } }", "My.@event.M")]
    [InlineData("[Optimize(Adam)] public partial class G<@var> { [Parameter(3)] public partial Span<float> @record { get; } }", "G<@var>")]
    [InlineData("[Optimize(Asgd)] public partial class @partial { [Parameter(3)] public partial Span<float> @base { get; } }", "@partial")]
    public void Escaped_identifiers_round_trip(string source, string model)
    {
        GeneratorHarness.Run run = GeneratorHarness.Generate(Usings + source);

        Assert.Null(run.Generator.Exception);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Single(run.Sources);
        Assert.Empty(run.CompileDiagnostics);
        Assert.NotNull(run.Output.GetTypeByMetadataName(model.Replace("@", "").Replace("<var>", "`1")));
    }
}
