using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using Optim.Generators.Tests.Training;
using Optim.Training;
using Xunit;

namespace Optim.Generators.Tests.Checkpoints;

/// <summary>
/// A checkpoint records every compile-time hyperparameter (each group's, the schedule's); loading it into the same model
/// compiled with other values names each difference, unless the caller allows it. Version-1 checkpoints, which record
/// none, still load.
/// </summary>
public sealed class HyperparameterTests(HyperparameterTests.Builds builds) : IClassFixture<HyperparameterTests.Builds>
{
    private static string Source(double beta1, double lr, int tMax, double groupDecay) => FormattableString.Invariant($$"""
        using System;
        using Optim;
        using static Optim.Optimizer;
        [Optimize(Adam, Lr = {{lr}}, Beta1 = {{beta1}})]
        public sealed partial class Plain
        {
            [Parameter(3, 4)] public partial Span<float> W { get; }
            [Parameter(3)] public partial Span<float> B { get; }
        }
        [Optimize(Adam, Lr = 0.01)]
        [LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = {{tMax}})]
        public sealed partial class Scheduled { [Parameter(3, 4)] public partial Span<float> W { get; } }
        [Optimize(AdamW, WeightDecay = 0.1)]
        public sealed partial class Grouped
        {
            [Parameter(3, 4)] public partial Span<float> W { get; }
            [Parameter(3), Optimize(AdamW, WeightDecay = {{groupDecay}})] public partial Span<float> B { get; }
        }
        """);

    [Theory]
    [InlineData("Plain", "Lr saved 0.001, this model 0.002; Beta1 saved 0.9, this model 0.8.")]
    [InlineData("Scheduled", "Schedule.CosineAnnealingLR.TMax saved 20, this model 30.")]
    [InlineData("Grouped", "Group1.WeightDecay saved 0, this model 0.01.")]
    public void Other_hyperparameters_are_refused_naming_each_one_and_the_model_is_kept(string model, string differences)
    {
        byte[] saved = ResumeTests.Checkpoint(Trained(builds.Saving, model));
        dynamic other = Trained(builds.Loading, model, steps: 1);
        byte[] before = ResumeTests.Checkpoint(other);

        var error = Assert.Throws<ArgumentException>((Action)(() => other.LoadCheckpoint(new MemoryStream(saved))));
        Assert.Equal(
            $"The checkpoint was saved with other hyperparameters than '{model}' has: {differences} Load it with allowHyperparameterChanges: true "
            + "to resume with this model's values. (Parameter 'layout')",
            (string)error.Message);
        Assert.Equal(before, ResumeTests.Checkpoint(other));
    }

