using System.Linq;
using Microsoft.CodeAnalysis;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.Networks;

/// <summary>
/// The networks front end's diagnostics: each fires at the marked construct (between [| and |]) and nothing else fires;
/// the generator never throws. Valid networks generate two files that compile without a warning.
/// </summary>
public sealed class NetworkDiagnosticTests
{
    private const string Usings = "using System;\nusing Optim;\nusing static Optim.Optimizer;\n";
    private const string Layers = "[Linear(10, 5)] public partial Linear<float> A { get; } [Linear(5, 2)] public partial Linear<float> B { get; }";

    private static string Model(string forward, string attribute = "[Forward]", string layers = Layers) =>
        $"[Optimize(Adam)] public partial class M {{ {layers} {attribute} public Tensor<float> Forward([Shape(10)] Tensor<float> x) {forward} }}";

    public static TheoryData<string, string> Misuses => new()
    {
        // OPT0060: constructs outside the vocabulary, at the construct.
        { "OPT0060", Model("{ var h = A.Forward(x); [|for (int i = 0; i < 3; i++) { h = Nn.Relu(h); }|] return B.Forward(h); }") },
        { "OPT0060", Model("{ var h = A.Forward(x); [|if (h.Batch > 1) { h = Nn.Relu(h); }|] return B.Forward(h); }") },
        { "OPT0060", Model("=> B.Forward([|Helper(A.Forward(x))|]); static Tensor<float> Helper(Tensor<float> t) => t;") },
        { "OPT0060", Model("=> B.Forward([|_saved|]); private Tensor<float> _saved = null!;") },
        { "OPT0060", Model("=> B.Forward(A.Forward(x) * [|Scale|]); private static double Scale => 2;") },
        { "OPT0060", Model("=> B.Forward(Nn.LeakyRelu(A.Forward(x), [|Slope|])); private static double Slope => 0.1;") },
        { "OPT0060", Model("{ Tensor<float> [|h|]; h = A.Forward(x); return B.Forward(h); }") },
        // A local whose value failed is one diagnostic, where it failed, not another at each later read.
        { "OPT0060", Model("{ var h = [|Helper(A.Forward(x))|]; var g = Nn.Relu(h); return B.Forward(g + h); } static Tensor<float> Helper(Tensor<float> t) => t;") },
        { "OPT0060", Model("{ var h = A.Forward(x); h = [|Helper(h)|]; return B.Forward(h); } static Tensor<float> Helper(Tensor<float> t) => t;") },
        // OPT0061: shapes, naming both.
        { "OPT0061", Model("=> [|B.Forward(x)|];") },
        { "OPT0061", Model("=> B.Forward([|A.Forward(x) + x|]);") },
        // OPT0062: layer declarations.
        { "OPT0062", Model("=> B.Forward(A.Forward(x));", layers: "[Linear(10, 5)] public partial Linear<float> A { get; } [Linear(5, 2)] public Linear<float> [|B|] { get; }") },
        { "OPT0062", Model("=> B.Forward(A.Forward(x));", layers: "[Linear(10, 5)] public partial Linear<float> A { get; } [Linear(5, 2)] public partial Linear<int> [|B|] { get; }") },
        { "OPT0062", Model("=> B.Forward(A.Forward(x));", layers: "[Linear(10, 5)] public partial Linear<float> A { get; } [Linear(0, 2)] public partial Linear<float> [|B|] { get; }") },
        // OPT0063: the forward method's declaration.
        { "OPT0063", "[Optimize(Adam)] public partial class M { [Linear(10, 5)] public partial Linear<float> A { get; } [Forward] public Tensor<float> Forward(Tensor<float> [|x|]) => A.Forward(x); }" },
        { "OPT0063", "[Optimize(Adam)] public partial class M { [Linear(10, 5)] public partial Linear<float> A { get; } [Forward] public [|Tensor<double>|] Forward([Shape(10)] Tensor<double> x) => throw null!; }" },
        { "OPT0063", Model("=> A.Forward(x);", "[Forward(Criterion = Criterion.CrossEntropy, MaxBatch = 0)]").Replace("Tensor<float> Forward(", "Tensor<float> [|Forward|](") },
        { "OPT0063", "[Optimize(Adam)] public partial class [|M|] { [Linear(10, 5)] public partial Linear<float> A { get; } }" },
    };

    [Theory]
    [MemberData(nameof(Misuses))]
    public void Diagnostic_fires_at_the_marked_construct_and_nothing_else_fires(string id, string marked)
    {
        MarkedSource source = MarkedSource.Parse(Usings + marked);

        GeneratorHarness.Run run = GeneratorHarness.Generate(source.Text);

        Assert.Null(run.Generator.Exception);
        Assert.Equal(source.Spans.Select(span => $"{id} {span}"), run.GeneratorDiagnostics.Select(d => $"{d.Id} {d.Location.SourceSpan}"));
        Assert.Equal(DiagnosticSeverity.Error, run.GeneratorDiagnostics.Single().Severity);
        Assert.True(System.IO.File.Exists(System.IO.Path.Combine(Repository.Root, "docs", "diagnostics", id + ".md")), $"docs/diagnostics/{id}.md is missing");
    }

    [Fact]
    public void A_shape_mismatch_names_both_shapes()
    {
        GeneratorHarness.Run run = GeneratorHarness.Generate(Usings + Model("=> B.Forward(x);"));

        string message = Assert.Single(run.GeneratorDiagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("Shape mismatch: Linear(5, 2) 'B' takes [batch, …, 5] but is given [batch, 10]", message);
    }

    public static TheoryData<string> ValidNetworks => new()
    {
        Model("=> B.Forward(Nn.Relu(A.Forward(x)));"),
        Model("{ var h = Nn.Tanh(A.Forward(x)); h = h + h * 0.5; return B.Forward(Nn.LeakyRelu(h, 0.2)); }", "[Forward(MaxBatch = 3, Criterion = Criterion.CrossEntropy)]"),
        // A parameter used twice and a network with two inputs.
        "[Optimize(Sgd, Lr = 0.1)] public partial class M { [Linear(4, 4)] public partial Linear<double> Shared { get; } [Forward(Criterion = Criterion.L1)] public Tensor<double> Forward([Shape(4)] Tensor<double> a, [Shape(4)] Tensor<double> b) => Shared.Forward(Nn.Silu(Shared.Forward(a) + b)); }",
        // Ordinary parameters beside layers.
        "[Optimize(AdamW)] public partial class M { [Parameter(3)] public partial Span<float> Extra { get; } [Linear(3, 1)] internal partial Linear<float> Head { get; } [Forward(Criterion = Criterion.BinaryCrossEntropyWithLogits)] internal Tensor<float> Forward([Shape(3)] Tensor<float> x) => Head.Forward(Nn.Gelu(x)); }",
    };

    [Theory]
    [MemberData(nameof(ValidNetworks))]
    public void Valid_networks_produce_no_diagnostic_and_compile_cleanly(string model)
    {
        GeneratorHarness.Run run = GeneratorHarness.Generate(Usings + model);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompileDiagnostics);
        Assert.Equal(2, run.Sources.Count);
    }
}
