using System;
using System.Linq;
using CsCheck;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.Diagnostics;

/// <summary>
/// Broken and half-typed code never makes the generator throw (no AD0001 / CS8785, no OPT0015) and never leaves an error or
/// a warning inside a generated file.
/// </summary>
public sealed class RobustnessTests
{
    private const string Valid = """
        using System;
        using Optim;
        using static Optim.Optimizer;

        namespace Demo
        {
            [Optimize(Adam, Lr = 1e-3, Beta1 = 0.8, Amsgrad = true)]
            public partial class Mlp
            {
                [Parameter(5, 10)] public partial Span<float> W1 { get; }
                [Parameter(5)] public partial Span<float> B1 { get; }
                [Parameter] public partial Span<float> Scale { get; }
            }
        }
        """;

    public static TheoryData<string> Broken => new()
    {
        "[Optimize(",
        "[Optimize(Adam)] public partial class M { [Parameter(5)]partial public partial Span<float> B1 { get; } }",
        "[Optimize(Adam)] public partial class M { [Parameter(5)] public public partial Span<float> B1 { get; } }",
        "[Optimize(Adam, Lr = )] public partial class M { }",
        "[Optimize(Adam, Lr = \"fast\")] public partial class M { [Parameter(3)] public partial Span<float> W { get; } }",
        "[Optimize(Adam, Nesterov = 1)] public partial class M { [Parameter(3)] public partial Span<float> W { get; } }",
        "[Optimize] public partial class M { [Parameter(3)] public partial Span<float> W { get; } }",
        "[Optimize(Adam, Adam)] public partial class M { [Parameter(3)] public partial Span<float> W { get; } }",
        "[Optimize(Unknown)] public partial class M { [Parameter(3)] public partial Span<float> W { get; } }",
        "[Optimize(Adam)] public partial class M { [Parameter(3,] public partial Span<float> W { get; } }",
        "[Optimize(Adam)] public partial class M { [Parameter(\"3\")] public partial Span<float> W { get; } }",
        "[Optimize(Adam)] public partial class M { [Parameter(null)] public partial Span<float> W { get; } }",
        "[Optimize(Adam)] public partial class M { [Parameter(new int[0])] public partial Span<float> W { get; } }",
        "[Optimize(Adam)] public partial class M { [Parameter(3)] public partial Span<Missing> W { get; } }",
        "[Optimize(Adam)] public partial class M { [Parameter(3)] public partial Span<float> W { get; } [Parameter(3)] public partial Span<float> W { get; } }",
        "[Optimize(Adam)] public partial class M { [Parameter(3)] public partial Span<float> W",
        "[Optimize(Adam)] public partial class M { [Parameter(3)] public Span<float> W() => default; }",
        "[Optimize(Adam)] public partial class M { [Parameter(3)] public partial Span<float> this[int i] { get; } }",
        "[Optimize(Adam)] public partial struct S { [Parameter(3)] public partial Span<float> W { get; } }",
        "[Optimize(Adam)] public partial interface I { [Parameter(3)] Span<float> W { get; } }",
        "[Optimize(Adam)] public enum E { A }",
        "[Optimize(Adam)] public delegate void D();",
        "[Optimize(Adam)] [Optimize(Sgd)] public partial class M { [Parameter(3)] public partial Span<float> W { get; } }",
        "public partial class M { [Parameter(3)] public partial Span<float> W { get; } }",
        "[Optim.Optimize(Optim.Optimizer.Adam)] partial class",
        "[Optimize(Adam)] public partial class M<T> { [Parameter(3)] public partial Span<T> W { get; } }",
        "[Optimize(Adam, Lr = -1)] public partial class M { [Parameter(3)] public partial Span<float> W { ]t; } [Parameter(0)] public partial Span<float> V { get; } }",
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void Broken_code_never_makes_the_generator_throw(string code)
    {
        GeneratorHarness.Run run = GeneratorHarness.Generate("using System;\nusing Optim;\nusing static Optim.Optimizer;\n" + code);

        Assert.Null(run.Generator.Exception);
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id == "OPT0015");
        Assert.DoesNotContain(run.Output.GetDiagnostics(), d => d.Id is "CS8785" or "AD0001");
        Assert.Empty(InGeneratedFiles(run));
    }

    /// <summary>Errors and warnings located inside generated files: whatever the user wrote, there must be none.</summary>
    private static System.Collections.Generic.List<Microsoft.CodeAnalysis.Diagnostic> InGeneratedFiles(GeneratorHarness.Run run)
    {
        var generated = run.Generator.GeneratedSources.Select(s => s.SyntaxTree).ToHashSet();
        return run.Output.GetDiagnostics()
            .Where(d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && generated.Contains(tree))
            .ToList();
    }

    /// <summary>The quick suite: 60 mangled models.</summary>
    [Fact]
    public void Randomly_mangled_models_never_make_the_generator_throw() => SampleMangledModels(60);

    /// <summary>The long run (Category=Long): 300 mangled models.</summary>
    [Fact]
    [Trait("Category", "Long")]
    public void Randomly_mangled_models_never_make_the_generator_throw_over_the_long_batch() => SampleMangledModels(300);

    private static void SampleMangledModels(int count)
    {
        // Delete a random slice of a valid model and insert a random fragment: half-typed code as an editor sees it.
        string[] fragments = { "", "(", ")", "]", "[", ",", "-", "0", "1e9", "partial", "static", "{", "}", ";", "\"", "Lr =", "get; set;", "double", "Parameter(" };
        Gen<string> mangled =
            from start in Gen.Int[0, Valid.Length - 1]
            from length in Gen.Int[0, 40]
            from fragment in Gen.OneOf(fragments)
            select Valid.Remove(start, Math.Min(length, Valid.Length - start)).Insert(start, fragment);

        mangled.Sample(
            source =>
            {
                GeneratorHarness.Run run = GeneratorHarness.Generate(source);
                return run.Generator.Exception is null && run.GeneratorDiagnostics.All(d => d.Id != "OPT0015") && InGeneratedFiles(run).Count == 0;
            },
            iter: count,
            threads: 1);
    }
}
