using System;
using System.Linq;
using System.Numerics;
using System.Runtime.InteropServices;
using Optim.Training;
using Xunit;

namespace Optim.Generators.Tests.Training;

/// <summary>
/// The initializers follow torch.nn.init's formulas (fans, gains, bounds, standard deviations), keep uniform values
/// inside their interval exactly after rounding, have the right mean and variance over 100,000 samples, and are
/// deterministic: a seed gives the same bytes (pinned here, so any machine that differs fails), another seed others.
/// </summary>
public sealed class InitializerTests
{
    private const int Samples = 100_000;
    private static readonly int[] s_shape = [400, 250]; // fan_out 400, fan_in 250: 100,000 elements

    /// <summary>Every random scheme, with its expected mean, standard deviation and (uniform schemes) interval.</summary>
    private static (double Mean, double Std, double Low, double High) Fill<T>(string scheme, Span<T> values, ulong seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double b;
        switch (scheme)
        {
            case "Uniform(-2,3)":
                Initializers.Uniform(values, seed, -2, 3);
                return (0.5, 5 / Math.Sqrt(12), -2, 3);
            case "Normal(1.5,0.3)":
                Initializers.Normal(values, seed, 1.5, 0.3);
                return (1.5, 0.3, double.NaN, double.NaN);
            case "XavierUniform(gain 2)":
                Initializers.XavierUniform(values, s_shape, seed, gain: 2);
                b = 2 * Math.Sqrt(6.0 / (250 + 400));
                return (0, b / Math.Sqrt(3), -b, b);
            case "XavierNormal":
                Initializers.XavierNormal(values, s_shape, seed);
                return (0, Math.Sqrt(2.0 / (250 + 400)), double.NaN, double.NaN);
            case "KaimingUniform":
                Initializers.KaimingUniform(values, s_shape, seed);
                b = Math.Sqrt(6.0 / 250);
                return (0, b / Math.Sqrt(3), -b, b);
            case "KaimingUniform(fan_out, relu)":
                Initializers.KaimingUniform(values, s_shape, seed, mode: FanMode.FanOut, nonlinearity: Nonlinearity.Relu);
                b = Math.Sqrt(6.0 / 400);
                return (0, b / Math.Sqrt(3), -b, b);
            case "KaimingNormal":
                Initializers.KaimingNormal(values, s_shape, seed);
                return (0, Math.Sqrt(2.0 / 250), double.NaN, double.NaN);
            case "KaimingNormal(a 0.2, fan_out)":
                Initializers.KaimingNormal(values, s_shape, seed, a: 0.2, mode: FanMode.FanOut);
                return (0, Math.Sqrt(2 / 1.04) / Math.Sqrt(400), double.NaN, double.NaN);
            case "LinearDefault":
                Initializers.LinearDefault(values, s_shape, seed);
                b = 1 / Math.Sqrt(250);
                return (0, b / Math.Sqrt(3), -b, b);
            case "LinearDefault(bias)":
                Initializers.LinearDefault(values, [Samples], seed, fanIn: 250);
                b = 1 / Math.Sqrt(250);
                return (0, b / Math.Sqrt(3), -b, b);
            default:
                throw new ArgumentException(scheme);
        }
    }

