using System;
using System.Numerics;
using static System.FormattableString;

namespace Optim.Training;

/// <summary>
/// PyTorch's <c>torch.nn.init</c> schemes, deterministic: a seed gives the same values, bit for bit, on every machine.
/// Each scheme computes its bounds or standard deviation in double exactly as PyTorch's Python does, draws uniform
/// doubles from 53-bit integers of a xoshiro256** generator seeded with <c>seed</c>, makes normals with Box–Muller in
/// double (with a logarithm, sine and cosine of Optim's own, not the platform's), and rounds each value to the
/// element type (<see cref="float"/> or <see cref="double"/>) last. The values are not PyTorch's (its generator
/// differs); their distribution is.
/// </summary>
/// <remarks>
/// Give each parameter its own seed (<see cref="DeriveSeed"/> from one model seed and the parameter's name): one seed
/// for two parameters gives them the same random sequence. Nothing here allocates.
/// </remarks>
public static class Initializers
{
    /// <summary>
    /// The seed a model's parameters are initialised from when it is constructed: a new model holds the values
    /// <c>Initialize(DefaultSeed)</c> gives, so two models constructed alike start alike. Call <c>Initialize(seed)</c> to
    /// draw from another seed.
    /// </summary>
    public const int DefaultSeed = 0;

    /// <summary>A parameter's seed from the model's <paramref name="seed"/> and the parameter's name.</summary>
    public static ulong DeriveSeed(ulong seed, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(parameterName);
        return Xoshiro256StarStar.Mix(seed ^ Xoshiro256StarStar.Mix(Fnv1a64.Hash(parameterName)));
    }

    /// <summary>
    /// PyTorch's <c>_calculate_fan_in_and_fan_out</c>: for a shape (out, in, k₁, k₂, …), fan_in = in·k₁·k₂·… and
    /// fan_out = out·k₁·k₂·…. A linear layer's weight is (out, in); a convolution's is (out, in, kernel…).
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The shape has fewer than 2 dimensions (PyTorch raises too: a vector has no fan-in), a negative dimension, or
    /// fans beyond <see cref="int.MaxValue"/>.
    /// </exception>
    public static (int FanIn, int FanOut) CalculateFans(ReadOnlySpan<int> shape)
    {
        if (shape.Length < 2)
        {
            throw new ArgumentException(
                $"Fan in and fan out cannot be computed for a parameter with fewer than 2 dimensions (shape {SafetensorsHeader.Format(shape)}); "
                + "Xavier and Kaiming initialization need a weight matrix or kernel. For a bias, use LinearDefault with the weight's fan_in.",
                nameof(shape));
        }

        long receptive = 1;
        foreach (int dimension in shape)
        {
            if (dimension < 0)
            {
                throw new ArgumentException($"Shape {SafetensorsHeader.Format(shape)} has a negative dimension.", nameof(shape));
            }
        }

        for (int i = 2; i < shape.Length; i++)
        {
            receptive = Math.Min(receptive * shape[i], long.MaxValue / int.MaxValue);
        }

        long fanIn = shape[1] * receptive;
        long fanOut = shape[0] * receptive;
        return fanIn <= int.MaxValue && fanOut <= int.MaxValue
            ? ((int)fanIn, (int)fanOut)
            : throw new ArgumentException($"Shape {SafetensorsHeader.Format(shape)} has fans beyond {int.MaxValue}.", nameof(shape));
    }

    /// <summary>
    /// PyTorch's <c>calculate_gain</c>: the recommended scale for a nonlinearity (1 for linear, convolution and
    /// sigmoid; 5/3 for tanh; √2 for ReLU; √(2/(1 + slope²)) for leaky ReLU; 3/4 for SELU).
    /// </summary>
    /// <param name="nonlinearity">The nonlinearity that follows the layer.</param>
    /// <param name="negativeSlope">Leaky ReLU's negative slope (PyTorch's default 0.01); ignored otherwise.</param>
    /// <exception cref="ArgumentOutOfRangeException">An undefined nonlinearity, or a slope that is not finite.</exception>
    public static double Gain(Nonlinearity nonlinearity, double negativeSlope = 0.01)
    {
        if (!double.IsFinite(negativeSlope))
        {
            throw new ArgumentOutOfRangeException(nameof(negativeSlope), negativeSlope, "The negative slope must be finite.");
        }

        return nonlinearity switch
        {
            Nonlinearity.Linear or Nonlinearity.Sigmoid => 1.0,
            Nonlinearity.Tanh => 5.0 / 3,
            Nonlinearity.Relu => Math.Sqrt(2.0),
            Nonlinearity.LeakyRelu => Math.Sqrt(2.0 / (1 + (negativeSlope * negativeSlope))),
            Nonlinearity.Selu => 3.0 / 4,
            _ => throw new ArgumentOutOfRangeException(nameof(nonlinearity), nonlinearity, "Undefined nonlinearity."),
        };
    }

