using System.Linq;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.Emission;

/// <summary>The emitted source for representative models, compared with committed snapshots.</summary>
public sealed class SnapshotTests
{
    private const string Mlp = """
        [Parameter(5, 10)] public partial Span<float> W1 { get; }
        [Parameter(5)]     public partial Span<float> B1 { get; }
        [Parameter(1, 5)]  public partial Span<float> W2 { get; }
        [Parameter(1)]     public partial Span<float> B2 { get; }
        """;

    public static TheoryData<string, string, string> Cases => new()
    {
        { "MlpSgd", "Sgd, Lr = 0.1", Mlp },
        { "MlpSgdNesterov", "Sgd, Lr = 0.01, Momentum = 0.9, Nesterov = true, WeightDecay = 1e-4", Mlp },
        { "MlpSgdDampeningMaximize", "Sgd, Lr = 0.01, Momentum = 0.9, Dampening = 0.5, Maximize = true", Mlp },
        { "MlpMomentum", "Momentum, Lr = 0.05, Beta = 0.5", Mlp },
        { "MlpAdam", "Adam, Lr = 1e-3", Mlp },
        { "MlpAdamAmsgradWeightDecay", "Adam, Lr = 1e-3, WeightDecay = 0.01, Amsgrad = true, Maximize = true", Mlp },
        { "MlpAdamW", "AdamW, Lr = 3e-3, WeightDecay = 0.1, Amsgrad = true", Mlp },
        { "DoubleAdam", "Adam, Lr = 0.01, Beta1 = 0.8, Beta2 = 0.99, Eps = 1e-6", "[Parameter(3, 4)] public partial Span<double> Weights { get; }\n[Parameter(4)] internal partial Span<double> Bias { get; }" },
        { "ScalarParameter", "Sgd, Lr = 0.5", "[Parameter(1)] public partial Span<float> X { get; }" },
        { "LargeParallelAdam", "Adam, Lr = 1e-3", "[Parameter(1024, 512)] public partial Span<float> Embedding { get; }" },
        { "MlpRmsPropCenteredMomentum", "RmsProp, Lr = 1e-3, Momentum = 0.9, Centered = true", Mlp },
        { "MlpAdagradInitialAccumulator", "Adagrad, Lr = 0.1, LrDecay = 0.01, InitialAccumulatorValue = 0.1", Mlp },
        { "MlpAdadelta", "Adadelta, WeightDecay = 0.01", Mlp },
        { "MlpAdamax", "Adamax", Mlp },
        { "MlpNAdamDecoupled", "NAdam, WeightDecay = 0.01, DecoupledWeightDecay = true", Mlp },
        { "MlpRAdam", "RAdam", Mlp },
        { "MlpRprop", "Rprop, Maximize = true", Mlp },
        { "MlpAsgd", "Asgd, T0 = 100", Mlp },
        { "MlpLion", "Lion, Lr = 3e-4, WeightDecay = 0.1", Mlp },
        { "CustomSimpleSgd", "Custom, Lr = 0.01", Mlp + "\n" + CustomRules.CustomRuleTests.For(CustomRules.CustomRuleTests.SimpleSgd, "float") },
        { "CustomNaiveAdam", "Custom, Lr = 1e-3", Mlp + "\n" + CustomRules.CustomRuleTests.For(CustomRules.CustomRuleTests.NaiveAdam, "float") },
        { "CustomDoubleIslands", "Custom, Lr = 1e-2", "[Parameter(37)] public partial Span<float> W { get; }\n" + CustomRules.CustomRuleTests.For(CustomRules.CustomRuleTests.DoubleIslands, "float") },
        { "CustomLionDouble", "Custom, Lr = 1e-4", "[Parameter(5, 10)] public partial Span<double> W { get; }\n" + CustomRules.CustomRuleTests.For(CustomRules.CustomRuleTests.Lion, "double") },
        { "MlpLamb", "Lamb, WeightDecay = 0.01", Mlp },
        { "MlpAdafactor", "Adafactor, WeightDecay = 0.01", Mlp },
        { "GroupedMuonAdamW", "Muon, Lr = 0.02", "[Parameter(5, 10)] public partial Span<float> W1 { get; }\n[Parameter(5), Optimize(AdamW, Lr = 1e-3, WeightDecay = 0)] public partial Span<float> B1 { get; }\n[Parameter(1, 5)] public partial Span<float> W2 { get; }\n[Parameter(1), Optimize(AdamW, Lr = 1e-3, WeightDecay = 0)] public partial Span<float> B2 { get; }" },
        { "GroupedAdamNoDecayOnBiases", "AdamW, WeightDecay = 0.1", "[Parameter(5, 10)] public partial Span<float> W1 { get; }\n[Parameter(5), Optimize(AdamW, WeightDecay = 0)] public partial Span<float> B1 { get; }" },
        { "HiddenMuon", "Muon, Lr = 0.02", "[Parameter(64, 32)] public partial Span<float> W1 { get; }\n[Parameter(16, 64)] public partial Span<float> W2 { get; }" },
        { "ClippedAdamSkipNonFinite", "Adam, Lr = 1e-3, ClipGradNorm = 1.0, SkipNonFinite = true", "[Parameter(5, 10, Init = Initialization.KaimingUniform)] public partial Span<float> W1 { get; }\n[Parameter(5, Init = Initialization.LinearDefault, FanIn = 10)] public partial Span<float> B1 { get; }" },
        { "LargeParallelClippedAdam", "Adam, Lr = 1e-3, ClipGradNorm = 1.0, SkipNonFinite = true", "[Parameter(1024, 512)] public partial Span<float> Embedding { get; }" },
        { "SharedTensorsLamb", "Lamb, Threads = 2", "[Parameter(64, 32)] public partial Span<float> W1 { get; }\n[Parameter(64)] public partial Span<float> B1 { get; }\n[Parameter(1, 64)] public partial Span<float> W2 { get; }" },
        { "SharedTensorGroupsLamb", "Lamb, WeightDecay = 0.01, Threads = 2", "[Parameter(16, 8)] public partial Span<float> W1 { get; }\n[Parameter(16), Optimize(AdamW, WeightDecay = 0)] public partial Span<float> B1 { get; }\n[Parameter(3, 16)] public partial Span<float> W2 { get; }\n[Parameter(5, 3), Optimize(Adafactor)] public partial Span<float> W3 { get; }\n[Parameter(5), Optimize(Adafactor)] public partial Span<float> V { get; }" },
        { "SplitGroupsAdamW", "AdamW, WeightDecay = 0.1, Threads = 2", "[Parameter(64, 32)] public partial Span<float> W1 { get; }\n[Parameter(64), Optimize(AdamW, WeightDecay = 0)] public partial Span<float> B1 { get; }" },
        { "ClippedAdafactorLamb", "Adafactor, ClipGradNorm = 0.5", "[Parameter(4, 6)] public partial Span<float> W { get; }\n[Parameter(6), Optimize(Lamb)] public partial Span<float> B { get; }" },
        { "SharedTensorsMuon", "Muon, Lr = 0.02, Threads = 2", "[Parameter(160, 140)] public partial Span<float> W1 { get; }\n[Parameter(32, 64)] public partial Span<float> W2 { get; }\n[Parameter(64, 64)] public partial Span<float> W3 { get; }\n[Parameter(16), Optimize(AdamW, WeightDecay = 0)] public partial Span<float> B3 { get; }" },
        { "HiddenMuonMatchRms", "Muon, Lr = 0.01, Nesterov = false, WeightDecay = 0, NsSteps = 3, MatchRmsAdamW = true", "[Parameter(8, 4)] public partial Span<double> W { get; }" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Emitted_source_matches_snapshot(string name, string attribute, string members)
    {
        string source = $$"""
            using System;
            using Optim;
            using static Optim.Optimizer;

            namespace Demo;

            [Optimize({{attribute}})]
            public partial class {{name}}
            {
            {{members}}
            }
            """;

        GeneratorHarness.Run run = GeneratorHarness.Generate(source);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompileDiagnostics);
        var (hintName, text) = Assert.Single(run.Sources);
        Assert.Matches($@"^Demo\.{name}\.[0-9a-f]{{8}}\.g\.cs$", hintName);
        Snapshot.Verify(name, text);
    }

    [Fact]
    public void Compile_time_schedule_is_emitted_in_closed_form()
    {
        const string source = """
            using System;
            using Optim;
            using static Optim.Optimizer;

            namespace Demo;

            [Optimize(AdamW, Lr = 3e-3)]
            [LrSchedule(ScheduleKind.MultiStepLR, Milestones = new[] { 100, 200 }, Gamma = 0.5, WarmupSteps = 10)]
            public partial class Scheduled
            {
                [Parameter(8)] public partial Span<float> W { get; }
            }
            """;

        GeneratorHarness.Run run = GeneratorHarness.Generate(source);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompileDiagnostics);
        Snapshot.Verify("ScheduledAdamW", Assert.Single(run.Sources).Text);
    }