    public static TheoryData<string, bool> Schemes()
    {
        var data = new TheoryData<string, bool>();
        foreach (string scheme in new[]
        {
            "Uniform(-2,3)", "Normal(1.5,0.3)", "XavierUniform(gain 2)", "XavierNormal", "KaimingUniform",
            "KaimingUniform(fan_out, relu)", "KaimingNormal", "KaimingNormal(a 0.2, fan_out)", "LinearDefault", "LinearDefault(bias)",
        })
        {
            data.Add(scheme, false);
            data.Add(scheme, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Samples_have_the_schemes_mean_and_variance_and_stay_inside_uniform_bounds(string scheme, bool isDouble)
    {
        double[] x = isDouble ? Draw<double>(scheme, 12345) : Draw<float>(scheme, 12345).Select(v => (double)v).ToArray();
        (double mean, double std, double low, double high) = Fill<double>(scheme, new double[Samples], 0);

        double sampleMean = x.Average();
        double sampleVariance = x.Sum(v => (v - sampleMean) * (v - sampleMean)) / (Samples - 1);
        double variance = std * std;
        Assert.InRange(sampleMean, mean - (5 * std / Math.Sqrt(Samples)), mean + (5 * std / Math.Sqrt(Samples)));
        if (double.IsNaN(low))
        {
            // Normal: Var(s²) = 2σ⁴/n; a sixth of the mass beyond each side of ±1σ; kurtosis 3 (SE √(96/n)).
            Assert.InRange(sampleVariance, variance * (1 - (5 * Math.Sqrt(2.0 / Samples))), variance * (1 + (5 * Math.Sqrt(2.0 / Samples))));
            double inside = x.Count(v => Math.Abs(v - mean) < std) / (double)Samples;
            Assert.InRange(inside, 0.682689 - 0.0075, 0.682689 + 0.0075);
            double kurtosis = x.Average(v => Math.Pow((v - mean) / std, 4));
            Assert.InRange(kurtosis, 3 - (5 * Math.Sqrt(96.0 / Samples)), 3 + (5 * Math.Sqrt(96.0 / Samples)));
        }
        else
        {
            // Uniform: Var(s²) = (μ₄ − σ⁴)/n = 0.8σ⁴/n. Every value in [low, high) exactly, and the ends are reached.
            Assert.InRange(sampleVariance, variance * (1 - (5 * Math.Sqrt(0.8 / Samples))), variance * (1 + (5 * Math.Sqrt(0.8 / Samples))));
            Assert.All(x, v => Assert.True(v >= low && v < high, $"{v:R} is outside [{low:R}, {high:R})"));
            Assert.InRange(x.Min(), low, low + ((high - low) * 1e-3));
            Assert.InRange(x.Max(), high - ((high - low) * 1e-3), high);
        }
    }

    [Fact]
    public void Rounding_never_carries_a_uniform_value_onto_or_past_a_bound()
    {
        // [1, 1 + 3e-7) holds the floats 1, 1 + 2⁻²³ and 1 + 2⁻²²; about 0.6% of draws round to 1 + 3·2⁻²³, past high.
        float[] f = new float[Samples];
        Initializers.Uniform(f, 1, 1, 1 + 3e-7);
        Assert.Equal([1f, 1f + MathF.Pow(2, -23), 1f + MathF.Pow(2, -22)], f.Distinct().Order());

        // In double: [10¹⁶, 10¹⁶ + 4) holds 10¹⁶ and 10¹⁶ + 2; draws in the top half round to 10¹⁶ + 4.
        double[] d = new double[Samples];
        Initializers.Uniform(d, 1, 1e16, 1e16 + 4);
        Assert.Equal([1e16, 1e16 + 2], d.Distinct().Order());

        // A low bound that rounds down: (float)0.1 > 0.1 but (float)(−0.1) < −0.1.
        Initializers.Uniform(f, 2, -0.1, -0.0999999);
        Assert.All(f, v => Assert.True(v >= -0.1 && v < -0.0999999));

        Assert.Throws<ArgumentException>(() => Initializers.Uniform(f, 1, 1 + 1e-9, 1 + 2e-9)); // no float lies there
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Uniform(f, 1, 2, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Uniform(f, 1, double.NaN, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Uniform(f, 1, -double.MaxValue, double.MaxValue));
    }

    [Fact]
    public void Degenerate_intervals_and_zero_deviation_give_constants()
    {
        float[] f = new float[5];
        Initializers.Uniform(f, 1, 2.5, 2.5);
        Assert.All(f, v => Assert.Equal(2.5f, v));
        Initializers.Normal(f, 1, -3, 0);
        Assert.All(f, v => Assert.Equal(-3f, v));
        Initializers.LinearDefault(f, [5], 1, fanIn: 0); // PyTorch: bound 0 when fan_in is 0
        Assert.All(f, v => Assert.Equal(0u, BitConverter.SingleToUInt32Bits(v)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Normal(f, 1, 0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Normal(f, 1, double.PositiveInfinity, 1));
    }

    [Fact]
    public void Zeros_and_ones()
    {
        double[] d = [5, 6, 7];
        Initializers.Zeros<double>(d);
        Assert.Equal([0.0, 0.0, 0.0], d);
        Initializers.Ones<double>(d);
        Assert.Equal([1.0, 1.0, 1.0], d);
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void The_same_seed_gives_the_same_bytes_and_another_seed_others(string scheme, bool isDouble)
    {
        if (isDouble)
        {
            Assert.Equal(Hex(Draw<double>(scheme, 42)), Hex(Draw<double>(scheme, 42)));
            Assert.True(Draw<double>(scheme, 42).Zip(Draw<double>(scheme, 43)).Count(p => p.First != p.Second) > Samples * 0.99);
        }
        else
        {
            Assert.Equal(Hex(Draw<float>(scheme, 42)), Hex(Draw<float>(scheme, 42)));
            Assert.True(Draw<float>(scheme, 42).Zip(Draw<float>(scheme, 43)).Count(p => p.First != p.Second) > Samples * 0.99);
        }
    }

    /// <summary>
    /// Hashes of the first 1,000 values for seed 2026, pinned: a machine, runtime or change that gives other bits fails.
    /// (float values are the double ones rounded, so both are pinned.)
    /// </summary>
    [Theory]
    [InlineData("Uniform(-2,3)", "B40D2F1092922B53", "76D7161B21EDD8F7")]
    [InlineData("Normal(1.5,0.3)", "06D2BEB93E4F05C4", "2F5F754F6EFD93BA")]
    [InlineData("XavierUniform(gain 2)", "E7A456EB0D0F1601", "28D1012622FA6889")]
    [InlineData("XavierNormal", "1F0D687897955612", "34A940D92ACB5475")]
    [InlineData("KaimingUniform", "FC5A8574B9B3A707", "932A305849D4B9B9")]
    [InlineData("KaimingNormal", "230E78EF2382AC91", "3800C1180C2FD785")]
    [InlineData("LinearDefault", "57B86CFB776C809E", "66325963D5C1FD0A")]
    public void Values_are_bit_identical_on_every_machine(string scheme, string floatHash, string doubleHash)
    {
        Assert.Equal(floatHash, Fnv(Draw<float>(scheme, 2026).AsSpan(0, 1000)));
        Assert.Equal(doubleHash, Fnv(Draw<double>(scheme, 2026).AsSpan(0, 1000)));
    }

    [Fact]
    public void Normals_are_Box_Muller_of_the_uniform_stream()
    {
        // Uniform(0, 1) in double returns the generator's uniforms exactly; Normal turns each pair (u₁, u₂) into
        // √(−2 ln(1 − u₁))·(cos 2πu₂, sin 2πu₂). Optim's own log, sin and cos must agree with the platform's closely.
        double[] u = new double[Samples];
        double[] z = new double[Samples];
        Initializers.Uniform(u, 77);
        Initializers.Normal(z, 77);
        for (int i = 0; i < Samples; i += 2)
        {
            double radius = Math.Sqrt(-2 * Math.Log(1 - u[i]));
            Assert.Equal(radius * Math.Cos(2 * Math.PI * u[i + 1]), z[i], 1e-13);
            Assert.Equal(radius * Math.Sin(2 * Math.PI * u[i + 1]), z[i + 1], 1e-13);
        }
    }

    [Fact]
    public void Derived_seeds_depend_on_the_seed_and_the_parameter_name()
    {
        Assert.Equal(Initializers.DeriveSeed(1, "W1"), Initializers.DeriveSeed(1, "W1"));
        Assert.NotEqual(Initializers.DeriveSeed(1, "W1"), Initializers.DeriveSeed(1, "W2"));
        Assert.NotEqual(Initializers.DeriveSeed(1, "W1"), Initializers.DeriveSeed(2, "W1"));
    }

    // ---- Fans and gains, as torch.nn.init computes them ----

    [Theory]
    [InlineData(new[] { 5, 10 }, 10, 5)]              // Linear(10 → 5).weight
    [InlineData(new[] { 16, 3, 5, 5 }, 75, 400)]      // Conv2d(3 → 16, 5×5).weight
    [InlineData(new[] { 4, 6, 7 }, 42, 28)]           // Conv1d(6 → 4, 7).weight
    [InlineData(new[] { 8, 2, 3, 3, 3 }, 54, 216)]    // Conv3d(2 → 8, 3×3×3).weight
    public void Fans_match_torch(int[] shape, int fanIn, int fanOut) =>
        Assert.Equal((fanIn, fanOut), Initializers.CalculateFans(shape));

    [Fact]
    public void Vectors_have_no_fans_and_refuse_Xavier_and_Kaiming()
    {
        float[] bias = new float[7];
        Assert.Contains("fewer than 2 dimensions", Assert.Throws<ArgumentException>(() => Initializers.CalculateFans([7])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Initializers.CalculateFans([]));
        Assert.Throws<ArgumentException>(() => Initializers.XavierUniform<float>(bias, [7], 1));
        Assert.Throws<ArgumentException>(() => Initializers.XavierNormal<float>(bias, [7], 1));
        Assert.Throws<ArgumentException>(() => Initializers.KaimingUniform<float>(bias, [7], 1));
        Assert.Throws<ArgumentException>(() => Initializers.KaimingNormal<float>(bias, [7], 1));
        Assert.Contains("fanIn", Assert.Throws<ArgumentException>(() => Initializers.LinearDefault<float>(bias, [7], 1)).Message, StringComparison.Ordinal);
        Assert.All(bias, v => Assert.Equal(0f, v));

        // A bias takes its weight's fan_in: Linear(10 → 7).bias ~ U(−1/√10, 1/√10).
        Initializers.LinearDefault<float>(bias, [7], 1, fanIn: 10);
        Assert.All(bias, v => Assert.True(Math.Abs(v) < 1 / Math.Sqrt(10)));
    }

    [Fact]
    public void A_shape_that_does_not_match_the_values_is_refused()
    {
        float[] w = new float[12];
        Assert.Throws<ArgumentException>(() => Initializers.KaimingUniform<float>(w, [3, 5], 1));
        Assert.Throws<ArgumentException>(() => Initializers.LinearDefault<float>(w, [3, -4], 1));
        Assert.Throws<ArgumentException>(() => Initializers.XavierNormal<float>(w, [2, 3], 1));
        Initializers.XavierNormal<float>([], [0, 3], 1); // no values: nothing to do, as in PyTorch
    }

    [Fact]
    public void Gains_match_torch_calculate_gain()
    {
        Assert.Equal(1.0, Initializers.Gain(Nonlinearity.Linear));
        Assert.Equal(1.0, Initializers.Gain(Nonlinearity.Sigmoid));
        Assert.Equal(5.0 / 3, Initializers.Gain(Nonlinearity.Tanh));
        Assert.Equal(Math.Sqrt(2.0), Initializers.Gain(Nonlinearity.Relu));
        Assert.Equal(Math.Sqrt(2.0 / (1 + (0.01 * 0.01))), Initializers.Gain(Nonlinearity.LeakyRelu));
        Assert.Equal(Math.Sqrt(2.0), Initializers.Gain(Nonlinearity.LeakyRelu, 0));
        Assert.Equal(0.75, Initializers.Gain(Nonlinearity.Selu));
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Gain((Nonlinearity)99));
    }

    [Fact]
    public void Initializing_allocates_nothing()
    {
        // The shapes are made outside the measurement: unoptimized code allocates for a collection expression
        // converted to a span.
        double[] w = new double[1000];
        int[] matrix = [40, 25];
        int[] vector = [1000];
        Assert.Equal(0, Runtime.Allocations.OnThisThread(() =>
        {
            for (int i = 0; i < 50; i++)
            {
                Initializers.KaimingNormal<double>(w, matrix, (ulong)i);
                Initializers.XavierUniform<double>(w, matrix, (ulong)i);
                Initializers.LinearDefault<double>(w, vector, (ulong)i, fanIn: 25);
            }
        }));
    }

    // ---- Helpers ----

    private static T[] Draw<T>(string scheme, ulong seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[Samples];
        Fill<T>(scheme, values, seed);
        return values;
    }

    private static string Hex<T>(T[] values)
        where T : unmanaged => Convert.ToHexString(MemoryMarshal.AsBytes(values.AsSpan()));

    private static string Fnv<T>(ReadOnlySpan<T> values)
        where T : unmanaged => CheckpointTestData.ReferenceFnv1a64(MemoryMarshal.AsBytes(values)).ToString("X16", System.Globalization.CultureInfo.InvariantCulture);
}
