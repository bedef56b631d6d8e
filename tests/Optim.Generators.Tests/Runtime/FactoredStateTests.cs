using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Optim.Training;
using Xunit;
using static Optim.Optimizer;

namespace Optim.Generators.Tests.Runtime;

[Optimize(Adafactor, Threads = 1)]
public sealed partial class FactoredAdafactor
{
    [Parameter(300, 200)] public partial Span<float> W { get; }
    [Parameter(200)] public partial Span<float> B { get; }
    [Parameter(4, 5, 6)] public partial Span<float> K { get; }
}

/// <summary>
/// Adafactor keeps, for a matrix, a running mean per row and per column, not per element (its point: optimizer state
/// that grows with rows + columns, not rows × columns); a vector keeps one per element. The arena and the checkpoint
/// hold exactly that.
/// </summary>
public sealed class FactoredStateTests
{
    [Fact]
    public void A_matrix_keeps_one_value_per_row_and_per_column()
    {
        var model = new FactoredAdafactor();
        CheckpointLayout layout = Layout(model);
        Assert.Equal(
            new[] { ("W", 60_000), ("B", 200), ("K", 120), ("W.rowVar", 300), ("B.rowVar", 200), ("K.rowVar", 4), ("W.colVar", 200), ("K.colVar", 30) },
            layout.Sections.Select(s => (s.Name, s.Length)));

        // θ, g and the working space for U (one per element, rewritten for each tensor), then the two small sections.
        int stride = RoundUp(60_320);
        Assert.Equal((3 * stride) + RoundUp(300 + 200 + 4) + RoundUp(200 + 30), ArenaLength(model));
    }

    [Fact]
    public void The_factored_state_trains_and_resumes()
    {
        var model = new FactoredAdafactor();
        var random = new Random(11);
        for (int i = 0; i < FactoredAdafactor.ParameterCount; i++)
        {
            model.Parameters[i] = (float)(random.NextDouble() - 0.5);
        }

        var resumed = new FactoredAdafactor();
        for (int step = 0; step < 6; step++)
        {
            if (step == 3)
            {
                using var checkpoint = new MemoryStream();
                model.SaveCheckpoint(checkpoint);
                checkpoint.Position = 0;
                resumed.LoadCheckpoint(checkpoint);
            }

            for (int i = 0; i < FactoredAdafactor.ParameterCount; i++)
            {
                float g = (float)(random.NextDouble() - 0.5);
                model.Gradients[i] = g;
                resumed.Gradients[i] = g;
            }

            model.Step();
            if (step >= 3)
            {
                resumed.Step();
            }
        }

        Assert.True(model.Parameters.SequenceEqual(resumed.Parameters), "resumed from the factored checkpoint, bit for bit");
    }

    private static int RoundUp(int values) => (values + 15) / 16 * 16;

    private static CheckpointLayout Layout(object model) =>
        (CheckpointLayout)model.GetType().GetField("OptimCheckpointLayout", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;

    private static int ArenaLength(object model) =>
        ((Arena<float>)model.GetType().GetField("_optimArena", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(model)!).Length;
}
