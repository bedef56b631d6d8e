using System;

namespace Optim;

/// <summary>
/// Marks the method that computes a network's output from its inputs. The generator reads the method (it never runs it),
/// checks every shape at compile time, differentiates it, and adds to the model <c>Predict</c> (inference for a batch),
/// <c>Evaluate</c> (the loss of a batch) and <c>TrainStep</c> (zero the gradients, forward, loss, backward and
/// <c>Step()</c> in one call, returning the loss). Its parameters are <see cref="Tensor{T}"/> values with a
/// <see cref="ShapeAttribute"/> giving one example's shape; it returns the network's output.
/// </summary>
/// <remarks>
/// The body is a straight line of layer calls (<c>Hidden.Forward(x)</c>), <see cref="Nn"/> functions, locals, <c>+</c> of
/// two tensors of one shape and <c>*</c> by a constant. Called directly, the method runs eagerly on
/// <see cref="Tensor{T}"/> values: slow and allocating, it is the reference the generated passes are tested against.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class ForwardAttribute : Attribute
{
    /// <summary>The largest batch the generated members accept; their buffers are planned for it, once, with the model.</summary>
    public int MaxBatch { get; set; } = 64;

    /// <summary>The loss <c>Evaluate</c> and <c>TrainStep</c> compute (PyTorch's criterion, mean reduction).</summary>
    public Criterion Criterion { get; set; } = Criterion.MeanSquared;
}

/// <summary>One example's shape for a <see cref="ForwardAttribute"/> method's input, without the batch dimension.</summary>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class ShapeAttribute : Attribute
{
    /// <summary>Declares the shape, outermost dimension first: <c>[Shape(10)]</c> is 10 features.</summary>
    public ShapeAttribute(params int[] dimensions) => Dimensions = dimensions;

    /// <summary>The dimensions, outermost first.</summary>
    public int[] Dimensions { get; }
}

/// <summary>The loss a network is trained on: PyTorch's criteria with <c>reduction = 'mean'</c>.</summary>
public enum Criterion
{
    /// <summary><c>nn.MSELoss</c>: the mean over every element of (y − t)².</summary>
    MeanSquared = 0,

    /// <summary><c>nn.L1Loss</c>: the mean of |y − t| (its gradient at 0 is 0).</summary>
    L1 = 1,

    /// <summary><c>nn.SmoothL1Loss</c> with β = 1 (Huber): 0.5·d² where |d| &lt; 1, else |d| − 0.5, averaged.</summary>
    SmoothL1 = 2,

    /// <summary><c>nn.CrossEntropyLoss</c> on class indices: the batch mean of −log softmax(y)[class].</summary>
    CrossEntropy = 3,

    /// <summary><c>nn.BCEWithLogitsLoss</c>: targets in {0, 1} of the output's shape; the mean of max(y, 0) − y·t + log(1 + e^−|y|).</summary>
    BinaryCrossEntropyWithLogits = 4,
}