    [Fact]
    public void Nested_generic_model_in_the_global_namespace_reopens_every_containing_type()
    {
        const string source = """
            using System;
            using Optim;
            using static Optim.Optimizer;

            public static partial class Outer
            {
                internal partial record Inner<TTag>
                {
                    [Optimize(Momentum)]
                    private sealed partial class Model<T> where T : struct
                    {
                        [Parameter] public partial Span<float> Bias { get; }
                    }
                }
            }
            """;

        GeneratorHarness.Run run = GeneratorHarness.Generate(source);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompileDiagnostics);
        var (hintName, text) = Assert.Single(run.Sources);
        Assert.Matches(@"^Outer\.Inner`1\.Model`1\.[0-9a-f]{8}\.g\.cs$", hintName);
        Snapshot.Verify("NestedGeneric", text);
    }

    [Fact]
    public void GeneratedCode_attribute_carries_the_generator_version()
    {
        string source = "using System; using Optim; using static Optim.Optimizer; [Optimize(Adam)] public partial class M { " + Mlp + " }";
        string text = GeneratorHarness.Generate(source).Sources.Single().Text;

        string version = typeof(OptimizerGenerator).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion.Split('+')[0];
        Assert.Contains($"GeneratedCode(\"Optim.Generators\", \"{version}\")", text, System.StringComparison.Ordinal);
    }

    [Fact]
    public void Generated_code_does_not_depend_on_file_order_other_files_or_culture()
    {
        // Two compilations that differ in everything that must not matter: the order of the files, an unrelated file
        // with other models before it, and the current culture (decimal commas). Each model's file is byte-identical.
        string[] models =
        {
            "using System; using Optim; using static Optim.Optimizer; [Optimize(Adam, Lr = 1.5e-3)] public partial class M { " + Mlp + " }",
            "using System; using Optim; using static Optim.Optimizer; [Optimize(Lion, Lr = 0.25, WeightDecay = 0.1)] public partial class L { [Parameter(7, 3)] public partial Span<double> W { get; } }",
        };
        string other = "using System; using Optim; using static Optim.Optimizer; namespace X { [Optimize(Sgd)] public partial class Z { [Parameter(2)] public partial Span<float> V { get; } } }";

        var first = GeneratorHarness.Generate(models).Sources.ToDictionary(s => s.HintName, s => s.Text);
        System.Globalization.CultureInfo culture = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            var second = GeneratorHarness.Generate(new[] { other, models[1], models[0] }).Sources.ToDictionary(s => s.HintName, s => s.Text);
            foreach (var (hint, text) in first)
            {
                Assert.True(second.ContainsKey(hint), $"{hint} missing from the second run");
                Assert.Equal(text, second[hint]);
            }
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = culture;
        }
    }
}
