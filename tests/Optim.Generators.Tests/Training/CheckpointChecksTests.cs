using System;
using System.IO;
using Optim.Training;
using Xunit;

namespace Optim.Generators.Tests.Training;

/// <summary>
/// The value checks a generated LoadCheckpoint runs: every value Step() can produce passes (running products replayed
/// multiplication by multiplication, through the subnormals to 0), and impossible ones are named.
/// </summary>
public sealed class CheckpointChecksTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.999)]
    [InlineData(0.9998367253526753)] // NAdam's 0.96^ψ for ψ = 0.004
    [InlineData(0.999999)]
    [InlineData(1 - 1.1102230246251565e-16)] // the largest double below 1
    public void Every_running_power_Step_produces_passes(double beta)
    {
        // As Step() advances it: one multiplication per step, from 1; 0.5 reaches the subnormals at t = 1023 and 0 at t = 1075.
        double product = 1.0;
        for (long t = 0; t <= 20_000; t++)
        {
            Assert.Null(CheckpointChecks.RunningProduct("Beta1Power", product, beta, beta, t, exact: true));
            product *= beta;
        }
    }

    [Fact]
    public void Every_NAdam_mu_product_Step_produces_passes()
    {
        // Πμ with μₜ = β₁(1 − ½·0.96^(tψ)), computed as the generated Step() does, lies between the bases' powers.
        foreach (double psi in new[] { 0.0, 0.004, 1.0 })
        {
            foreach (double beta1 in new[] { 0.0, 0.5, 0.9, 0.99 })
            {
                double c = Math.Pow(0.96, psi), decayPower = 1.0, muProduct = 1.0;
                for (long t = 0; t <= 5_000; t++)
                {
                    Assert.Null(CheckpointChecks.RunningProduct("MuProduct", muProduct, beta1 * (1 - (0.5 * c)), beta1, t, exact: true));
                    decayPower *= c;
                    muProduct *= beta1 * (1.0 - (0.5 * decayPower));
                }
            }
        }
    }

    [Theory]
    [InlineData(double.NaN, 5L, "Beta1Power is NaN, but a running product of factors in [0, 1] stays in [0, 1]")]
    [InlineData(1.5, 5L, "Beta1Power is 1.5, but a running product of factors in [0, 1] stays in [0, 1]")]
    [InlineData(-0.25, 5L, "Beta1Power is -0.25, but a running product of factors in [0, 1] stays in [0, 1]")]
    [InlineData(0.0, 5L, "Beta1Power is 0, but 5 steps multiply 1 by 0.9 to 0.5904900000000001")]
    [InlineData(1.0, 5L, "Beta1Power is 1, but 5 steps multiply 1 by 0.9 to 0.5904900000000001")]
    [InlineData(0.9, 0L, "Beta1Power is 0.9, but 0 steps multiply 1 by 0.9 to 1")]
    [InlineData(0.6561, 5L, "Beta1Power is 0.6561, but 5 steps multiply 1 by 0.9 to 0.5904900000000001")] // 4 steps' value
    public void Impossible_running_products_are_named(double value, long step, string expected)
    {
        Assert.Equal(expected, CheckpointChecks.RunningProduct("Beta1Power", value, 0.9, 0.9, step, exact: true));
    }

    [Fact]
    public void Without_the_saved_hyperparameters_only_the_range_is_checked()
    {
        Assert.Null(CheckpointChecks.RunningProduct("Beta1Power", 0.6561, 0.9, 0.9, 5, exact: false));
        Assert.NotNull(CheckpointChecks.RunningProduct("Beta1Power", double.NaN, 0.9, 0.9, 5, exact: false));
        Assert.Null(CheckpointChecks.ZeroOrWithin<float>("W.stepSize", [100f], 1e-6f, 50f, exact: false));
    }

    [Fact]
    public void A_product_between_its_bases_powers_passes_and_one_outside_is_named()
    {
        Assert.Null(CheckpointChecks.RunningProduct("MuProduct", 0.5, 0.45, 0.9, 2, exact: true));
        Assert.Equal(
            "MuProduct is 0.9, but after 2 steps it lies between 0.2025 (0.45^2) and 0.81 (0.9^2)",
            CheckpointChecks.RunningProduct("MuProduct", 0.9, 0.45, 0.9, 2, exact: true));
    }

    [Theory]
    [InlineData(0L, null)]
    [InlineData(long.MaxValue - 1, null)]
    [InlineData(-1L, "step is -1, a negative count")]
    [InlineData(long.MaxValue, "step is 9223372036854775807 (long.MaxValue), which the next step would overflow")]
    public void Counts_are_at_least_0_and_below_overflow(long value, string? expected)
    {
        Assert.Equal(expected, CheckpointChecks.Count("step", value));
    }

    [Theory]
    [InlineData(0.0, true)]
    [InlineData(1e-3, true)]
    [InlineData(double.MaxValue, true)]
    [InlineData(-1e-3, false)]
    [InlineData(double.NaN, false)]
    [InlineData(double.PositiveInfinity, false)]
    public void A_learning_rate_is_finite_and_not_negative(double value, bool valid)
    {
        // 0 is a rate a schedule can end at (cosine annealing to EtaMin = 0), which the LearningRate setter accepts too.
        Assert.Equal(valid, CheckpointChecks.LearningRate("learningRate", value) is null);
    }

    [Theory]
    [InlineData(0.0, true)]
    [InlineData(double.NaN, true)]
    [InlineData(double.PositiveInfinity, true)]
    [InlineData(-1.0, false)]
    [InlineData(double.NegativeInfinity, false)]
    public void A_norm_is_never_negative(double value, bool valid)
    {
        Assert.Equal(valid, CheckpointChecks.Norm("lastGradNorm", value) is null);
    }

    [Fact]
    public void State_sections_are_checked_element_by_element()
    {
        Assert.Null(CheckpointChecks.NonNegative<float>("W.expAvgSq", [0f, -0f, float.NaN, float.PositiveInfinity, 3f]));
        Assert.Equal("W.expAvgSq[2] is -1E-30, but it holds squares, which are never negative", CheckpointChecks.NonNegative<double>("W.expAvgSq", [0, 1, -1e-30]));
        Assert.Null(CheckpointChecks.ZeroOrWithin<float>("W.stepSize", [0f, 1e-6f, 50f, 0.5f], 1e-6f, 50f, exact: true));
        Assert.Equal(
            "W.stepSize[1] is 51, but Step() keeps it in [1E-06, 50] (or at 0 before it first updates it)",
            CheckpointChecks.ZeroOrWithin<float>("W.stepSize", [0.5f, 51f], 1e-6f, 50f, exact: true));
        Assert.NotNull(CheckpointChecks.ZeroOrWithin<float>("W.stepSize", [float.NaN], 1e-6f, 50f, exact: true));
    }

    [Fact]
    public void Every_problem_is_named_in_one_exception()
    {
        CheckpointChecks.ThrowIfAny(null, null);
        var error = Assert.Throws<InvalidDataException>(() => CheckpointChecks.ThrowIfAny(null, "step is -1, a negative count", "lr is NaN"));
        Assert.Equal("The checkpoint holds values this model's Step() cannot have produced: step is -1, a negative count; lr is NaN.", error.Message);
    }
}
