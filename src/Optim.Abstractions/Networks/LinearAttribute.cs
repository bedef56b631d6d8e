using System;

namespace Optim;

/// <summary>
/// Declares a fully connected layer, PyTorch's <c>nn.Linear(inFeatures, outFeatures)</c>, on a
/// <c>partial Linear&lt;float&gt;</c> (or <c>Linear&lt;double&gt;</c>) get-only property of an <see cref="OptimizeAttribute"/>
/// class. Its parameters are ordinary parameters of the model, named after the property: <c>{Property}Weight</c>
/// [outFeatures, inFeatures] and <c>{Property}Bias</c> [outFeatures], each with its gradient view, freezing flag and place
/// in checkpoints; they start as PyTorch's do, U(−1/√inFeatures, 1/√inFeatures).
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class LinearAttribute : Attribute
{
    /// <summary>Declares the layer's sizes.</summary>
    public LinearAttribute(int inFeatures, int outFeatures)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
    }

    /// <summary>Features of each input row.</summary>
    public int InFeatures { get; }

    /// <summary>Features of each output row.</summary>
    public int OutFeatures { get; }

    /// <summary>Whether the layer adds a bias (default true, as in PyTorch).</summary>
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
