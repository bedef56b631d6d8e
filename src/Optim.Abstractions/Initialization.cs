namespace Optim;

/// <summary>
/// How a model's generated <c>Initialize(int seed)</c> fills a parameter: PyTorch's <c>torch.nn.init</c> schemes, with
/// fan-in and fan-out computed from the declared shape as PyTorch does (dimension 1 × receptive field, dimension 0 ×
/// receptive field). Chosen with <see cref="ParameterAttribute.Init"/>.
/// </summary>
public enum Initialization
{
    /// <summary>All zeros (the default; a fresh model starts this way).</summary>
    Zeros = 0,

    /// <summary>All ones.</summary>
    Ones = 1,

    /// <summary>U(<see cref="ParameterAttribute.Low"/>, <see cref="ParameterAttribute.High"/>), default U(0, 1): <c>uniform_</c>.</summary>
    Uniform = 2,

    /// <summary>N(<see cref="ParameterAttribute.Mean"/>, <see cref="ParameterAttribute.Std"/>²), default N(0, 1): <c>normal_</c>.</summary>
    Normal = 3,

    /// <summary>U(−b, b), b = gain·√(6 / (fan_in + fan_out)): <c>xavier_uniform_</c> (<see cref="ParameterAttribute.Gain"/>).</summary>
    XavierUniform = 4,

    /// <summary>N(0, σ²), σ = gain·√(2 / (fan_in + fan_out)): <c>xavier_normal_</c>.</summary>
    XavierNormal = 5,

    /// <summary>
    /// U(−b, b), b = √(2 / (1 + a²))·√(3 / fan_in): <c>kaiming_uniform_</c> with leaky_relu and a =
    /// <see cref="ParameterAttribute.NegativeSlope"/> (0: He initialisation for ReLU).
    /// </summary>
    KaimingUniform = 6,

    /// <summary>N(0, σ²), σ = √(2 / (1 + a²)) / √fan_in: <c>kaiming_normal_</c>.</summary>
    KaimingNormal = 7,

    /// <summary>
    /// U(−1/√fan_in, 1/√fan_in): what <c>nn.Linear</c> gives its weight and bias. A bias (one dimension) takes fan_in from
    /// <see cref="ParameterAttribute.FanIn"/>, its layer's input size.
    /// </summary>
    LinearDefault = 8,
}
