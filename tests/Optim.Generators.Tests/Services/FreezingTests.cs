using System;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using Optim.Generators.Tests.Checkpoints;
using Optim.Training;
using Xunit;

namespace Optim.Generators.Tests.Services;

/// <summary>
/// {P}Frozen with every optimizer: while W is frozen, its values and every state section of W stay bit for bit as they
/// were (read back from the model's own checkpoints), V trains exactly as in a model where W is never frozen (so the
/// split loop neither skips nor spills into a neighbour), and W trains again once unfrozen. Alone, in a parameter group,
/// and on a parallel model.
/// </summary>
public sealed class FreezingTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string optimizer in Enum.GetNames<Optimizer>())
        {
            data.Add(optimizer, "alone");
            data.Add(optimizer, "grouped");
            if (optimizer is not ("Lamb" or "Adafactor" or "Muon"))
            {
                data.Add(optimizer, "parallel");
            }
        }

        return data;
    }

    private static string Source(string optimizer, string mode) => $$"""
        using System;
        using Optim;
        using static Optim.Optimizer;
        [Optimize({{optimizer}}, Lr = 0.01{{(mode == "parallel" ? ", Threads = 2" : "")}})]
        public sealed partial class Frozen
        {
            [Parameter(3, 11){{(mode == "grouped" ? ", Optimize(AdamW, Lr = 0.02)" : "")}}] public partial Span<float> U { get; }
            [Parameter(7, 5)] public partial Span<float> W { get; }
            [Parameter(3, 11)] public partial Span<float> V { get; }
            {{(optimizer == "Custom" ? "[UpdateRule] public static void R(ref float p, float g, ref float m, float lr) { m = m * 0.9f + g; p -= lr * m; }" : "")}}
        }
        """;

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_frozen_parameter_and_its_state_stay_as_they_are_and_the_others_train_as_without_it(string optimizer, string mode)
    {
        Assembly assembly = ResumeTests.Compile(Source(optimizer, mode), out AssemblyLoadContext context);
        try
        {
            Type type = assembly.GetType("Frozen")!;
            var layout = (CheckpointLayout)type.GetField("OptimCheckpointLayout", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;
            dynamic frozen = Activator.CreateInstance(type)!;
            dynamic free = Activator.CreateInstance(type)!;
            var f = (IOptimizable<float>)frozen;
            var r = (IOptimizable<float>)free;
            var random = new Random(4);
            for (int i = 0; i < f.ParameterCount; i++)
            {
                f.Parameters[i] = r.Parameters[i] = (float)(random.NextDouble() - 0.5);
            }

            void StepBoth()
            {
                for (int i = 0; i < f.ParameterCount; i++)
                {
                    f.Gradients[i] = r.Gradients[i] = (float)(random.NextDouble() - 0.5);
                }

                f.Step();
                r.Step();
            }

            StepBoth();
            StepBoth();
            frozen.WFrozen = true;
            Assert.True((bool)frozen.WFrozen);
            float[][] before = Sections((object)frozen, layout, "W");
            for (int step = 0; step < 3; step++)
            {
                StepBoth();
                float[][] now = Sections((object)frozen, layout, "W");
                for (int s = 0; s < before.Length; s++)
                {
                    Assert.True(before[s].AsSpan().SequenceEqual(now[s]), $"{optimizer} ({mode}): section {s} of W changed while frozen");
                }

                foreach (string other in new[] { "U", "V" })
                {
                    Assert.True(
                        Sections((object)frozen, layout, other).Zip(Sections((object)free, layout, other)).All(pair => pair.First.AsSpan().SequenceEqual(pair.Second)),
                        $"{optimizer} ({mode}): {other} differs from the model that never froze W");
                }
            }

            Assert.Equal(r.StepCount, f.StepCount);
            frozen.WFrozen = false;
            frozen.WFrozen = false;
            StepBoth();
            Assert.False(before[0].AsSpan().SequenceEqual(Sections((object)frozen, layout, "W")[0]), $"{optimizer} ({mode}): W did not train once unfrozen");

            // Freezing everything: Step() changes no parameter at all.
            frozen.UFrozen = frozen.WFrozen = frozen.VFrozen = true;
            float[] all = f.Parameters.ToArray();
            StepBoth();
            Assert.Equal(all, f.Parameters.ToArray());
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void Clipping_leaves_frozen_gradients_out_of_the_norm()
    {
        var model = new FrozenClipped();
        model.WGrad.Fill(1000f);
        model.VGrad.Fill(0.5f);
        model.WFrozen = true;
        model.Step();

        Assert.Equal(Math.Sqrt(7 * 0.25), model.LastGradNorm, 1e-12);
        Assert.All(model.W.ToArray(), w => Assert.Equal(0f, w));

        model.WGrad[3] = float.NaN;
        model.Step();
        Assert.Equal(0, model.SkippedSteps);
        model.WFrozen = false;
        model.Step();
        Assert.Equal(1, model.SkippedSteps);
    }

    /// <summary>Each section named <paramref name="parameter"/> or <paramref name="parameter"/>.state, from a checkpoint.</summary>
    private static float[][] Sections(object model, CheckpointLayout layout, string parameter)
    {
        CheckpointContents<float> contents = CheckpointReader.Read<float>(new MemoryStream(ResumeTests.Checkpoint(model)), layout);
        return layout.Sections.Where(s => s.Name == parameter || s.Name.StartsWith(parameter + ".", StringComparison.Ordinal))
            .Select(s => contents.GetSection(s.Name).ToArray())
            .ToArray();
    }
}

[Optimize(Optimizer.Sgd, Lr = 0.1, ClipGradNorm = 1, SkipNonFinite = true)]
public sealed partial class FrozenClipped
{
    [Parameter(5)] public partial Span<float> W { get; }
    [Parameter(7)] public partial Span<float> V { get; }
}
