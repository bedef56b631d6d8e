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

        // θ and g, then the row and column averages and the working space for the update's column factors κ (one value
        // per column, rewritten for each tensor): the update itself is never stored.
        int stride = RoundUp(60_320);
        Assert.Equal((2 * stride) + RoundUp(300 + 200 + 4) + RoundUp(200 + 30) + RoundUp(200 + 30), ArenaLength(model));
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

    /// <summary>
    /// The update is computed from a row factor and a column factor instead of PyTorch's outer product, clamp and reciprocal
    /// square root: it must stay within a few units in the last place of PyTorch's order of operations, also where the clamp
    /// acts (zero rows and columns) and across magnitudes, with or without <c>maximize</c>, and ‖U‖² must be Σ U².
    /// </summary>
    [Theory]
    [InlineData(7, 37, 1.0)]
    [InlineData(33, 16, -1.0)]
    [InlineData(3, 5, 1.0)]
    public void The_factored_update_is_PyTorchs_within_a_few_units_in_the_last_place(int rows, int cols, double sign)
    {
        var random = new Random(rows * cols);
        float[] gradient = Enumerable.Range(0, rows * cols).Select(_ => (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-6, 4)))).ToArray();
        float[] rowAverage = Enumerable.Range(0, rows).Select(_ => (float)(random.NextDouble() * Math.Pow(10, random.Next(-12, 6)))).ToArray();
        float[] colAverage = Enumerable.Range(0, cols).Select(_ => (float)(random.NextDouble() * Math.Pow(10, random.Next(-12, 6)))).ToArray();
        rowAverage[1] = 0; // the clamp at ε₁² acts on a whole row and column
        colAverage[2] = 0;
        float divisor = (float)Math.Max(rowAverage.Average(), 1.1920928955078125E-07);
        double floor = 1.1920928955078125E-07 * 1.1920928955078125E-07;

        float[] colFactors = new float[cols];
        double squares = MatrixKernels.FactoredUpdate<float>(gradient, rowAverage, colAverage, colFactors, rows, cols, divisor, floor, sign);

        // θ = 0, no decay, step −1: the step leaves θ = U.
        float[] update = new float[rows * cols];
        MatrixKernels.FactoredStep<float>(update, gradient, rowAverage, colFactors, rows, cols, floor, sign, decay: 1, stepSize: -1);

        double sum = 0;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                float g = gradient[(r * cols) + c];
                float pytorch = 1f / MathF.Sqrt(MathF.Max(rowAverage[r] * colAverage[c] / divisor, (float)floor)) * (sign < 0 ? -g : g);
                float ours = update[(r * cols) + c];
                float allowance = 4 * Math.Max(float.Epsilon, MathF.BitIncrement(MathF.Abs(pytorch)) - MathF.Abs(pytorch));
                Assert.True(MathF.Abs(ours - pytorch) <= allowance, $"U[{r}, {c}] = {ours}, PyTorch's order gives {pytorch}");
                sum += (double)ours * ours;
            }
        }

        Assert.Equal(sum, squares, sum * 1e-6);
    }

    private static int RoundUp(int values) => (values + 15) / 16 * 16;

    private static CheckpointLayout Layout(object model) =>
        (CheckpointLayout)model.GetType().GetField("OptimCheckpointLayout", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;

    private static int ArenaLength(object model) =>
        ((Arena<float>)model.GetType().GetField("_optimArena", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(model)!).Length;
}
