using System.Linq;
using Optim.Generators.Common;

namespace Optim.Generators.Model.Networks;

/// <summary>What a node of a network's graph computes.</summary>
internal enum OpKind
{
    /// <summary>One of the forward method's tensor inputs.</summary>
    Input,

    /// <summary>One of the forward method's <c>Indices</c> inputs (an embedding's).</summary>
    IndexInput,

    /// <summary>A layer's <c>Forward</c> (<see cref="Node.Layer"/> names it; its kind says which op).</summary>
    Layer,

    /// <summary>An element-wise activation (<see cref="Node.Activation"/>, LeakyReLU's slope in <see cref="Node.Number"/>).</summary>
    Activation,

    /// <summary>The maximum of each window (kernel in <see cref="Node.Number"/>).</summary>
    MaxPool,

    /// <summary>The mean of each window (kernel in <see cref="Node.Number"/>).</summary>
    AvgPool,

    /// <summary>[batch, d₁, d₂, …] → [batch, d₁·d₂·…].</summary>
    Flatten,

    /// <summary>Dropout with probability <see cref="Node.Number"/> (training only).</summary>
    Dropout,

    /// <summary>The element-wise sum of two nodes of one shape (a residual connection).</summary>
    Add,

    /// <summary>Every value times the constant <see cref="Node.Number"/>.</summary>
    Scale,
}

/// <summary>The kinds of layer property.</summary>
internal enum LayerKind
{
    Linear,
    Conv2d,
    Embedding,
    LayerNorm,
}

/// <summary>
/// One value of the forward pass: a tensor of <c>[batch, …Shape]</c>, computed by <see cref="Kind"/> from the nodes
/// <see cref="Inputs"/> (ids of earlier nodes: the graph is in evaluation order).
/// </summary>
/// <param name="Id">Position in <see cref="NetworkSpec.Nodes"/>.</param>
/// <param name="Kind">The operation.</param>
/// <param name="Inputs">Operand node ids.</param>
/// <param name="Shape">One example's shape.</param>
/// <param name="Layer">The layer property, for <see cref="OpKind.Layer"/>; the input's name for the inputs.</param>
/// <param name="Activation">The Optim.Kernels.Activation member, for <see cref="OpKind.Activation"/>.</param>
/// <param name="Number">LeakyReLU's slope, the scale factor, the pooling window or the dropout probability.</param>
/// <param name="Source">The C# expression it came from, for the generated comments.</param>
internal sealed record Node(int Id, OpKind Kind, EquatableArray<int> Inputs, EquatableArray<int> Shape, string Layer, string Activation, double Number, string Source)
{
    /// <summary>Values per example.</summary>
    public int PerExample => Shape.Aggregate(1, (product, d) => product * d);

    /// <summary>Whether the node is one of the method's inputs.</summary>
    public bool IsInput => Kind is OpKind.Input or OpKind.IndexInput;
}

/// <summary>
/// A layer property: its kind, sizes and parameters (<c>{Name}Weight</c>, and <c>{Name}Bias</c> when it has one).
/// </summary>
/// <param name="Name">The property's name.</param>
/// <param name="Kind">Which layer.</param>
/// <param name="Modifiers">The declaration's modifiers, partial last, for its implementation.</param>
/// <param name="Sizes">Linear: in, out. Conv2d: in, out, kernel, stride, padding. Embedding: rows, dim. LayerNorm: n.</param>
/// <param name="HasBias">Whether it has a bias parameter.</param>
/// <param name="Eps">LayerNorm's ε.</param>
/// <param name="Module">Its module name in a PyTorch state_dict ("0" gives "0.weight", "0.bias"), if given.</param>
/// <param name="WeightInit">The Optim.Initialization member that starts its weight (default LinearDefault, PyTorch's).</param>
/// <param name="BiasInit">The one that starts its bias.</param>
internal sealed record LayerSpec(string Name, LayerKind Kind, string Modifiers, EquatableArray<int> Sizes, bool HasBias, double Eps, string? Module = null, int WeightInit = 8, int BiasInit = 8)
{
    public string Weight => Name + "Weight";

    public string Bias => Name + "Bias";

    /// <summary>Linear's input features, Conv2d's input channels.</summary>
    public int In => Sizes[0];

    /// <summary>Linear's output features, Conv2d's output channels, Embedding's dimension.</summary>
    public int Out => Kind == LayerKind.LayerNorm ? Sizes[0] : Sizes[1];

    /// <summary>How the layer reads in PyTorch, for comments and messages.</summary>
    public string Display => Kind switch
    {
        LayerKind.Conv2d => $"Conv2d({Sizes[0]}, {Sizes[1]}, {Sizes[2]}, stride {Sizes[3]}, padding {Sizes[4]})",
        _ => $"{Kind}({string.Join(", ", Sizes)})",
    };
}

/// <summary>
/// A model's network, read from its <c>[Forward]</c> method: a static graph with compile-time shapes, the loss to train
/// it on and the largest batch its buffers are planned for.
/// </summary>
/// <param name="Method">The forward method's name.</param>
/// <param name="Layers">The layer properties.</param>
/// <param name="Nodes">The graph in evaluation order; inputs first.</param>
/// <param name="Output">The node the method returns.</param>
/// <param name="MaxBatch">[Forward(MaxBatch = …)].</param>
/// <param name="Criterion">The Optim.Criterion member's name.</param>
internal sealed record NetworkSpec(string Method, EquatableArray<LayerSpec> Layers, EquatableArray<Node> Nodes, int Output, int MaxBatch, string Criterion)
{
    /// <summary>Whether the graph has a dropout node (whose generator the model carries).</summary>
    public bool HasDropout => Nodes.Any(n => n.Kind == OpKind.Dropout);

    /// <summary>Whether targets are class indices (cross-entropy) rather than values of the output's shape.</summary>
    public bool ClassTargets => Criterion == "CrossEntropy";
}
