using System;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Optim.Kernels;

/// <summary>
/// A fully connected layer in PyTorch's layout: x [batch, in], weight [out, in], bias [out], y [batch, out].
/// <para>
/// All three products are <see cref="Gemm"/> calls: y = x·Wᵀ (W packed transposed) with the bias and a ReLU fused into
/// the store, dx = dy·W, dW += dyᵀ·x (dy packed transposed). Every output adds its terms in ascending order with one
/// multiply and one add, so every vector width and thread count gives the same bits. Layers with fewer in features
/// than one 64-byte line skip the packing: the same ascending chains in vectors of their own (Dense.Small.cs).
/// </para>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class Dense
{
    /// <summary>
    /// y = x·Wᵀ + b (<paramref name="bias"/> empty: no bias), then <paramref name="activation"/> (None, Relu or LeakyRelu
    /// with <paramref name="slope"/>) fused into the store. y is overwritten.
    /// </summary>
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, int batch, int inFeatures, int outFeatures,
        GemmOptions activation = GemmOptions.None, double slope = 0, int maxThreads = 1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckForward(x.Length, weight.Length, bias.Length, y.Length, batch, inFeatures, outFeatures, activation, nameof(x), nameof(weight), nameof(bias), nameof(y));
        if (inFeatures >= Lanes.Line<T>())
        {
            Gemm.Multiply(x, weight, y, batch, outFeatures, inFeatures, GemmOptions.TransposeB | activation, bias, slope, maxThreads);
            return;
        }

        ForwardSmall(x, weight, bias, y, batch, inFeatures, outFeatures, new FusedActivation<T>(activation, T.CreateTruncating(slope)));
    }

    /// <summary>
    /// Both backward products of a layer: <see cref="BackwardWeights{T}"/> then <see cref="BackwardInput{T}"/>, with the
    /// same arguments and the same bits. A layer with fewer in features than one line and at most six outputs runs them
    /// in one pass over the batch, so that the input's gradient fills the time the weight sums wait on their adds; one
    /// with a single output and at most one vector of in features takes a row per vector.
    /// </summary>
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> weight, Span<T> dWeight, Span<T> dBias, Span<T> dx, int batch, int inFeatures, int outFeatures,
        int maxThreads = 1, GemmOptions inputActivation = GemmOptions.None, ReadOnlySpan<T> input = default, double slope = 0)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (inFeatures < Lanes.Line<T>() && outFeatures <= 6)
        {
            Check(batch, inFeatures, outFeatures, x.Length, dWeight.Length, dy.Length, nameof(x), nameof(dy));
            Check(batch, inFeatures, outFeatures, dx.Length, weight.Length, dy.Length, nameof(dx), nameof(dy));
            CheckInputActivation(batch, inFeatures, inputActivation, input, slope);
            bool hasBias = !dBias.IsEmpty;
            if (hasBias)
            {
                Guard.Fits(dBias.Length, outFeatures, nameof(dBias));
            }

            var gradient = new InputGradient<T>(ref MemoryMarshal.GetReference(weight), ref MemoryMarshal.GetReference(dx), ref MemoryMarshal.GetReference(input),
                new FusedActivation<T>(inputActivation, T.CreateTruncating(slope)));
            if (outFeatures == 1 && Vector256.IsHardwareAccelerated && inFeatures <= Vector256<T>.Count)
            {
                BackwardColumn(ref MemoryMarshal.GetReference(dy), ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(dWeight), ref MemoryMarshal.GetReference(dBias), hasBias,
                    batch, inFeatures, gradient);
                return;
            }

            if (BackwardSmall(ref MemoryMarshal.GetReference(dy), ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(dWeight), ref MemoryMarshal.GetReference(dBias), hasBias,
                batch, inFeatures, outFeatures, gradient))
            {
                return;
            }
        }

        BackwardWeights(dy, x, dWeight, dBias, batch, inFeatures, outFeatures, maxThreads);
        BackwardInput(dy, weight, dx, batch, inFeatures, outFeatures, maxThreads, inputActivation, input, slope);
    }

    /// <summary>
    /// dx = dy·W (dx [batch, in] overwritten): dx[b, i] is Σ over o, ascending, of dy[b, o]·W[o, i]. When this layer's input
    /// is the output of a Relu or LeakyRelu (<paramref name="inputActivation"/>, <paramref name="input"/> that output,
    /// <paramref name="slope"/> ≥ 0), dx goes on back through it, as <see cref="Activations.Backward{T}"/> would: dx is then
    /// the gradient of the activation's input (input ≤ 0 ? 0 : dx, or input &gt; 0 ? dx : slope·dx; the output's sign is
    /// the input's for these activations).
    /// </summary>
    public static void BackwardInput<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> weight, Span<T> dx, int batch, int inFeatures, int outFeatures, int maxThreads = 1,
        GemmOptions inputActivation = GemmOptions.None, ReadOnlySpan<T> input = default, double slope = 0)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(batch, inFeatures, outFeatures, dx.Length, weight.Length, dy.Length, nameof(dx), nameof(dy));
        CheckInputActivation(batch, inFeatures, inputActivation, input, slope);

        if (inFeatures < Lanes.Line<T>())
        {
            BackwardInputSmall(ref MemoryMarshal.GetReference(dy), ref MemoryMarshal.GetReference(weight), ref MemoryMarshal.GetReference(dx), batch, inFeatures, outFeatures,
                new FusedActivation<T>(inputActivation, T.CreateTruncating(slope)), ref MemoryMarshal.GetReference(input));
            return;
        }

        Gemm.Multiply(dy, weight, dx, batch, inFeatures, outFeatures, GemmOptions.None, default, 0, maxThreads);
        if (inputActivation != GemmOptions.None)
        {
            int n = batch * inFeatures;
            Activations.Backward(inputActivation == GemmOptions.Relu ? Activation.Relu : Activation.LeakyRelu, slope, input[..n], default, dx[..n], dx);
        }
    }

    /// <summary>
    /// dW += dyᵀ·x and dB += Σ_b dy (<paramref name="dBias"/> empty: no bias), added to what the gradients hold: dW[o, i]
    /// gets dy[b, o]·x[b, i] for b ascending, dB gets the rows of dy in order. Threads split the rows (or columns) of dW:
    /// no gradient is summed across threads.
    /// </summary>
    public static void BackwardWeights<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, Span<T> dWeight, Span<T> dBias, int batch, int inFeatures, int outFeatures, int maxThreads = 1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(batch, inFeatures, outFeatures, x.Length, dWeight.Length, dy.Length, nameof(x), nameof(dy));
        ref T d = ref MemoryMarshal.GetReference(dy);
        bool hasBias = !dBias.IsEmpty;
        if (hasBias)
        {
            Guard.Fits(dBias.Length, outFeatures, nameof(dBias));
        }

        ref T gb = ref MemoryMarshal.GetReference(dBias);
        if (inFeatures < Lanes.Line<T>())
        {
            // The bias sums run in the same pass as the weight rows.
            BackwardWeightsSmall(ref d, ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(dWeight), ref gb, hasBias, batch, inFeatures, outFeatures);
            return;
        }

        Gemm.Multiply(dy, x, dWeight, outFeatures, inFeatures, batch, GemmOptions.TransposeA | GemmOptions.Accumulate, default, 0, maxThreads);
        if (hasBias)
        {
            BiasGradient(ref d, ref gb, batch, outFeatures);
        }
    }

    /// <summary>dB += Σ_b dy[b, ·], the rows of dy in order.</summary>
    private static void BiasGradient<T>(ref T dy, ref T dB, int batch, int outFeatures)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (outFeatures < Lanes.Line<T>())
        {
            BiasSmall(ref dy, ref dB, batch, outFeatures);
            return;
        }

        for (int b = 0; b < batch; b++)
        {
            ref T row = ref Unsafe.Add(ref dy, b * outFeatures);
            Lanes.Map(default(Sum2<T>), ref dB, ref row, ref row, ref dB, outFeatures);
        }
    }

    /// <summary>
    /// An input activation is None, or Relu or LeakyRelu with a slope of at least 0 whose output
    /// <paramref name="input"/> holds at least <paramref name="batch"/> × <paramref name="inFeatures"/> values (also the
    /// check of <see cref="Pooling.MaxBackward{T}"/>'s gate).
    /// </summary>
    internal static void CheckInputActivation<T>(int batch, int inFeatures, GemmOptions inputActivation, ReadOnlySpan<T> input, double slope)
    {
        if (inputActivation != GemmOptions.None)
        {
            if (inputActivation is not (GemmOptions.Relu or GemmOptions.LeakyRelu) || !(slope >= 0))
            {
                throw new ArgumentException($"An input activation is Relu or LeakyRelu with a slope of at least 0, not {inputActivation} with slope {slope}.", nameof(inputActivation));
            }

            Guard.Fits(input.Length, (long)batch * inFeatures, nameof(input));
        }
    }

    /// <summary><see cref="Forward{T}"/>'s checks, with the arguments' names (<see cref="ForwardPair{T}"/> checks each layer).</summary>
    private static void CheckForward(int x, int weight, int bias, int y, int batch, int inFeatures, int outFeatures, GemmOptions activation,
        string xName, string weightName, string biasName, string yName, string activationName = "activation")
    {
        Check(batch, inFeatures, outFeatures, x, weight, y, xName, yName, weightName);
        if ((activation & ~(GemmOptions.Relu | GemmOptions.LeakyRelu)) != 0)
        {
            NotAnActivation(activation, activationName);
        }

        if (bias != 0)
        {
            Guard.Fits(bias, outFeatures, biasName);
        }
    }

    [DoesNotReturn]
    private static void NotAnActivation(GemmOptions activation, string name) =>
        throw new ArgumentException($"A layer's fused activation is Relu or LeakyRelu, not {activation}.", name);

    private static void Check(int batch, int inFeatures, int outFeatures, int input, int weight, int output, string inputName, string outputName, string weightName = "weight")
    {
        Guard.Positive(batch, nameof(batch));
        Guard.Positive(inFeatures, nameof(inFeatures));
        Guard.Positive(outFeatures, nameof(outFeatures));
        Guard.Fits(input, (long)batch * inFeatures, inputName);
        Guard.Fits(weight, (long)outFeatures * inFeatures, weightName);
        Guard.Fits(output, (long)batch * outFeatures, outputName);
    }
}
