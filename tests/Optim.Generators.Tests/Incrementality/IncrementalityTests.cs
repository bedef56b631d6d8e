using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.Incrementality;

/// <summary>The pipeline caches: unrelated edits re-run nothing, and no step output holds compiler objects.</summary>
public sealed class IncrementalityTests
{
    private const string Model = """
        using System;
        using Optim;
        using static Optim.Optimizer;

        [Optimize(Adam, Lr = 1e-3)]
        public partial class Mlp
        {
            [Parameter(5, 10)] public partial Span<float> W1 { get; }
            [Parameter(5)] public partial Span<float> B1 { get; }
        }
        """;

    private const string Other = "public static class Helper { public static int Value => 1; }";

    private const string Network = """
        using Optim;
        using static Optim.Optimizer;

        [Optimize(Adam, Lr = 1e-3)]
        public partial class Net
        {
            [Linear(4, 3)] public partial Linear<float> Hidden { get; }
            [Linear(3, 2)] public partial Linear<float> Output { get; }

            [Forward(Criterion = Criterion.CrossEntropy)]
            public Tensor<float> Forward([Shape(4)] Tensor<float> x) => Output.Forward(Nn.Relu(Hidden.Forward(x)));
        }
        """;

    private static readonly string[] TrackedSteps =
    {
        OptimizerGenerator.TrackingNames.Parse,
        OptimizerGenerator.TrackingNames.Language,
        OptimizerGenerator.TrackingNames.Model,
        OptimizerGenerator.TrackingNames.Diagnostics,
    };

    [Fact]
    public void Unrelated_edit_leaves_every_tracked_step_cached_or_unchanged()
    {
        var (first, second) = RunTwice(Model, Model, Other, Other.Replace("=> 1", "=> 2", StringComparison.Ordinal));

        Assert.Single(first.GeneratedSources);
        foreach (string step in TrackedSteps)
        {
            Assert.True(second.TrackedSteps.ContainsKey(step), $"step {step} was not tracked");
            var reasons = second.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
            Assert.All(reasons, reason => Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {reason}"));
        }

        AssertCodeCachedAndDiagnosticsUnchanged(second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).ToList(), models: 1);
    }

    /// <summary>
    /// After an edit that changes no model, no code is emitted again (the source outputs are Cached). The diagnostics output
    /// reads the compilation, to report at locations in its syntax trees (so that #pragma and .editorconfig apply), so it
    /// runs again, and must report exactly what it reported before (Unchanged).
    /// </summary>
    private static void AssertCodeCachedAndDiagnosticsUnchanged(List<(object Value, IncrementalStepRunReason Reason)> outputs, int models)
    {
        // One source output and one diagnostics output per model: the code outputs stay Cached; the diagnostics outputs,
        // which read the new compilation, run again and report the same (Unchanged). Nothing is New or Modified.
        Assert.Equal(2 * models, outputs.Count);
        Assert.Equal(models, outputs.Count(o => o.Reason == IncrementalStepRunReason.Cached));
        Assert.Equal(models, outputs.Count(o => o.Reason == IncrementalStepRunReason.Unchanged));
    }

