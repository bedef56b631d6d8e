using System;
using System.Linq;
using CsCheck;
using Xunit;

namespace Optim.Generators.Tests.Services;

/// <summary>
/// GradientNorm.SumOfSquares against its definition written as a plain loop: element i into lane i mod 16 (float) or 8
/// (double), lanes summed pairwise. Bit for bit at this process's vector width; the SIMD probe repeats it at every width.
/// </summary>
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
