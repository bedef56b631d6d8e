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
}