    [Fact]
    public void In_a_project_of_200_models_an_unrelated_edit_re_emits_nothing()
    {
        string[] optimizers = { "Sgd, Momentum = 0.9", "Momentum", "Adam", "AdamW, Amsgrad = true" };
        var sources = Enumerable.Range(0, 200)
            .Select(i => $"using System; using Optim; using static Optim.Optimizer; [Optimize({optimizers[i % 4]})] public partial class M{i} {{ [Parameter({i + 1}, 3)] public partial Span<float> W {{ get; }} }}")
            .Append(Other)
            .ToList();
        CSharpCompilation compilation = GeneratorHarness.Compilation(sources);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(compilation);
        Assert.Equal(200, driver.GetRunResult().Results.Single().GeneratedSources.Length);

        SyntaxTree other = compilation.SyntaxTrees.Last();
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(other, other.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Other.Replace("=> 1", "=> 3", StringComparison.Ordinal)))));
        GeneratorRunResult second = driver.GetRunResult().Results.Single();

        var outputs = second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).ToList();
        AssertCodeCachedAndDiagnosticsUnchanged(outputs, models: 200); // 200 sources and 200 diagnostic lists
    }

    [Fact]
    public void Diagnostic_only_change_does_not_re_emit_code()
    {
        // Adding an argument Adam ignores changes the diagnostics (OPT0008) but not the model.
        string withWarning = Model.Replace("Lr = 1e-3", "Lr = 1e-3, Momentum = 0.9", StringComparison.Ordinal);
        var (_, second) = RunTwice(Model, withWarning, Other, Other);

        Assert.All(Reasons(second, OptimizerGenerator.TrackingNames.Model), r => Assert.True(r is IncrementalStepRunReason.Unchanged or IncrementalStepRunReason.Cached, r.ToString()));
        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(second, OptimizerGenerator.TrackingNames.Diagnostics));
    }

    [Fact]
    public void Changing_a_hyperparameter_re_emits_code()
    {
        var (_, second) = RunTwice(Model, Model.Replace("Lr = 1e-3", "Lr = 1e-2", StringComparison.Ordinal), Other, Other);

        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(second, OptimizerGenerator.TrackingNames.Model));
    }

    [Fact]
    public void A_network_is_emitted_again_only_when_its_graph_changes()
    {
        var (first, second) = RunTwice(Network, Network, Other, Other.Replace("=> 1", "=> 2", StringComparison.Ordinal));

        Assert.Equal(2, first.GeneratedSources.Length);
        foreach (string step in TrackedSteps)
        {
            Assert.All(Reasons(second, step), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {r}"));
        }

        var (_, edited) = RunTwice(Network, Network.Replace("Nn.Relu", "Nn.Tanh", StringComparison.Ordinal), Other, Other);
        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(edited, OptimizerGenerator.TrackingNames.Model));
        Assert.Contains(edited.GeneratedSources, s => s.HintName.EndsWith(".Network.g.cs", StringComparison.Ordinal) && s.SourceText.ToString().Contains("Activation.Tanh", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(Model)]
    [InlineData(Network)]
    public void Step_outputs_hold_no_symbol_syntax_or_compilation(string model)
    {
        var (first, _) = RunTwice(model, model, Other, Other);

        foreach (string step in TrackedSteps)
        {
            foreach (object value in first.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Value))
            {
                AssertNoCompilerObjects(value, step, new HashSet<object>(ReferenceEqualityComparer.Instance));
            }
        }
    }

    private static IEnumerable<IncrementalStepRunReason> Reasons(GeneratorRunResult result, string step) =>
        result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason);

    private static (GeneratorRunResult First, GeneratorRunResult Second) RunTwice(string model1, string model2, string other1, string other2)
    {
        CSharpCompilation compilation = GeneratorHarness.Compilation(new[] { model1, other1 });
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(compilation);
        GeneratorRunResult first = driver.GetRunResult().Results.Single();

        SyntaxTree[] trees = compilation.SyntaxTrees.ToArray();
        CSharpCompilation edited = compilation
            .ReplaceSyntaxTree(trees[0], trees[0].WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(model2)))
            .ReplaceSyntaxTree(trees[1], trees[1].WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(other2)));
        driver = driver.RunGenerators(edited);
        return (first, driver.GetRunResult().Results.Single());
    }

    /// <summary>Walks an output's object graph and fails on anything that would pin a compilation.</summary>
    private static void AssertNoCompilerObjects(object? value, string step, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || value is DiagnosticDescriptor)
        {
            return;
        }

        Assert.False(
            value is ISymbol or SyntaxNode or SyntaxTree or Compilation or SemanticModel or Location or AttributeData,
            $"step {step} holds a {value.GetType().Name}");

        if (!value.GetType().IsValueType && !seen.Add(value))
        {
            return;
        }

        if (value is IEnumerable items)
        {
            foreach (object? item in items)
            {
                AssertNoCompilerObjects(item, step, seen);
            }
        }

        for (Type? type = value.GetType(); type is not null && type != typeof(object); type = type.BaseType)
        {
            foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (!field.FieldType.IsPointer)
                {
                    AssertNoCompilerObjects(field.GetValue(value), step, seen);
                }
            }
        }
    }
}