    /// <summary>Fills <paramref name="values"/> with 0 (<c>torch.nn.init.zeros_</c>).</summary>
    public static void Zeros<T>(Span<T> values)
        where T : unmanaged, IFloatingPointIeee754<T> => values.Clear();

    /// <summary>Fills <paramref name="values"/> with 1 (<c>torch.nn.init.ones_</c>).</summary>
    public static void Ones<T>(Span<T> values)
        where T : unmanaged, IFloatingPointIeee754<T> => values.Fill(T.One);

    /// <summary>
    /// <c>torch.nn.init.uniform_</c>: values drawn uniformly from [<paramref name="low"/>, <paramref name="high"/>). Every
    /// value, once rounded to <typeparamref name="T"/>, lies in that interval exactly (a value the rounding would carry
    /// onto or past a bound is moved to the nearest <typeparamref name="T"/> inside). If low = high, every value is high.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A bound is not finite, low &gt; high, or high − low overflows.</exception>
    /// <exception cref="ArgumentException">No <typeparamref name="T"/> value lies in the interval.</exception>
    public static void Uniform<T>(Span<T> values, ulong seed, double low = 0, double high = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!double.IsFinite(low) || !double.IsFinite(high) || low > high || !double.IsFinite(high - low))
        {
            throw new ArgumentOutOfRangeException(nameof(high), Invariant($"The interval [{low}, {high}) must have finite bounds, low ≤ high."));
        }

        if (low == high)
        {
            values.Fill(T.CreateTruncating(high));
            return;
        }

        T lowest = T.CreateTruncating(low);
        if (double.CreateTruncating(lowest) < low)
        {
            lowest = T.BitIncrement(lowest);
        }

        T highest = T.CreateTruncating(high);
        if (double.CreateTruncating(highest) >= high)
        {
            highest = T.BitDecrement(highest);
        }

        if (lowest > highest)
        {
            throw new ArgumentException(Invariant($"No {typeof(T).Name} lies in [{low}, {high})."), nameof(high));
        }

