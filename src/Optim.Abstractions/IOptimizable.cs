using System;
using System.Numerics;

namespace Optim;

/// <summary>
/// What every generated model offers, so that schedules, checkpoints, gradient clipping and training loops
/// can work on any model without reflection.
/// </summary>
public interface IOptimizable
{
    /// <summary>Number of trainable scalars in the model.</summary>
    int ParameterCount { get; }

    /// <summary>
    /// The learning rate the next <see cref="Step"/> uses. Starts at the attribute's <c>Lr</c>.
    /// Setting a negative, infinite or NaN value throws <see cref="ArgumentOutOfRangeException"/>.
    /// </summary>
    double LearningRate { get; set; }

    /// <summary>Number of optimizer steps taken so far (PyTorch's <c>state['step']</c>).</summary>
    long StepCount { get; }

    /// <summary>Performs one optimizer step over every parameter, using the gradients as they stand.</summary>
    void Step();

    /// <summary>Sets every gradient to zero.</summary>
    void ZeroGrad();
}

/// <summary>A generated model whose parameters have element type <typeparamref name="T"/>.</summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public interface IOptimizable<T> : IOptimizable
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Every parameter of the model, contiguous, in declaration order.</summary>
    Span<T> Parameters { get; }

    /// <summary>Every gradient of the model, contiguous, in the same order as <see cref="Parameters"/>.</summary>
    Span<T> Gradients { get; }
}
