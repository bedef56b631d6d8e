using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.Diagnostics;

/// <summary>
/// Tricky but plausible sources, as an adversarial user writes them. For every one: the generator throws nothing, reports
/// no AD0001, CS8785 or OPT0015, leaves no error or warning inside a generated file, and either generates code for every
/// model (and then nothing is wrong anywhere) or explains with the expected OPT diagnostics. Add a case for every new way
/// to break the generator.
/// </summary>
public sealed class CorpusTests
{
    private const string Usings = "using System;\nusing Optim;\nusing static Optim.Optimizer;\n";
    private const string W = "[Parameter(3)] public partial Span<float> W { get; }";

    /// <summary>Corpus entries: files of one project and the OPT ids expected (empty: valid code for every model).</summary>
    public static IEnumerable<object[]> Corpus() => Entries().Select((e, i) => new object[] { i, e.Files, e.Expected });

    private static IEnumerable<(string[] Files, string[] Expected)> Entries()
    {
        (string[], string[]) Valid(params string[] files) => (files, Array.Empty<string>());
        (string[], string[]) Expect(string ids, params string[] files) => (files, ids.Split(' '));

        // Kinds.
        yield return Valid($"[Optimize(Adam)] public partial class M {{ {W} }}");
        yield return Valid($"[Optimize(Adam)] public partial record R {{ {W} }}");
        yield return Valid($"[Optimize(Adam)] public sealed partial class M {{ {W} }}");
        yield return Valid($"[Optimize(Adam)] internal partial class M {{ {W} }}");
        yield return Valid($"[Optimize(Adam)] public abstract partial class M {{ {W} }}");
        yield return Expect("OPT0031", $"[Optimize(Adam)] public partial struct M {{ {W} }}");
        yield return Expect("OPT0031", $"[Optimize(Adam)] public readonly partial struct M {{ {W} }}");
        yield return Expect("OPT0031", $"[Optimize(Adam)] public ref partial struct M {{ {W} }}");
        yield return Expect("OPT0031", $"[Optimize(Adam)] public partial record struct M {{ {W} }}");
        yield return Expect("OPT0031", $"[Optimize(Adam)] public partial interface M {{ {W} }}");
        yield return Expect("OPT0014", $"[Optimize(Adam)] public static partial class M {{ {W} }}");
        yield return Expect("OPT0001", $"[Optimize(Adam)] public class M {{ {W} }}");
        yield return Expect("OPT0032", $"[Optimize(Adam)] file partial class M {{ {W} }}");
        yield return Expect("OPT0032", $"file partial class O {{ [Optimize(Adam)] public partial class M {{ {W} }} }}");
        yield return Expect("OPT0032 OPT0032", $"[Optimize(Adam)] file partial class M {{ {W} }}", $"[Optimize(Sgd)] file partial class M {{ {W} }}");

        // Names: keywords, contextual keywords, case, generics, nesting, namespaces.
        foreach (string name in new[] { "@class", "@int", "@event", "var", "@var", "record", "@record", "async", "@partial", "value", "nameof", "dynamic", "_", "__M", "Ünïcødé", "M\u0301" })
        {
            yield return Valid($"[Optimize(Adam)] public partial class {name} {{ {W} }}");
            yield return Valid($"[Optimize(Sgd)] public partial class P{name.TrimStart('@')} {{ [Parameter(2)] public partial Span<float> {name} {{ get; }} }}");
        }

        yield return Valid($"[Optimize(Adam)] public partial class M {{ {W} }}", $"[Optimize(Adam)] public partial class m {{ {W} }}");
        yield return Valid($"[Optimize(Adam)] public partial class M_1 {{ {W} }} [Optimize(Adam)] public partial class M<T> {{ {W} }}");
        yield return Valid($"namespace A {{ [Optimize(Adam)] public partial class B {{ {W} }} }} public partial class a {{ [Optimize(Adam)] public partial class B {{ {W} }} }}");
        yield return Valid($"namespace My.@event {{ [Optimize(Adam)] public partial class M {{ {W} }} }}");
        yield return Valid($"namespace @namespace.@class {{ [Optimize(Adam)] public partial class @struct {{ {W} }} }}");
        yield return Valid($"namespace N; [Optimize(Adam)] public partial class M {{ {W} }}");
        yield return Valid($"namespace Optim {{ [Optimize(Adam)] public partial class M {{ {W} }} }}");
        yield return Valid($"namespace Optim.Models {{ [Optimize(Adam)] public partial class Kernel {{ {W} }} }}");
        yield return Expect("OPT0036", $"namespace Optim.Generated {{ [Optimize(Adam)] public partial class Kernel {{ {W} }} }}");
        yield return Expect("OPT0036", $"namespace Optim.Generated.Deep {{ [Optimize(Adam)] public partial class M {{ {W} }} }}");
        yield return Valid($"namespace System {{ [Optimize(Adam)] public partial class Span2 {{ {W} }} }}");
        yield return Valid($"public partial class Outer {{ [Optimize(Adam)] public partial class M {{ {W} }} }}");
        yield return Valid($"public partial class Outer<T> {{ public partial class Mid<U> {{ [Optimize(Adam)] public partial class M<V> {{ {W} }} }} }}");
        yield return Valid($"public partial record Outer {{ [Optimize(Adam)] internal partial class M {{ {W} }} }}");
        yield return Valid($"public partial struct Outer {{ [Optimize(Adam)] public partial class M {{ {W} }} }}");
        yield return Valid($"public partial interface IOuter {{ [Optimize(Adam)] public partial class M {{ {W} }} }}");
        yield return Expect("OPT0001", $"public class Outer {{ [Optimize(Adam)] public partial class M {{ {W} }} }}");
        yield return Valid($"public partial class G<T> where T : struct {{ }} [Optimize(Adam)] public partial class M<T> where T : unmanaged {{ {W} }}");
        yield return Valid($"[Optimize(Adam)] public partial class M<@class> {{ {W} }}");

        // Inheritance.
        yield return Valid($"public class Base {{ public int Other => 1; }} [Optimize(Adam)] public partial class M : Base {{ {W} }}");
        yield return Valid($"public interface IThing {{ }} [Optimize(Adam)] public partial class M : IThing {{ {W} }}");
        yield return Valid($"public abstract class Base {{ private void Step() {{ }} }} [Optimize(Adam)] public partial class M : Base {{ {W} }}");
        yield return Expect("OPT0034", $"public abstract class Base {{ public abstract void Step(); }} [Optimize(Adam)] public partial class M : Base {{ {W} }}");
        yield return Expect("OPT0034", $"public class Base {{ public virtual void ZeroGrad() {{ }} }} [Optimize(Adam)] public partial class M : Base {{ {W} }}");
        yield return Expect("OPT0034", $"public class Base {{ public System.Span<float> Parameters => default; }} [Optimize(Adam)] public partial class M : Base {{ {W} }}");
        yield return Expect("OPT0034", $"public class Base {{ protected double LearningRate; }} [Optimize(Adam)] public partial class M : Base {{ {W} }}");
        yield return Expect("OPT0034", $"public class Base {{ public int WGrad; }} [Optimize(Adam)] public partial class M : Base {{ {W} }}");
        yield return Expect("OPT0035", $"[Optimize(Adam)] public partial class Base {{ {W} }} [Optimize(Sgd)] public partial class M : Base {{ [Parameter(2)] public partial Span<float> V {{ get; }} }}");
        yield return Expect("OPT0012", $"[Optimize(Adam)] public partial class M {{ {W} public void Step() {{ }} }}");
        yield return Expect("OPT0012", $"[Optimize(Adam)] public partial class M {{ {W} public int WGrad; }}");
        yield return Expect("OPT0012", $"[Optimize(Asgd)] public partial class M {{ {W} public int WAveraged; }}");

        // Partial parts across files; parameter declarations.
        yield return Valid($"public partial class M {{ public int Other => 1; }}", $"[Optimize(Adam)] public partial class M {{ {W} }}");
        yield return Valid($"[Optimize(Adam)] public partial class M {{ {W} }}", "public partial class M { [Parameter(2)] public partial Span<float> V { get; } }");
        yield return Expect("OPT0033", $"[Optimize(Adam)] public partial class M {{ {W} }}", "public partial class M { public partial Span<float> W => default; }");
        yield return Expect("OPT0033", $"[Optimize(Adam)] public partial class M {{ {W} public partial Span<float> W {{ get => default; }} }}");
        yield return Expect("OPT0011", "public interface I { Span<float> W { get; } } [Optimize(Adam)] public partial class M : I { [Parameter(3)] partial Span<float> I.W { get; } }");
        yield return Expect("OPT0011", "[Optimize(Adam)] public partial class M { [Parameter(3)] public partial Span<float> W { get; set; } }");
        yield return Expect("OPT0011", "[Optimize(Adam)] public partial class M { [Parameter(3)] public static partial Span<float> W { get; } }");
        yield return Expect("OPT0002", "[Optimize(Adam)] public partial class M { [Parameter(3)] public Span<float> W { get; } }");
        yield return Expect("OPT0003", "[Optimize(Adam)] public partial class M { [Parameter(3)] public partial Memory<float> W { get; } }");
        yield return Expect("OPT0003", "[Optimize(Adam)] public partial class M { [Parameter(3)] public partial Span<Half> W { get; } }");
        yield return Expect("OPT0010", "[Optimize(Adam)] public partial class M { [Parameter(3)] public partial Span<float> A { get; } [Parameter(3)] public partial Span<double> B { get; } }");
        yield return Expect("OPT0006", "[Optimize(Adam)] public partial class M { }");
        yield return Valid("[Optimize(Adam)] public partial class M { [Parameter] public partial Span<float> Scalar { get; } }");
        yield return Valid("[Optimize(Adam)] public partial class M { [Parameter(1, 1, 1, 1)] public partial Span<double> W { get; } }");
        yield return Valid("[Optimize(Adam)] public partial class M { [Parameter(3)] private partial Span<float> W { get; } }");
        yield return Valid("[Optimize(Adam)] public partial class M { [Parameter(3)] protected internal partial Span<float> W { get; } }");
        yield return Valid("[Optimize(Adam)] public partial class M { [Parameter(3)] public virtual partial Span<float> W { get; } }");
        yield return Valid("[Optimize(Adam)] public partial class M { [Parameter(3)] public new partial Span<float> W { get; } }");
        yield return Valid("[Optimize(Adam)] public partial class M { [Parameter(3)][Obsolete] public partial Span<float> W { get; } }");
        yield return Valid("[Optimize(Adam)] public partial class M { [Parameter(3, 2, Init = Initialization.XavierUniform)][Obsolete] public partial Span<float> W { get; } }");
        yield return Valid("[Optimize(Adam)] public partial class M { [Parameter(3, Init = Initialization.Normal, Std = 0.1)] public partial Span<double> seed { get; } [Parameter(2, Init = Initialization.Ones)] public partial Span<double> root { get; } }");
        yield return Valid("[Optimize(Adam)] public partial class M { [Parameter(4, Init = Initialization.LinearDefault, FanIn = 7)] public partial Span<float> @int { get; } [Parameter(1, 1, 1, 1, Init = Initialization.KaimingNormal)] public partial Span<float> X { get; } }");
        yield return Expect("OPT0037", "[Optimize(Sgd)] public partial class M { [Parameter(3)] public partial Span<float> Zero { get; } }");
        yield return Valid("[Optimize(Adam, Threads = 2)] public partial class M { [Parameter(3)] public partial Span<float> Count { get; } [Parameter(2)] public partial Span<float> @class { get; } [Parameter(2)] public partial Span<float> Total { get; } }");
        yield return Valid("[Optimize(Lamb, Threads = 2, ClipGradNorm = 1)] public partial class M<T> where T : class { [Parameter(3, 4)] public partial Span<float> W { get; } [Parameter(4)] public partial Span<float> Owner { get; } }");
        yield return Valid("public static partial class Outer { [Optimize(Adafactor, Threads = 2, SkipNonFinite = true)] internal sealed partial class M { [Parameter(3, 4)] public partial Span<double> W { get; } [Parameter(4)] public partial Span<double> tensor { get; } } }");
        yield return Valid("[Optimize(Adam)] public partial class M { /// <summary>Weights.</summary>\n [Parameter(3)] public partial Span<float> W { get; } }");
        yield return Valid("#nullable disable\n[Optimize(Adam)] public partial class M { [Parameter(3)] public partial Span<float> W { get; } }");

        // Attribute argument forms and sizes.
        yield return Valid($"[Optimize(Optimizer.Adam, Lr = 1e-3)] public partial class M {{ {W} }}");
        yield return Valid($"[Optim.Optimize(Optim.Optimizer.Sgd, Lr = 0.1f)] public partial class M {{ {W} }}");
        yield return Valid($"[OptimizeAttribute(Adam)] public partial class M {{ {W} }}");
        yield return Valid($"public static class C {{ public const double Rate = 0.01; public const int N = 7; }} [Optimize(Adam, Lr = C.Rate)] public partial class M {{ [Parameter(C.N, 2 * C.N)] public partial Span<float> W {{ get; }} }}");
        yield return Valid($"[Optimize((Optimizer)2, Lr = (double)(1 + 1) / 100)] public partial class M {{ {W} }}");
        yield return Valid($"[Optimize(Adam, Lr = 1e-3), Obsolete] public partial class M {{ {W} }}");
        yield return Valid($"[Optimize(Sgd, Momentum = 0.9, Nesterov = true, Threads = 1)] public partial class M {{ {W} }}");
        yield return Valid($"[Optimize(Adam, Threads = 4)] public partial class M {{ {W} }}");
        yield return Valid("[Optimize(Adam)] public partial class M { [Parameter(1024, 1024)] public partial Span<float> W { get; } }");
        yield return Valid("[Optimize(Sgd)] public partial class M { [Parameter(2, 1 << 20)] public partial Span<float> W { get; } }");
        yield return Expect("OPT0004", "[Optimize(Adam)] public partial class M { [Parameter(3, 0)] public partial Span<float> W { get; } }");
        yield return Expect("OPT0005", "[Optimize(Adam)] public partial class M { [Parameter(int.MaxValue, 2)] public partial Span<float> W { get; } }");
        yield return Expect("OPT0007", $"[Optimize(Adam, Lr = double.NaN)] public partial class M {{ {W} }}");
        yield return Expect("OPT0007", $"[Optimize(Adam, Lr = -0.0)] public partial class M {{ {W} }}");
        yield return Expect("OPT0007", $"[Optimize(Adam, Beta1 = double.PositiveInfinity)] public partial class M {{ {W} }}");
        yield return Expect("OPT0008", $"[Optimize(Sgd, Beta1 = 0.5)] public partial class M {{ {W} }}");
        yield return Expect("OPT0013", $"[Optimize((Optimizer)(-1))] public partial class M {{ {W} }}");
        yield return Expect("OPT0016", $"[Optimize(Adam)][LrSchedule(ScheduleKind.StepLR)] public partial class M {{ {W} }}");
        yield return Valid($"[Optimize(Adam)][LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = 100, WarmupSteps = 10)] public partial class M {{ {W} }}");

        // Every optimizer, float and double, vector and matrix, groups.
        foreach (string optimizer in Enum.GetNames<Optimizer>())
        {
            string shape = optimizer == "Muon" ? "4, 3" : "5";
            string rule = optimizer == "Custom" ? "[UpdateRule] static void R(ref double p, double g, double lr) => p -= lr * g;" : "";
            yield return Valid($"[Optimize({optimizer})] public partial class M {{ [Parameter({shape})] public partial Span<double> W {{ get; }} [Parameter(2, 2)] public partial Span<double> V {{ get; }} {rule} }}");
        }

        // Custom rules: each misuse is its own diagnostic; odd but valid rules compile.
        const string Rule = "[UpdateRule] public static void R(ref float p, float g, float lr) => p -= lr * g;";
        yield return Expect("OPT0040", $"[Optimize(Custom)] public partial class M {{ {W} }}");
        yield return Expect("OPT0041", $"[Optimize(Custom)] public partial class M {{ {W} {Rule} [UpdateRule] static void S(ref float p, float g) {{ }} }}");
        yield return Expect("OPT0042", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] void R(ref float p, float g) {{ }} }}");
        yield return Expect("OPT0042", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(float p, float g) {{ }} }}");
        yield return Expect("OPT0042", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref double p, double g) {{ }} }}");
        yield return Expect("OPT0042", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static int R(ref float p, float g) => 0; }}");
        yield return Expect("OPT0042", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R<T>(ref float p, float g) {{ }} }}");
        yield return Expect("OPT0042", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g, out float o) {{ o = 0; }} }}");
        yield return Expect("OPT0042", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g, string s) {{ }} }}");
        yield return Expect("OPT0043", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) {{ for (int i = 0; i < 3; i++) p -= g; }} }}");
        yield return Expect("OPT0043", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) {{ System.Console.WriteLine(p); }} }}");
        yield return Expect("OPT0043", $"[Optimize(Custom)] public partial class M {{ {W} static float s; [UpdateRule] static void R(ref float p, float g) {{ s = g; }} }}");
        yield return Expect("OPT0043", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) {{ if (g > 0) throw new InvalidOperationException(); }} }}");
        yield return Expect("OPT0044", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) => p = MathF.Exp(g); }}");
        yield return Expect("OPT0045", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) => p -= MathF.Sign(g) * 2; }}");
        yield return Valid($"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g, long step) => p = (float)(0.5 * g / step + Math.Sqrt(Math.Abs(g))); }}");
        yield return Expect("OPT0046", $"[Optimize(Adam)] public partial class M {{ {W} {Rule} }}");
        yield return Expect("OPT0042", new[] { $"[Optimize(Custom)] public partial class M {{ {W} }}", $"public partial class M {{ {Rule} }}" });
        yield return Valid($"[Optimize(Adam)] public partial class M {{ [Parameter(3)] public partial Span<float> A {{ get; }} [Parameter(3), Optimize(Custom, Lr = 0.5)] public partial Span<float> B {{ get; }} {Rule} }}");
        yield return Valid($"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g, ref float @int, long step) {{ if (step > 2) {{ @int += g; }} p -= @int; }} }}");
        yield return Valid($"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) {{ }} }}");
        yield return Valid($"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float i, float limit, ref float count, ref float inside) {{ float start = i + limit; count = start * inside; i = count; }} }}");

        yield return Valid("[Optimize(Muon)] public partial class M { [Parameter(4, 3)] public partial Span<float> W { get; } [Parameter(4), Optimize(AdamW)] public partial Span<float> B { get; } }");
        yield return Valid("[Optimize(Adam)] public partial class M { [Parameter(3), Optimize(Lamb)] public partial Span<float> A { get; } [Parameter(3), Optimize(Adafactor)] public partial Span<float> B { get; } [Parameter(3), Optimize(Sgd)] public partial Span<float> C { get; } }");
        yield return Valid("[Optimize(Asgd)] public partial class M { [Parameter(3)] public partial Span<float> A { get; } [Parameter(3), Optimize(Asgd, Lr = 0.5)] public partial Span<float> B { get; } }");
        yield return Expect("OPT0030", "[Optimize(Muon)] public partial class M { [Parameter(4, 3)] public partial Span<float> W { get; } [Parameter(4)] public partial Span<float> B { get; } }");
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public void The_generator_either_generates_clean_code_or_explains_with_an_OPT_diagnostic(int index, string[] files, string[] expected)
    {
        GeneratorHarness.Run run = GeneratorHarness.Generate(files.Select(f => Usings + f).ToArray());
        string context = $"corpus entry {index}: {string.Join(" | ", files)}";

        Assert.True(run.Generator.Exception is null, $"{context}: the generator threw {run.Generator.Exception}");
        var all = run.Output.GetDiagnostics().Concat(run.GeneratorDiagnostics).ToList();
        Assert.DoesNotContain(all, d => d.Id is "AD0001" or "CS8785" or "OPT0015");

        // Nothing wrong inside a generated file, whatever the user's code is.
        var generated = run.Generator.GeneratedSources.Select(s => s.SyntaxTree).ToHashSet();
        var inGenerated = run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning && generated.Contains(d.Location.SourceTree!)).ToList();
        Assert.True(inGenerated.Count == 0, $"{context}: {inGenerated.Count} diagnostics in generated code, first: {string.Join("; ", inGenerated.Take(3))}");

        var reported = run.GeneratorDiagnostics.Where(d => d.Id.StartsWith("OPT", StringComparison.Ordinal)).Select(d => d.Id).OrderBy(id => id, StringComparer.Ordinal).ToList();
        Assert.True(expected.OrderBy(id => id, StringComparer.Ordinal).SequenceEqual(reported), $"{context}: expected [{string.Join(", ", expected)}], reported [{string.Join(", ", reported)}]");
        if (expected.Length == 0)
        {
            // Valid: every model got its file and the whole project compiles without errors.
            Assert.Equal(files.Sum(f => f.Split("[Optimize(").Length - 1 + f.Split("[Optim.Optimize(").Length - 1 + f.Split("[OptimizeAttribute(").Length - 1), run.Generator.GeneratedSources.Length);
            Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        }
    }

    [Fact]
    public void The_corpus_has_at_least_100_sources() => Assert.True(Entries().Count() >= 100, $"{Entries().Count()} entries");
}