        var random = new Xoshiro256StarStar(seed);
        double width = high - low;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = T.Clamp(T.CreateTruncating(low + (width * random.NextDouble())), lowest, highest);
        }
    }

    /// <summary><c>torch.nn.init.normal_</c>: values drawn from N(<paramref name="mean"/>, <paramref name="std"/>²).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The mean is not finite, or the standard deviation is negative or not finite.</exception>
    public static void Normal<T>(Span<T> values, ulong seed, double mean = 0, double std = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!double.IsFinite(mean))
        {
            throw new ArgumentOutOfRangeException(nameof(mean), mean, "The mean must be finite.");
        }

        if (!double.IsFinite(std) || std < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(std), std, "The standard deviation must be finite and 0 or more.");
        }

        // Box–Muller: two uniforms give two independent standard normals, r·cos θ and r·sin θ.
        var random = new Xoshiro256StarStar(seed);
        for (int i = 0; i < values.Length; i += 2)
        {
            double radius = Math.Sqrt(-2 * DeterministicMath.Log(1 - random.NextDouble()));
            (double sin, double cos) = DeterministicMath.SinCosTurns(random.NextDouble());
            values[i] = T.CreateTruncating(mean + (std * (radius * cos)));
            if (i + 1 < values.Length)
            {
                values[i + 1] = T.CreateTruncating(mean + (std * (radius * sin)));
            }
        }
    }

    /// <summary>
    /// <c>torch.nn.init.xavier_uniform_</c> (Glorot): U(−a, a) with a = gain·√(6/(fan_in + fan_out)), computed as PyTorch
    /// does: std = gain·√(2/(fan_in + fan_out)), a = √3·std.
    /// </summary>
    /// <param name="values">The parameter, row-major.</param>
    /// <param name="shape">Its shape, at least 2 dimensions (see <see cref="CalculateFans"/>).</param>
    /// <param name="seed">The parameter's seed.</param>
    /// <param name="gain">The scale (see <see cref="Gain"/>).</param>
    /// <exception cref="ArgumentException">The shape has fewer than 2 dimensions, or another element count than <paramref name="values"/>.</exception>
    public static void XavierUniform<T>(Span<T> values, ReadOnlySpan<int> shape, ulong seed, double gain = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Fans(values.Length, shape) is (int fanIn, int fanOut))
        {
            double bound = Math.Sqrt(3.0) * (gain * Math.Sqrt(2.0 / (fanIn + fanOut)));
            Uniform(values, seed, -bound, bound);
        }
    }

    /// <summary><c>torch.nn.init.xavier_normal_</c> (Glorot): N(0, std²) with std = gain·√(2/(fan_in + fan_out)).</summary>
    /// <inheritdoc cref="XavierUniform{T}(Span{T}, ReadOnlySpan{int}, ulong, double)"/>
    public static void XavierNormal<T>(Span<T> values, ReadOnlySpan<int> shape, ulong seed, double gain = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Fans(values.Length, shape) is (int fanIn, int fanOut))
        {
            Normal(values, seed, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)));
        }
    }

    /// <summary>
    /// <c>torch.nn.init.kaiming_uniform_</c> (He), with PyTorch's defaults: U(−b, b) with std = gain/√fan and
    /// b = √3·std, where gain = <see cref="Gain"/>(<paramref name="nonlinearity"/>, <paramref name="a"/>) and fan is
    /// fan_in or fan_out as <paramref name="mode"/> says. With the defaults (a = 0, leaky ReLU, fan_in), b = √(6/fan_in).
    /// </summary>
    /// <param name="values">The parameter, row-major.</param>
    /// <param name="shape">Its shape, at least 2 dimensions (see <see cref="CalculateFans"/>).</param>
    /// <param name="seed">The parameter's seed.</param>
    /// <param name="a">Leaky ReLU's negative slope (only used with <see cref="Nonlinearity.LeakyRelu"/>).</param>
    /// <param name="mode">Whether to preserve the variance of the forward pass (fan_in) or the backward pass (fan_out).</param>
    /// <param name="nonlinearity">The nonlinearity that follows the layer.</param>
    /// <exception cref="ArgumentException">The shape has fewer than 2 dimensions, or another element count than <paramref name="values"/>.</exception>
    public static void KaimingUniform<T>(Span<T> values, ReadOnlySpan<int> shape, ulong seed, double a = 0, FanMode mode = FanMode.FanIn, Nonlinearity nonlinearity = Nonlinearity.LeakyRelu)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Fans(values.Length, shape) is (int fanIn, int fanOut))
        {
            double bound = Math.Sqrt(3.0) * KaimingStd(fanIn, fanOut, a, mode, nonlinearity);
            Uniform(values, seed, -bound, bound);
        }
    }

    /// <summary><c>torch.nn.init.kaiming_normal_</c> (He), with PyTorch's defaults: N(0, std²), std = gain/√fan.</summary>
    /// <inheritdoc cref="KaimingUniform{T}(Span{T}, ReadOnlySpan{int}, ulong, double, FanMode, Nonlinearity)"/>
    public static void KaimingNormal<T>(Span<T> values, ReadOnlySpan<int> shape, ulong seed, double a = 0, FanMode mode = FanMode.FanIn, Nonlinearity nonlinearity = Nonlinearity.LeakyRelu)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Fans(values.Length, shape) is (int fanIn, int fanOut))
        {
            Normal(values, seed, 0, KaimingStd(fanIn, fanOut, a, mode, nonlinearity));
        }
    }

    /// <summary>
    /// What <c>torch.nn.Linear</c> (and <c>ConvNd</c>) do to their parameters: U(−1/√fan_in, 1/√fan_in), for the weight
    /// (its own fan_in) and for the bias (the weight's fan_in, passed as <paramref name="fanIn"/>). PyTorch gets the
    /// weight's bound through kaiming_uniform_ with a = √5, which may differ from 1/√fan_in in the last bit.
    /// </summary>
    /// <param name="values">The parameter, row-major.</param>
    /// <param name="shape">Its shape.</param>
    /// <param name="seed">The parameter's seed.</param>
    /// <param name="fanIn">
    /// The fan_in to use; required for a 1-D parameter (a bias takes its layer's weight's fan_in: the weight's
    /// <c>shape[1]</c> times its kernel size). 0 gives zeros, as in PyTorch.
    /// </param>
    /// <exception cref="ArgumentException">
    /// The shape has another element count than <paramref name="values"/>, or fewer than 2 dimensions and no
    /// <paramref name="fanIn"/>; or <paramref name="fanIn"/> is negative.
    /// </exception>
    public static void LinearDefault<T>(Span<T> values, ReadOnlySpan<int> shape, ulong seed, int? fanIn = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckElementCount(values.Length, shape);
        int fan = fanIn ?? (shape.Length >= 2
            ? CalculateFans(shape).FanIn
            : throw new ArgumentException(
                $"A parameter of shape {SafetensorsHeader.Format(shape)} has no fan_in of its own: a bias takes its layer's weight's fan_in; pass it as fanIn.",
                nameof(fanIn)));
        if (fan < 0)
        {
            throw new ArgumentException(Invariant($"fanIn must be 0 or more, not {fan}."), nameof(fanIn));
        }

        double bound = fan > 0 ? 1 / Math.Sqrt(fan) : 0;
        Uniform(values, seed, -bound, bound);
    }

    private static double KaimingStd(int fanIn, int fanOut, double a, FanMode mode, Nonlinearity nonlinearity)
    {
        int fan = mode switch
        {
            FanMode.FanIn => fanIn,
            FanMode.FanOut => fanOut,
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Undefined fan mode."),
        };
        return Gain(nonlinearity, a) / Math.Sqrt(fan);
    }

    /// <summary>The fans of <paramref name="shape"/>, or null when there are no values to fill.</summary>
    private static (int FanIn, int FanOut)? Fans(int length, ReadOnlySpan<int> shape)
    {
        CheckElementCount(length, shape);
        (int, int) fans = CalculateFans(shape);
        return length == 0 ? null : fans;
    }

    private static void CheckElementCount(int length, ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (int dimension in shape)
        {
            count = dimension < 0 ? -1 : Math.Min(count * dimension, long.MaxValue / int.MaxValue);
            if (count < 0)
            {
                throw new ArgumentException($"Shape {SafetensorsHeader.Format(shape)} has a negative dimension.", nameof(shape));
            }
        }

        if (count != length)
        {
            throw new ArgumentException(Invariant($"The values hold {length} elements but shape {SafetensorsHeader.Format(shape)} has {count}."), nameof(shape));
        }
    }
}

/// <summary>Which fan Kaiming initialization scales by (PyTorch's <c>mode</c>).</summary>
public enum FanMode
{
    /// <summary>fan_in: preserves the variance of activations in the forward pass (PyTorch's default).</summary>
    FanIn,

    /// <summary>fan_out: preserves the variance of gradients in the backward pass.</summary>
    FanOut,
}

/// <summary>The nonlinearity after a layer, for <see cref="Initializers.Gain"/> (PyTorch's <c>nonlinearity</c> names).</summary>
public enum Nonlinearity
{
    /// <summary>No nonlinearity (also PyTorch's conv1d/2d/3d and conv_transpose1d/2d/3d): gain 1.</summary>
    Linear,

    /// <summary>Sigmoid: gain 1.</summary>
    Sigmoid,

    /// <summary>tanh: gain 5/3.</summary>
    Tanh,

    /// <summary>ReLU: gain √2.</summary>
    Relu,

    /// <summary>Leaky ReLU: gain √(2/(1 + negative_slope²)).</summary>
    LeakyRelu,

    /// <summary>SELU: gain 3/4.</summary>
    Selu,
}
