using System.Linq;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.Networks;

/// <summary>The emitted network file (layers, buffers, passes) of a small network of each kind, against committed snapshots.</summary>
public sealed class NetworkSnapshotTests
{
    public static TheoryData<string, string> Cases => new()
    {
        {
            "NetworkSeedMlp",
            """
            [Linear(10, 5)] public partial Linear<float> Hidden { get; }
            [Linear(5, 1)] public partial Linear<float> Output { get; }

            [Forward(MaxBatch = 32, Criterion = Criterion.MeanSquared)]
            public Tensor<float> Forward([Shape(10)] Tensor<float> x) => Output.Forward(Nn.Relu(Hidden.Forward(x)));
            """
        },
        {
            "NetworkResidualTwoInputs",
            """
            [Linear(8, 8)] public partial Linear<double> Block { get; }
            [Linear(8, 3, Bias = false)] internal partial Linear<double> Head { get; }

            [Forward(MaxBatch = 16, Criterion = Criterion.CrossEntropy)]
            public Tensor<double> Forward([Shape(8)] Tensor<double> a, [Shape(8)] Tensor<double> b)
            {
                var h = Nn.Gelu(Block.Forward(a)) + b;
                h = h + Block.Forward(h) * 0.5;
                return Head.Forward(Nn.Dropout(h, 0.1));
            }
            """
        },
        {
            "NetworkConv",
            """
            [Conv2d(1, 4, 3, Padding = 1)] public partial Conv2d<float> Conv { get; }
            [Linear(64, 10)] public partial Linear<float> Output { get; }

            [Forward(MaxBatch = 8, Criterion = Criterion.CrossEntropy)]
            public Tensor<float> Forward([Shape(1, 8, 8)] Tensor<float> image) =>
                Output.Forward(Nn.Flatten(Nn.MaxPool2d(Nn.Relu(Conv.Forward(image)), 2)));
            """
        },
        {
            "NetworkEmbeddingLayerNorm",
            """
            [Embedding(20, 6)] public partial Embedding<float> Tokens { get; }
            [LayerNorm(24)] public partial LayerNorm<float> Norm { get; }
            [Linear(24, 1)] public partial Linear<float> Output { get; }

            [Forward(MaxBatch = 4, Criterion = Criterion.BinaryCrossEntropyWithLogits)]
            public Tensor<float> Forward([Shape(4)] Indices words) => Output.Forward(Norm.Forward(Nn.Flatten(Tokens.Forward(words))));
            """
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Emitted_network_matches_snapshot(string name, string members)
    {
        string source = $$"""
            using System;
            using Optim;
            using static Optim.Optimizer;

            namespace Demo;

            [Optimize(Adam, Lr = 1e-3)]
            public partial class {{name}}
            {
            {{members}}
            }
            """;

        GeneratorHarness.Run run = GeneratorHarness.Generate(source);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompileDiagnostics);
        Assert.Equal(2, run.Sources.Count);
        var (hintName, text) = run.Sources.Single(s => s.HintName.EndsWith(".Network.g.cs", System.StringComparison.Ordinal));
        Assert.Matches($@"^Demo\.{name}\.[0-9a-f]{{8}}\.Network\.g\.cs$", hintName);
        Snapshot.Verify(name, text);
    }
}