    [Fact]
    public void Allowed_other_hyperparameters_load_the_state_and_training_continues_with_the_models_values()
    {
        dynamic source = Trained(builds.Saving, "Plain");
        byte[] saved = ResumeTests.Checkpoint(source);
        dynamic other = Activator.CreateInstance(builds.Loading.GetType("Plain")!)!;
        other.LoadCheckpoint(new MemoryStream(saved), allowHyperparameterChanges: true);

        var loaded = (IOptimizable<float>)other;
        Assert.Equal(((IOptimizable<float>)source).Parameters.ToArray(), loaded.Parameters.ToArray());
        Assert.Equal(3L, (long)other.StepCount);
        Assert.Equal(0.001, (double)other.LearningRate); // the saved rate is state; Lr only sets where it starts
        loaded.Gradients.Fill(0.5f);
        loaded.Step();
        Assert.All(loaded.Parameters.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void A_version_1_checkpoint_loads_and_its_state_is_checked_against_the_models_hyperparameters()
    {
        // Version 1 recorded no hyperparameters: they are assumed to be the model's, so a β₁ᵗ that 0.9 produced does not
        // fit a model compiled with β₁ = 0.8, and says so; allowing other hyperparameters loads it.
        dynamic source = Trained(builds.Saving, "Plain");
        byte[] version1 = Version1(source);

        dynamic same = Activator.CreateInstance(builds.Saving.GetType("Plain")!)!;
        same.LoadCheckpoint(new MemoryStream(version1));
        Assert.Equal(ResumeTests.Checkpoint(source), ResumeTests.Checkpoint(same));

        dynamic other = Activator.CreateInstance(builds.Loading.GetType("Plain")!)!;
        byte[] before = ResumeTests.Checkpoint(other);
        string message = Assert.Throws<InvalidDataException>((Action)(() => other.LoadCheckpoint(new MemoryStream(version1)))).Message;
        Assert.Contains("Beta1Power is 0.7290000000000001, but 3 steps multiply 1 by 0.8 to 0.512", message, StringComparison.Ordinal);
        Assert.Equal(before, ResumeTests.Checkpoint(other));

        other.LoadCheckpoint(new MemoryStream(version1), allowHyperparameterChanges: true);
        Assert.Equal(3L, (long)other.StepCount);
    }

    [Fact]
    public void The_layout_lists_every_hyperparameter_of_every_group_and_the_schedule()
    {
        Assert.Equal(
            ["Lr", "Beta1", "Beta2", "Eps", "WeightDecay", "Amsgrad", "Maximize", "ClipGradNorm", "SkipNonFinite",
             "Schedule.CosineAnnealingLR.TMax", "Schedule.CosineAnnealingLR.EtaMin", "Schedule.WarmupSteps", "Schedule.WarmupStartFactor"],
            Layout(builds.Saving.GetType("Scheduled")!).Hyperparameters.Select(h => h.Name));
        Assert.Equal(
            ["Lr", "Beta1", "Beta2", "Eps", "WeightDecay", "Amsgrad", "Maximize",
             "Group1.Lr", "Group1.Beta1", "Group1.Beta2", "Group1.Eps", "Group1.WeightDecay", "Group1.Amsgrad", "Group1.Maximize",
             "ClipGradNorm", "SkipNonFinite"],
            Layout(builds.Saving.GetType("Grouped")!).Hyperparameters.Select(h => h.Name));
    }

    private static dynamic Trained(Assembly assembly, string model, int steps = 3)
    {
        dynamic instance = Activator.CreateInstance(assembly.GetType(model)!)!;
        var optimizable = (IOptimizable<float>)instance;
        for (int step = 0; step < steps; step++)
        {
            for (int i = 0; i < optimizable.ParameterCount; i++)
            {
                optimizable.Gradients[i] = 0.25f * ((i % 5) - 2);
            }

            optimizable.Step();
        }

        return instance;
    }

    private static CheckpointLayout Layout(Type type) =>
        (CheckpointLayout)type.GetField("OptimCheckpointLayout", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;

    /// <summary>The model's checkpoint as version 1 wrote it: version 2 without the hyperparameter table.</summary>
    private static byte[] Version1(object model)
    {
        byte[] version2 = ResumeTests.Checkpoint(model);
        int table = 4 + Layout(model.GetType()).Hyperparameters.Sum(h => 4 + Encoding.UTF8.GetByteCount(h.Name) + 8);
        int end = version2.Length - 4 - table;
        byte[] version1 = [.. version2[..end], 0, 0, 0, 0];
        BinaryPrimitives.WriteUInt32LittleEndian(version1.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(version1.AsSpan(end), CheckpointTestData.ReferenceCrc32(version1.AsSpan(0, end)));
        return version1;
    }

    /// <summary>The same models compiled twice: as saved, and with other hyperparameters.</summary>
    public sealed class Builds : IDisposable
    {
        private readonly AssemblyLoadContext _saving;
        private readonly AssemblyLoadContext _loading;

        public Builds()
        {
            Saving = ResumeTests.Compile(Source(beta1: 0.9, lr: 0.001, tMax: 20, groupDecay: 0), out _saving);
            Loading = ResumeTests.Compile(Source(beta1: 0.8, lr: 0.002, tMax: 30, groupDecay: 0.01), out _loading);
        }

        public Assembly Saving { get; }

        public Assembly Loading { get; }

        public void Dispose()
        {
            _saving.Unload();
            _loading.Unload();
        }
    }
}
