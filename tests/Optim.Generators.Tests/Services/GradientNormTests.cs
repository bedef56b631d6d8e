using System;
using System.Linq;
using CsCheck;
using Xunit;

namespace Optim.Generators.Tests.Services;

/// <summary>
/// GradientNorm.SumOfSquares against its definition written as a plain loop: element i into lane i mod 16 (float) or 8
/// (double), lanes summed pairwise. Bit for bit at this process's vector width; the SIMD probe repeats it at every width.
/// </summary>
[Collection(Runtime.StepWorkersGroup.Name)]
public sealed class GradientNormTests
{
    [Fact]
    public void Float_sum_of_squares_follows_its_lane_definition_bit_for_bit() =>
        Gen.Float.Array[0, 300].Sample(values =>
        {
            double expected = LaneOracle(values.Select(v => (double)v * v).ToArray(), 16);
            double actual = GradientNorm.SumOfSquares(values);
            return BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual) || (double.IsNaN(expected) && double.IsNaN(actual));
        });

    [Fact]
    public void Double_sum_of_squares_follows_its_lane_definition_bit_for_bit() =>
        Gen.Double[-1e10, 1e10].Array[0, 300].Sample(values =>
        {
            double expected = LaneOracle(values.Select(v => v * v).ToArray(), 8);
            return BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(GradientNorm.SumOfSquares(values));
        });

    [Fact]
    public void A_float_sum_is_finite_for_every_finite_input_and_not_for_a_non_finite_one()
    {
        float[] huge = Enumerable.Repeat(float.MaxValue, 1000).ToArray();
        Assert.True(double.IsFinite(GradientNorm.SumOfSquares(huge)));
        huge[999] = float.NaN;
        Assert.True(double.IsNaN(GradientNorm.SumOfSquares(huge)));
        huge[999] = float.NegativeInfinity;
        Assert.False(double.IsFinite(GradientNorm.SumOfSquares(huge)));
    }

    [Fact]
    public void A_double_sum_that_overflows_is_told_apart_from_a_non_finite_gradient()
    {
        double[] huge = Enumerable.Repeat(1e200, 17).ToArray();
        Assert.True(double.IsPositiveInfinity(GradientNorm.SumOfSquares(huge)));
        Assert.True(GradientNorm.AllFinite<double>(huge));
        huge[16] = double.NaN;
        Assert.False(GradientNorm.AllFinite<double>(huge));
    }

    [Theory]
    [InlineData(0.5, 0.25, 1.0)]
    [InlineData(0.5, 2.0, 0.5 / (2.0 + 1e-6))]
    [InlineData(1.0, 0.0, 1.0)]
    [InlineData(1.0, double.PositiveInfinity, 0.0)]
    public void The_clip_coefficient_is_clip_grad_norms(double maxNorm, double norm, double expected) =>
        Assert.Equal(expected, GradientNorm.ClipCoefficient(maxNorm, norm));

    [Fact]
    public void Scaling_rounds_each_product_once() =>
        Gen.Float[-1e6f, 1e6f].Array[0, 100].Select(Gen.Float[0f, 1f]).Sample((values, factor) =>
        {
            float[] scaled = (float[])values.Clone();
            GradientNorm.Scale<float>(scaled, factor);
            return scaled.Select((v, i) => v == values[i] * factor).All(same => same);
        });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_threaded_kernel_gives_the_single_threaded_sum_bit_for_bit(int threads)
    {
        var random = new Random(threads);
        int length = (3 * GradientNorm.BlockLength) + 4321;
        var arena = new Arena<float>(length + 100);
        for (int i = 0; i < arena.Length; i++)
        {
            arena.Span[i] = (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-3, 4)));
        }

        double serial = GradientNorm.SumOfSquares(arena.Slice(50, length));
        var kernel = new GradientNormKernel<float>(length);
        long slicesBefore = StepWorkers.SlicesRun;
        double threaded = kernel.SumOfSquares(arena, 50, length, threads);

        Assert.Equal(BitConverter.DoubleToInt64Bits(serial), BitConverter.DoubleToInt64Bits(threaded));
        Assert.Equal(BitConverter.DoubleToInt64Bits(Blocked(arena.Slice(50, length).ToArray().Select(v => (double)v * v).ToArray(), 16)), BitConverter.DoubleToInt64Bits(serial));
        Assert.True(threads == 1 || StepWorkers.SlicesRun - slicesBefore >= threads, "the sum was split across threads");
        Assert.Throws<ArgumentOutOfRangeException>(() => kernel.SumOfSquares(arena, 0, length + GradientNorm.BlockLength, threads));
    }

    /// <summary>The definition: each block's lane sum, the blocks added in order.</summary>
    private static double Blocked(double[] squares, int lanes)
    {
        double total = 0;
        for (int start = 0; start < squares.Length; start += GradientNorm.BlockLength)
        {
            total += LaneOracle(squares.Skip(start).Take(GradientNorm.BlockLength).ToArray(), lanes);
        }

        return total;
    }

    private static double LaneOracle(double[] squares, int lanes)
    {
        double[] sums = new double[lanes];
        for (int i = 0; i < squares.Length; i++)
        {
            sums[i % lanes] += squares[i];
        }

        return KernelMath.SumLanes(sums);
    }
}

[Optimize(Optimizer.Adam, Lr = 1e-3, ClipGradNorm = 1, SkipNonFinite = true, Threads = 2)]
public sealed partial class ClippedSplit
{
    [Parameter(3, 100_000)] public partial Span<float> W { get; }
    [Parameter(777)] public partial Span<float> B { get; }
}

[Optimize(Optimizer.Adam, Lr = 1e-3, ClipGradNorm = 1, SkipNonFinite = true, Threads = 1)]
public sealed partial class ClippedSingle
{
    [Parameter(3, 100_000)] public partial Span<float> W { get; }
    [Parameter(777)] public partial Span<float> B { get; }
}

/// <summary>A model whose norm pass and step are split across two threads clips exactly as the single-threaded one.</summary>
[Collection(Runtime.StepWorkersGroup.Name)]
public sealed class ParallelClippingTests
{
    [Fact]
    public void A_split_norm_and_step_match_the_single_threaded_model_bit_for_bit()
    {
        var split = new ClippedSplit();
        var single = new ClippedSingle();
        var random = new Random(12);
        for (int step = 0; step < 4; step++)
        {
            for (int i = 0; i < ClippedSplit.ParameterCount; i++)
            {
                split.Gradients[i] = single.Gradients[i] = (float)(random.NextDouble() - 0.5);
            }

            long slices = StepWorkers.SlicesRun;
            split.Step();
            Assert.True(StepWorkers.SlicesRun - slices >= 4, "the norm and the step were each split in two");
            single.Step();
            Assert.Equal(BitConverter.DoubleToInt64Bits(single.LastGradNorm), BitConverter.DoubleToInt64Bits(split.LastGradNorm));
            Assert.True(single.Parameters.SequenceEqual(split.Parameters), $"step {step + 1} differs");
        }

        Assert.True(single.LastGradNorm > 1, "the gradients were clipped");
    }
}
