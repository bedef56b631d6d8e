using System;

namespace Optim;

/// <summary>
/// Declares a trainable tensor of the given shape on a <c>partial Span&lt;float&gt;</c> (or <c>Span&lt;double&gt;</c>)
/// get-only property of an <see cref="OptimizeAttribute"/> class. The generator backs it with storage in the
/// model's arena and adds a gradient view named <c>{Property}Grad</c> of the same length.
/// </summary>
/// <remarks>Shape is row-major, as in PyTorch: <c>[Parameter(5, 10)]</c> is a 5×10 weight (50 values).
/// No dimensions declares a scalar (one value).</remarks>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class ParameterAttribute : Attribute
{
    /// <summary>Declares the parameter's shape.</summary>
    public ParameterAttribute(params int[] shape) => Shape = shape;

    /// <summary>The parameter's shape, outermost dimension first.</summary>
    public int[] Shape { get; }

    /// <summary>How the generated <c>Initialize(int seed)</c> fills this parameter (default <see cref="Initialization.Zeros"/>).</summary>
    public Initialization Init { get; set; }

    /// <summary>Lower bound of <see cref="Initialization.Uniform"/> (default 0).</summary>
    public double Low { get; set; }

    /// <summary>Upper bound of <see cref="Initialization.Uniform"/> (default 1).</summary>
    public double High { get; set; } = 1;

    /// <summary>Mean of <see cref="Initialization.Normal"/> (default 0).</summary>
    public double Mean { get; set; }

    /// <summary>Standard deviation of <see cref="Initialization.Normal"/> (default 1).</summary>
    public double Std { get; set; } = 1;

    /// <summary>Gain of the Xavier schemes (default 1).</summary>
    public double Gain { get; set; } = 1;

    /// <summary>Negative slope a of the Kaiming schemes' leaky_relu (default 0: ReLU).</summary>
    public double NegativeSlope { get; set; }

    /// <summary>
    /// fan_in for <see cref="Initialization.LinearDefault"/> when the shape cannot give it (a bias: its layer's input
    /// size); 0 (default) computes it from the shape.
    /// </summary>
    public int FanIn { get; set; }
}
