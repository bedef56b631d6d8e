using System;

namespace Optim;

/// <summary>
/// Declares a 2-D convolution, PyTorch's <c>nn.Conv2d(inChannels, outChannels, kernelSize, stride, padding)</c> (square
/// kernel, zero padding on every side, NCHW), on a <c>partial Conv2d&lt;float&gt;</c> property. Its parameters are
/// <c>{Property}Weight</c> [outChannels, inChannels, kernel, kernel] and <c>{Property}Bias</c> [outChannels], starting as
/// PyTorch's do: U(−1/√fan_in, 1/√fan_in) with fan_in = inChannels·kernel².
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class Conv2dAttribute : Attribute
{
    /// <summary>Declares the convolution's channels and kernel size.</summary>
    public Conv2dAttribute(int inChannels, int outChannels, int kernelSize)
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
    }

    /// <summary>Channels of the input.</summary>
    public int InChannels { get; }

    /// <summary>Channels of the output (filters).</summary>
    public int OutChannels { get; }

    /// <summary>The kernel's height and width.</summary>
    public int KernelSize { get; }

    /// <summary>The step between windows (default 1).</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Zeros added on every side (default 0).</summary>
    public int Padding { get; set; }

    /// <summary>Whether the layer adds a bias per output channel (default true).</summary>
    public bool Bias { get; set; } = true;

    /// <summary>
    /// How <c>Initialize</c> (and construction) draws the weight: PyTorch's default, U(±1/√fan_in)
    /// (<see cref="Initialization.LinearDefault"/>), unless set, e.g. <see cref="Initialization.KaimingUniform"/> for He
    /// initialisation before a ReLU (<c>nn.init.kaiming_uniform_</c>, a = 0). Schemes take their default arguments.
    /// </summary>
    public Initialization WeightInit { get; set; } = Initialization.LinearDefault;

    /// <summary>How the bias is drawn: PyTorch's default U(±1/√fan_in), or <see cref="Initialization.Zeros"/>, <c>Ones</c>, <c>Uniform</c>, <c>Normal</c>.</summary>
    public Initialization BiasInit { get; set; } = Initialization.LinearDefault;

    /// <summary>
    /// The layer's module name in a PyTorch <c>state_dict</c>: with <c>Module = "0"</c> its tensors are <c>0.weight</c> and
    /// <c>0.bias</c> in <c>SaveSafetensors</c>/<c>LoadSafetensors</c>, so a network saved by PyTorch loads as it is. By default
    /// they are named after the parameters (<c>{Property}Weight</c>, <c>{Property}Bias</c>).
    /// </summary>
    public string? Module { get; set; }
}

/// <summary>
/// Declares a lookup table, PyTorch's <c>nn.Embedding(numEmbeddings, embeddingDim)</c>, on a
/// <c>partial Embedding&lt;float&gt;</c> property: row i of <c>{Property}Weight</c> [numEmbeddings, embeddingDim] is the
/// vector of index i. It starts as PyTorch's does, N(0, 1).
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class EmbeddingAttribute : Attribute
{
    /// <summary>Declares the table's size.</summary>
    public EmbeddingAttribute(int numEmbeddings, int embeddingDim)
    {
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
    }

    /// <summary>Rows of the table: indices are 0 to NumEmbeddings − 1.</summary>
    public int NumEmbeddings { get; }

    /// <summary>Values per row.</summary>
    public int EmbeddingDim { get; }

    /// <summary>
    /// The layer's module name in a PyTorch <c>state_dict</c>: with <c>Module = "0"</c> its tensors are <c>0.weight</c> and
    /// <c>0.bias</c> in <c>SaveSafetensors</c>/<c>LoadSafetensors</c>, so a network saved by PyTorch loads as it is. By default
    /// they are named after the parameters (<c>{Property}Weight</c>, <c>{Property}Bias</c>).
    /// </summary>
    public string? Module { get; set; }
}

/// <summary>
/// Declares a layer normalization over the last dimension, PyTorch's <c>nn.LayerNorm(normalizedShape)</c> (biased
/// variance, ε = 1e-5 by default) on a <c>partial LayerNorm&lt;float&gt;</c> property. Its parameters are
/// <c>{Property}Weight</c> [normalizedShape], starting at 1, and <c>{Property}Bias</c> [normalizedShape], starting at 0.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class LayerNormAttribute : Attribute
{
    /// <summary>Declares the size of the normalized (last) dimension.</summary>
    public LayerNormAttribute(int normalizedShape) => NormalizedShape = normalizedShape;

    /// <summary>The size of the last dimension.</summary>
    public int NormalizedShape { get; }

    /// <summary>Added to the variance before the square root (default 1e-5).</summary>
    public double Eps { get; set; } = 1e-5;

    /// <summary>
    /// The layer's module name in a PyTorch <c>state_dict</c>: with <c>Module = "0"</c> its tensors are <c>0.weight</c> and
    /// <c>0.bias</c> in <c>SaveSafetensors</c>/<c>LoadSafetensors</c>, so a network saved by PyTorch loads as it is. By default
    /// they are named after the parameters (<c>{Property}Weight</c>, <c>{Property}Bias</c>).
    /// </summary>
    public string? Module { get; set; }
}
