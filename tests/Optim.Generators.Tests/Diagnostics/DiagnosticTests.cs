using System.Linq;
using Microsoft.CodeAnalysis;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.Diagnostics;

/// <summary>
/// Each diagnostic fires on its misuse, at the marked location, and nothing else fires. Sources are written
/// with [|…|] around the span the diagnostic must point at.
/// </summary>
public sealed class DiagnosticTests
{
    private const string Usings = "using System;\nusing Optim;\nusing static Optim.Optimizer;\n";
    private const string W = "[Parameter(3)] public partial Span<float> W { get; }";

    public static TheoryData<string, string> Misuses => new()
    {
        // OPT0001: the model and every type containing it must be partial.
        { "OPT0001", $"[Optimize(Adam)] public class [|M|] {{ {W} }}" },
        { "OPT0001", $"public class [|Outer|] {{ [Optimize(Adam)] public partial class M {{ {W} }} }}" },
        // OPT0002: parameter properties must be partial.
        { "OPT0002", "[Optimize(Adam)] public partial class M { [Parameter(3)] public Span<float> [|W|] { get; } }" },
        // OPT0003: parameter type.
        { "OPT0003", "[Optimize(Adam)] public partial class M { [Parameter(3)] public partial [|float[]|] W { get; } }" },
        { "OPT0003", "[Optimize(Adam)] public partial class M { [Parameter(3)] public partial [|Span<int>|] W { get; } }" },
        { "OPT0003", "[Optimize(Adam)] public partial class M { [Parameter(3)] public partial [|ReadOnlySpan<float>|] W { get; } }" },
        // OPT0004: dimensions.
        { "OPT0004", "[Optimize(Adam)] public partial class M { [Parameter(5, [|0|])] public partial Span<float> W { get; } }" },
        { "OPT0004", "[Optimize(Adam)] public partial class M { [Parameter([|-3|])] public partial Span<float> W { get; } }" },
        // OPT0005: a parameter, or the model, larger than one arena holds.
        { "OPT0005", "[Optimize(Sgd)] public partial class M { [[|Parameter(65536, 65536)|]] public partial Span<float> W { get; } }" },
        { "OPT0005", "[Optimize(Adam)] public partial class M { [[|Parameter(1000, 1000, 1000)|]] public partial Span<float> W { get; } }" },
        { "OPT0005", "[Optimize(Adam)] public partial class [|M|] { [Parameter(400_000_000)] public partial Span<float> A { get; } [Parameter(400_000_000)] public partial Span<float> B { get; } }" },
        // OPT0006: no parameters.
        { "OPT0006", "[Optimize(Adam)] public partial class [|M|] { public Span<float> W => default; }" },
        // OPT0007: hyperparameters out of range, and invalid combinations.
        { "OPT0007", $"[Optimize(Adam, [|Lr = -1|])] public partial class M {{ {W} }}" },
        { "OPT0007", $"[Optimize(Adam, [|Lr = 0|])] public partial class M {{ {W} }}" },
        { "OPT0007", $"[Optimize(Sgd, [|Lr = double.NaN|])] public partial class M {{ {W} }}" },
        { "OPT0007", $"[Optimize(Adam, [|Beta1 = 1.0|])] public partial class M {{ {W} }}" },
        { "OPT0007", $"[Optimize(AdamW, [|Beta2 = -0.1|])] public partial class M {{ {W} }}" },
        { "OPT0007", $"[Optimize(Momentum, [|Beta = 1|])] public partial class M {{ {W} }}" },
        { "OPT0007", $"[Optimize(Adam, [|Eps = -1e-8|])] public partial class M {{ {W} }}" },
        { "OPT0007", $"[Optimize(Sgd, [|Momentum = -0.9|])] public partial class M {{ {W} }}" },
        { "OPT0007", $"[Optimize(Adam, [|WeightDecay = -0.01|])] public partial class M {{ {W} }}" },
        { "OPT0007", $"[Optimize(Sgd, Lr = 0.1, [|Nesterov = true|])] public partial class M {{ {W} }}" },
        { "OPT0007", $"[Optimize(Sgd, Momentum = 0.9, Dampening = 0.1, [|Nesterov = true|])] public partial class M {{ {W} }}" },
        { "OPT0007", $"[Optimize(Sgd, [|Lr = double.PositiveInfinity|])] public partial class M {{ {W} }}" },
        // OPT0008 (warning): a hyperparameter the optimizer does not use.
        { "OPT0008", $"[Optimize(Momentum, [|Eps = 1e-8|])] public partial class M {{ {W} }}" },
        { "OPT0008", $"[Optimize(Sgd, [|Amsgrad = true|])] public partial class M {{ {W} }}" },
        { "OPT0008", $"[Optimize(Adam, [|Momentum = 0.9|])] public partial class M {{ {W} }}" },
        // OPT0010: mixed element types.
        { "OPT0010", "[Optimize(Adam)] public partial class M { [Parameter(3)] public partial Span<float> A { get; } [Parameter(3)] public partial [|Span<double>|] B { get; } }" },
        // OPT0011: not a get-only instance property declaration.
        { "OPT0011", "[Optimize(Adam)] public partial class M { [Parameter(3)] public partial Span<float> [|W|] { get; set; } }" },
        { "OPT0011", "[Optimize(Adam)] public partial class M { [Parameter(3)] public static partial Span<float> [|W|] { get; } }" },
        // OPT0012: a member whose name Optim generates.
        { "OPT0012", $"[Optimize(Adam)] public partial class M {{ {W} public void [|Step|]() {{ }} }}" },
        { "OPT0012", $"[Optimize(Adam)] public partial class M {{ {W} public int [|WGrad|] => 0; }}" },
        // OPT0007 for the newer optimizers' ranges and combinations.
        { "OPT0007", $"[Optimize(Rprop, [|EtaPlus = 1|])] public partial class M {{ {W} }}" },
        { "OPT0007", $"[Optimize(Rprop, [|EtaMinus = 1|])] public partial class M {{ {W} }}" },
        { "OPT0007", $"[Optimize(Rprop, [|StepSizeMin = 2|], StepSizeMax = 1)] public partial class M {{ {W} }}" },
        { "OPT0007", $"[Optimize(RmsProp, [|Alpha = 1.5|])] public partial class M {{ {W} }}" },
        { "OPT0007", "[Optimize(Muon, [|NsSteps = 0|])] public partial class M { [Parameter(3, 2)] public partial Span<float> W { get; } }" },
        { "OPT0007", "[Optimize(Muon, [|Momentum = 1|])] public partial class M { [Parameter(3, 2)] public partial Span<float> W { get; } }" },
        { "OPT0008", $"[Optimize(Lion, [|Eps = 1e-8|])] public partial class M {{ {W} }}" },
        // OPT0030: Muon orthogonalizes matrices; a vector or a 3-D parameter is pointed at by its [Parameter].
        { "OPT0030", "[Optimize(Muon)] public partial class M { [Parameter(3, 2)] public partial Span<float> A { get; } [[|Parameter(3)|]] public partial Span<float> B { get; } }" },
        { "OPT0030", "[Optimize(Muon)] public partial class M { [[|Parameter(2, 3, 4)|]] public partial Span<float> W { get; } }" },
        // Parameter groups: [Optimize] on a property is checked like the class's, at its own arguments.
        { "OPT0007", "[Optimize(Adam)] public partial class M { [Parameter(3), Optimize(Sgd, [|Lr = -1|])] public partial Span<float> W { get; } }" },
        { "OPT0008", "[Optimize(Adam)] public partial class M { [Parameter(3), Optimize(Adam, [|Threads = 2|])] public partial Span<float> W { get; } }" },
        { "OPT0013", "[Optimize(Adam)] public partial class M { [Parameter(3), Optimize([|(Optimizer)99|])] public partial Span<float> W { get; } }" },
        { "OPT0030", "[Optimize(Adam)] public partial class M { [[|Parameter(3)|], Optimize(Muon)] public partial Span<float> W { get; } }" },
        // OPT0031: not a class; OPT0032: file-local, the model or a type containing it.
        { "OPT0031", $"[Optimize(Adam)] public partial struct [|M|] {{ {W} }}" },
        { "OPT0031", $"[Optimize(Adam)] public partial record struct [|M|] {{ {W} }}" },
        { "OPT0031", $"[Optimize(Adam)] public partial interface [|M|] {{ {W} }}" },
        { "OPT0032", $"[Optimize(Adam)] file partial class [|M|] {{ {W} }}" },
        { "OPT0032", $"file partial class [|Outer|] {{ [Optimize(Adam)] public partial class M {{ {W} }} }}" },
        // OPT0033: a hand-written implementation of a parameter property; OPT0011 for an explicit interface implementation.
        { "OPT0033", "[Optimize(Adam)] public partial class M { [Parameter(3)] public partial Span<float> W { get; } public partial Span<float> [|W|] => default; }" },
        { "OPT0011", "public interface I { Span<float> W { get; } } [Optimize(Adam)] public partial class M : I { [Parameter(3)] partial Span<float> I.[|W|] { get; } }" },
        // OPT0034: an inherited member with a generated name; OPT0035: a model derived from a model; OPT0036: reserved namespace.
        { "OPT0034", $"public abstract class Base {{ public abstract void Step(); }} [Optimize(Adam)] public partial class M : [|Base|] {{ {W} }}" },
        { "OPT0034", $"public class Base {{ public int Parameters => 0; }} [Optimize(Adam)] public partial class M : [|Base|] {{ {W} }}" },
        { "OPT0035", $"[Optimize(Adam)] public partial class Base {{ {W} }} [Optimize(Sgd)] public partial class M : [|Base|] {{ [Parameter(2)] public partial Span<float> V {{ get; }} }}" },
        { "OPT0036", $"namespace Optim.Generated {{ [Optimize(Adam)] public partial class [|Kernel|] {{ {W} }} }}" },
        // OPT0013: an enum value that names no optimizer.
        { "OPT0013", $"[Optimize([|(Optimizer)42|])] public partial class M {{ {W} }}" },
        // OPT0016: invalid or missing schedule arguments; OPT0017 (warning): arguments the schedule ignores.
        { "OPT0016", $"[Optimize(Adam)] [LrSchedule(ScheduleKind.StepLR, [|StepSize = 0|])] public partial class M {{ {W} }}" },
        { "OPT0016", $"[Optimize(Adam)] [[|LrSchedule(ScheduleKind.CosineAnnealingLR)|]] public partial class M {{ {W} }}" },
        { "OPT0016", $"[Optimize(Adam)] [LrSchedule(ScheduleKind.MultiStepLR, [|Milestones = new[] {{ 5, 3 }}|])] public partial class M {{ {W} }}" },
        { "OPT0016", $"[Optimize(Adam)] [LrSchedule(ScheduleKind.LinearLR, [|StartFactor = 0|])] public partial class M {{ {W} }}" },
        { "OPT0016", $"[Optimize(Adam)] [LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = 10, [|WarmupSteps = -1|])] public partial class M {{ {W} }}" },
        { "OPT0016", $"[Optimize(Adam)] [LrSchedule(ScheduleKind.CyclicLR, BaseLr = 0.1, [|MaxLr = 0.01|])] public partial class M {{ {W} }}" },
        { "OPT0016", $"[Optimize(Adam)] [LrSchedule([|(ScheduleKind)77|])] public partial class M {{ {W} }}" },
        { "OPT0017", $"[Optimize(Adam)] [LrSchedule(ScheduleKind.ExponentialLR, Gamma = 0.9, [|TMax = 5|])] public partial class M {{ {W} }}" },
        // OPT0014: static model.
        { "OPT0014", $"[Optimize(Adam)] public static partial class [|M|] {{ {W} }}" },
        // OPT0040-0046: custom rules. One diagnostic per rejected construct, at that construct.
        { "OPT0040", $"[Optimize(Custom)] public partial class [|M|] {{ {W} }}" },
        { "OPT0041", $"[Optimize(Custom)] public partial class M {{ {W} {Sgd} [UpdateRule] static void [|Other|](ref float p, float g) {{ }} }}" },
        { "OPT0042", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] public void [|R|](ref float p, float g) {{ }} }}" },
        { "OPT0042", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static [|int|] R(ref float p, float g) => 0; }}" },
        { "OPT0042", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R[|<T>|](ref float p, float g) {{ }} }}" },
        { "OPT0042", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R([|float p|], float g) {{ }} }}" },
        { "OPT0042", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, [|ref float g|]) {{ }} }}" },
        { "OPT0042", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g, [|out float o|]) {{ o = 0; }} }}" },
        { "OPT0042", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g, float lr, [|int step|]) {{ }} }}" },
        { "OPT0042", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R([|ref double p|], double g) {{ }} }}" },
        { "OPT0043", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) {{ [|for (int i = 0; i < 3; i++) p -= g;|] }} }}" },
        { "OPT0043", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) {{ [|while (p > 1) p /= 2;|] }} }}" },
        { "OPT0043", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) => p = [|Helper(g)|]; static float Helper(float x) => x; }}" },
        // A local whose value failed: one diagnostic where it failed, none at its later reads.
        { "OPT0043", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) {{ float d = [|Helper(g)|]; p -= d * d; }} static float Helper(float x) => x; }}" },
        { "OPT0043", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) {{ float d; if ([|Helper(g)|] > 0) {{ d = g; }} else {{ d = -g; }} p -= d; }} static float Helper(float x) => x; }}" },
        { "OPT0043", $"[Optimize(Custom)] public partial class M {{ {W} static float s; [UpdateRule] static void R(ref float p, float g) {{ [|s|] = g; }} }}" },
        { "OPT0043", $"[Optimize(Custom)] public partial class M {{ {W} static float s = 1; [UpdateRule] static void R(ref float p, float g) {{ p -= [|s|] * g; }} }}" },
        { "OPT0043", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) {{ ref float [|q = ref p|]; }} }}" },
        { "OPT0043", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) {{ if (g > 0) {{ [|throw new InvalidOperationException();|] }} }} }}" },
        { "OPT0043", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) {{ [|try {{ p -= g; }} finally {{ }}|] }} }}" },
        { "OPT0043", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) {{ if (g > 0) {{ [|return;|] }} p -= g; }} }}" },
        { "OPT0043", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) {{ float x = 0; p = [|x = g|]; }} }}" },
        { "OPT0043", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) {{ float[] a = [|new float[2]|]; }} }}" },
        { "OPT0044", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) => p -= [|MathF.Exp(g)|]; }}" },
        { "OPT0044", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g, long step) => p = [|MathF.Pow(p, step)|]; }}" },
        { "OPT0044", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) => p = [|p % 2|]; }}" },
        { "OPT0045", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) => p -= [|MathF.Sign(g) * 2|]; }}" },
        { "OPT0045", "[Optimize(Custom)] public partial class M { [Parameter(3)] public partial Span<double> W { get; } [UpdateRule] static void R(ref double p, double g) => p = [|(float)g|]; }" },
        { "OPT0045", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) => p = (float)([|g > 0 ? (double)g : 1.0|]); }}" },
        { "OPT0046", $"[Optimize(Adam)] public partial class M {{ {W} [UpdateRule] static void [|R|](ref float p, float g) {{ }} }}" },
        // OPT0047: a per-step value that can throw, computed by the method only under a condition.
        { "OPT0047", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g, long step) {{ if (g > 0) p -= g * checked([|step * long.MaxValue|]); }} }}" },
        { "OPT0047", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g, long step) => p = step > 1 ? p : g * ([|1 / (step - 1)|]); }}" },
        { "OPT0047", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g, float lr) {{ if (g > 0) {{ p = [|Math.Clamp(p, -lr, lr)|]; }} }} }}" },
        { "OPT0047", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g, float lr) {{ if (g > 0 && [|MathF.Sign(lr)|] > 0) p = 0; }} }}" },
        // OPT0048: Math.Clamp between element-valued bounds (issue 20: it throws whenever g > 1).
        { "OPT0048", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) => p = [|Math.Clamp(p, g, 1f)|]; }}" },
        { "OPT0048", $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g, float lr) {{ float high = MathF.Abs(g) + lr; p = [|Math.Clamp(p, -lr, high)|]; }} }}" },
        // ClipGradNorm: a positive finite number, on the class.
        { "OPT0007", $"[Optimize(Adam, [|ClipGradNorm = 0|])] public partial class M {{ {W} }}" },
        { "OPT0007", $"[Optimize(Adam, [|ClipGradNorm = -1|])] public partial class M {{ {W} }}" },
        { "OPT0007", $"[Optimize(Adam, [|ClipGradNorm = double.NaN|])] public partial class M {{ {W} }}" },
        { "OPT0007", $"[Optimize(Sgd, [|ClipGradNorm = double.PositiveInfinity|])] public partial class M {{ {W} }}" },
        { "OPT0008", "[Optimize(Adam)] public partial class M { [Parameter(3), Optimize(Sgd, [|ClipGradNorm = 1|])] public partial Span<float> W { get; } }" },
        { "OPT0008", "[Optimize(Adam)] public partial class M { [Parameter(3), Optimize(Sgd, [|SkipNonFinite = true|])] public partial Span<float> W { get; } }" },
        // OPT0037: a parameter whose gradient view is a generated member's name.
        { "OPT0037", "[Optimize(Sgd)] public partial class M { [Parameter(3)] public partial Span<float> [|Zero|] { get; } }" },
        // OPT0050-0051: initialisation.
        { "OPT0050", "[Optimize(Sgd)] public partial class M { [Parameter(3, [|Init = Initialization.KaimingUniform|])] public partial Span<float> W { get; } }" },
        { "OPT0050", "[Optimize(Sgd)] public partial class M { [Parameter(3, [|Init = Initialization.XavierNormal|])] public partial Span<float> W { get; } }" },
        { "OPT0050", "[Optimize(Sgd)] public partial class M { [Parameter(3, [|Init = Initialization.LinearDefault|])] public partial Span<float> W { get; } }" },
        { "OPT0050", "[Optimize(Sgd)] public partial class M { [Parameter(3, 4, Init = Initialization.LinearDefault, [|FanIn = -1|])] public partial Span<float> W { get; } }" },
        { "OPT0050", "[Optimize(Sgd)] public partial class M { [Parameter(3, Init = Initialization.Uniform, [|Low = 2|], High = 1)] public partial Span<float> W { get; } }" },
        { "OPT0050", "[Optimize(Sgd)] public partial class M { [Parameter(3, Init = Initialization.Uniform, [|Low = double.NaN|])] public partial Span<float> W { get; } }" },
        { "OPT0050", "[Optimize(Sgd)] public partial class M { [Parameter(3, Init = Initialization.Uniform, Low = -1, [|High = double.PositiveInfinity|])] public partial Span<float> W { get; } }" },
        { "OPT0050", "[Optimize(Sgd)] public partial class M { [Parameter(3, Init = Initialization.Uniform, Low = -1e308, [|High = 1e308|])] public partial Span<float> W { get; } }" },
        { "OPT0050", "[Optimize(Sgd)] public partial class M { [Parameter(3, Init = Initialization.Normal, [|Std = -1|])] public partial Span<float> W { get; } }" },
        { "OPT0050", "[Optimize(Sgd)] public partial class M { [Parameter(3, 3, Init = Initialization.XavierUniform, [|Gain = -2|])] public partial Span<float> W { get; } }" },
        { "OPT0050", "[Optimize(Sgd)] public partial class M { [Parameter(3, 3, Init = Initialization.KaimingNormal, [|NegativeSlope = double.NaN|])] public partial Span<float> W { get; } }" },
        { "OPT0050", "[Optimize(Sgd)] public partial class M { [Parameter(3, [|Init = (Initialization)42|])] public partial Span<float> W { get; } }" },
        { "OPT0051", "[Optimize(Sgd)] public partial class M { [Parameter(3, Init = Initialization.Uniform, [|Std = 2|])] public partial Span<float> W { get; } }" },
        { "OPT0051", "[Optimize(Sgd)] public partial class M { [Parameter(3, [|Low = -1|])] public partial Span<float> W { get; } }" },
        { "OPT0051", "[Optimize(Sgd)] public partial class M { [Parameter(3, 3, Init = Initialization.KaimingUniform, [|Gain = 2|])] public partial Span<float> W { get; } }" },
    };

    private const string Sgd = "[UpdateRule] public static void Sgd(ref float p, float g, float lr) => p -= lr * g;";

    [Theory]
    [MemberData(nameof(Misuses))]
    public void Diagnostic_fires_at_the_marked_location_and_nothing_else_fires(string id, string marked)
    {
        MarkedSource source = MarkedSource.Parse(Usings + marked);

        GeneratorHarness.Run run = GeneratorHarness.Generate(source.Text);

        Assert.Null(run.Generator.Exception);
        var reported = run.GeneratorDiagnostics.Select(d => $"{d.Id} {d.Location.SourceSpan}").ToList();
        var expected = source.Spans.Select(span => $"{id} {span}").ToList();
        Assert.Equal(expected, reported);
        Diagnostic diagnostic = run.GeneratorDiagnostics.Single();
        Assert.Equal(id is "OPT0008" or "OPT0017" or "OPT0046" or "OPT0051" ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.EndsWith($"/docs/diagnostics/{id}.md", diagnostic.Descriptor.HelpLinkUri, System.StringComparison.Ordinal);
        Assert.True(System.IO.File.Exists(System.IO.Path.Combine(Repository.Root, "docs", "diagnostics", id + ".md")), $"docs/diagnostics/{id}.md is missing");
    }

    /// <summary>OPT0045 names the type the element values are computed in, never the rule's own type, and the fix for it.</summary>
    [Theory]
    [InlineData("p = (float)(g > 0 ? 3 : 100000000)", "computes element values as int in a float rule", "convert integer values to float")]
    [InlineData("p = (float)(double)MathF.Sign(g)", "computes element values as int in a float rule", "convert integer values to float")]
    [InlineData("p = g * (int)g", "computes element values as int in a float rule", "convert integer values to float")]
    [InlineData("p = (float)(g > 0 ? (double)g : 1.0)", "chooses between double values by a float condition in a float rule", "compare in double")]
    public void OPT0045_says_which_precision_and_how_to_fix_it(string body, string says, string fix)
    {
        GeneratorHarness.Run run = GeneratorHarness.Generate(Usings + $"[Optimize(Custom)] public partial class M {{ {W} [UpdateRule] static void R(ref float p, float g) => {body}; }}");

        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("OPT0045", diagnostic.Id);
        string message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(says, message, System.StringComparison.Ordinal);
        Assert.Contains(fix, message, System.StringComparison.Ordinal);
        Assert.DoesNotContain("as float in a float rule", message, System.StringComparison.Ordinal);
    }

    [Fact]
    public void OPT0009_fires_on_a_language_version_without_partial_properties()
    {
        MarkedSource source = MarkedSource.Parse(Usings + $"[[|Optimize(Adam)|]] public partial class M {{ {W} }}");
        var csharp12 = GeneratorHarness.ParseOptions.WithLanguageVersion(Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp12);

        GeneratorHarness.Run run = GeneratorHarness.Generate(new[] { source.Text }, csharp12);

        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("OPT0009", diagnostic.Id);
        Assert.Equal(source.Spans.Single(), diagnostic.Location.SourceSpan);
        Assert.Contains("12.0", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), System.StringComparison.Ordinal);
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void Hyperparameter_errors_still_generate_the_model_so_only_the_real_error_shows()
    {
        GeneratorHarness.Run run = GeneratorHarness.Generate(Usings + $"[Optimize(Adam, Lr = -1)] public partial class M {{ {W} }}");

        Assert.Equal("OPT0007", Assert.Single(run.GeneratorDiagnostics).Id);
        Assert.Single(run.Sources);
        Assert.Empty(run.CompileDiagnostics);
    }

    [Fact]
    public void Messages_name_the_problem()
    {
        GeneratorHarness.Run run = GeneratorHarness.Generate(Usings + $"[Optimize(Adam, Beta2 = 1.5)] public partial class M {{ {W} }}");

        string message = Assert.Single(run.GeneratorDiagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("Beta2 = 1.5 is invalid for Adam: it must be in [0, 1)", message);
    }

    [Fact]
    public void OPT0008_on_a_parameter_group_says_where_the_model_argument_goes()
    {
        GeneratorHarness.Run run = GeneratorHarness.Generate(Usings + "[Optimize(Adam)] public partial class M { [Parameter(3), Optimize(Sgd, Threads = 2)] public partial Span<float> W { get; } }");

        string message = Assert.Single(run.GeneratorDiagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("A parameter's [Optimize] does not use Threads; the value is ignored (Threads applies to the whole model: set it in the class's [Optimize])", message);
    }

    [Fact]
    public void OPT0008_lists_what_the_optimizer_uses()
    {
        GeneratorHarness.Run run = GeneratorHarness.Generate(Usings + $"[Optimize(Momentum, Eps = 1e-8)] public partial class M {{ {W} }}");

        string message = Assert.Single(run.GeneratorDiagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.StartsWith("Momentum does not use Eps; the value is ignored (it uses Lr, ", message, System.StringComparison.Ordinal);
    }

    public static TheoryData<string> ValidModels => new()
    {
        $"[Optimize(Adam, Lr = 1e-3)] public partial class M {{ {W} }}",
        "[Optimize(Sgd, Lr = 0.1, Momentum = 0.9, Nesterov = true, WeightDecay = 1e-4, Maximize = true)] internal sealed partial class M { [Parameter(2, 3, 4)] internal partial Span<double> W { get; } [Parameter] private partial Span<double> S { get; } }",
        "[Optimize(Momentum, Beta = 0)] public partial record R { [Parameter(1)] public partial Span<float> W { get; } }",
        $"public partial class Outer {{ [Optimize(AdamW, Amsgrad = true)] protected internal partial class M<T> where T : class {{ {W} }} }}",
        $"namespace A.B {{ [Optimize(Sgd, Momentum = 0.5, Dampening = 1)] public abstract partial class M {{ {W} }} }}",
        $"[Optimize(Adam)] public partial class Split {{ {W} }} public partial class Split {{ [Parameter(2)] public partial Span<float> V {{ get; }} }}",
    };

    [Theory]
    [MemberData(nameof(ValidModels))]
    public void Valid_models_produce_no_diagnostic_and_compile_cleanly(string model)
    {
        GeneratorHarness.Run run = GeneratorHarness.Generate(Usings + model);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompileDiagnostics);
        Assert.Single(run.Sources);
    }
}
