using System;
using System.IO;
using System.Numerics;
using static Optim.Optimizer;

namespace Optim.Distributed.Ranks;

/// <summary>What the trainer needs of a model: its arena, a backward pass over some rows, initialisation and checkpoints.</summary>
public interface IRankModel<T> : IOptimizable<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Forward, mean loss over the <paramref name="batch"/> rows and backward, adding into the gradients; returns the loss.</summary>
    T Backward(ReadOnlySpan<T> x, ReadOnlySpan<T> target, int batch);

    void Initialize(int seed);

    void SaveCheckpoint(string path);

    void LoadCheckpoint(Stream stream, bool allowHyperparameterChanges = false);
}

/// <summary>Sizes shared by the models (the sample's 10 → 5 → 1 MLP).</summary>
public static class Mlp
{
    public const int Inputs = 10;
    public const int Hidden = 5;
    public const int MaxBatch = 64;
}

/// <summary>
/// The sample's hand-written MLP (src/Optim.Sample/HandWritten), float, without the schedule: h = ReLU(W1·x + b1),
/// ŷ = W2·h + b2, loss = mean (ŷ − y)². Optim generates storage, gradients, Adam's state and Step().
/// </summary>
[Optimize(Adam, Lr = 1e-2)]
public sealed partial class HandMlpFloat : IRankModel<float>
{
    private readonly float[] _hidden = new float[Mlp.MaxBatch * Mlp.Hidden];
    private readonly float[] _prediction = new float[Mlp.MaxBatch];

    [Parameter(Mlp.Hidden, Mlp.Inputs, Init = Initialization.KaimingUniform)] public partial Span<float> HiddenWeight { get; }

    [Parameter(Mlp.Hidden)] public partial Span<float> HiddenBias { get; }

    [Parameter(1, Mlp.Hidden, Init = Initialization.KaimingUniform)] public partial Span<float> OutputWeight { get; }

    [Parameter(1)] public partial Span<float> OutputBias { get; }

    public float Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> target, int batch) =>
        HandMlp<float>.Backward(x, target, batch, HiddenWeight, HiddenBias, OutputWeight, OutputBias,
            HiddenWeightGrad, HiddenBiasGrad, OutputWeightGrad, OutputBiasGrad, _hidden, _prediction);
}

/// <summary>The same MLP in double precision.</summary>
[Optimize(Adam, Lr = 1e-2)]
public sealed partial class HandMlpDouble : IRankModel<double>
{
    private readonly double[] _hidden = new double[Mlp.MaxBatch * Mlp.Hidden];
    private readonly double[] _prediction = new double[Mlp.MaxBatch];

    [Parameter(Mlp.Hidden, Mlp.Inputs, Init = Initialization.KaimingUniform)] public partial Span<double> HiddenWeight { get; }

    [Parameter(Mlp.Hidden)] public partial Span<double> HiddenBias { get; }

    [Parameter(1, Mlp.Hidden, Init = Initialization.KaimingUniform)] public partial Span<double> OutputWeight { get; }

    [Parameter(1)] public partial Span<double> OutputBias { get; }

    public double Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> target, int batch) =>
        HandMlp<double>.Backward(x, target, batch, HiddenWeight, HiddenBias, OutputWeight, OutputBias,
            HiddenWeightGrad, HiddenBiasGrad, OutputWeightGrad, OutputBiasGrad, _hidden, _prediction);
}

/// <summary>The hand-written forward and backward passes (the sample's, written once for both element types).</summary>
internal static class HandMlp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// Forward, then the backward pass of L = (1/B) Σₙ (ŷₙ − yₙ)², adding into the gradients; returns L.
    /// δₙ = 2(ŷₙ − yₙ)/B; ∂b2 += δₙ; ∂W2ⱼ += δₙhₙⱼ; where hₙⱼ > 0: ∂b1ⱼ += δₙW2ⱼ, ∂W1ⱼᵢ += δₙW2ⱼxₙᵢ.
    /// </summary>
    public static T Backward(ReadOnlySpan<T> x, ReadOnlySpan<T> target, int batch,
        ReadOnlySpan<T> w1, ReadOnlySpan<T> b1, ReadOnlySpan<T> w2, ReadOnlySpan<T> b2,
        Span<T> w1Grad, Span<T> b1Grad, Span<T> w2Grad, Span<T> b2Grad, Span<T> hidden, Span<T> prediction)
    {
        const int Inputs = Mlp.Inputs, Hidden = Mlp.Hidden;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<T> row = x.Slice(n * Inputs, Inputs);
            Span<T> h = hidden.Slice(n * Hidden, Hidden);
            T y = b2[0];
            for (int j = 0; j < Hidden; j++)
            {
                T z = b1[j];
                for (int i = 0; i < Inputs; i++)
                {
                    z += w1[j * Inputs + i] * row[i];
                }

                h[j] = T.Max(z, T.Zero);
                y += w2[j] * h[j];
            }

            prediction[n] = y;
        }

        T scale = T.CreateChecked(2) / T.CreateChecked(batch);
        T loss = T.Zero;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<T> row = x.Slice(n * Inputs, Inputs);
            ReadOnlySpan<T> h = hidden.Slice(n * Hidden, Hidden);
            T error = prediction[n] - target[n];
            T delta = scale * error;
            loss += error * error;
            b2Grad[0] += delta;
            for (int j = 0; j < Hidden; j++)
            {
                w2Grad[j] += delta * h[j];
                if (h[j] <= T.Zero)
                {
                    continue;
                }

                T g = delta * w2[j];
                b1Grad[j] += g;
                for (int i = 0; i < Inputs; i++)
                {
                    w1Grad[j * Inputs + i] += g * row[i];
                }
            }
        }

        return loss / T.CreateChecked(batch);
    }
}

/// <summary>A generated network (10 → 16 → 8 → 1, tanh then ReLU), float: the generator writes its <c>Backward</c>.</summary>
[Optimize(Adam, Lr = 1e-2)]
public sealed partial class NetworkFloat : IRankModel<float>
{
    [Linear(Mlp.Inputs, 16)] public partial Linear<float> First { get; }

    [Linear(16, 8)] public partial Linear<float> Second { get; }

    [Linear(8, 1)] public partial Linear<float> Output { get; }

    [Forward(MaxBatch = Mlp.MaxBatch, Criterion = Criterion.MeanSquared)]
    public Tensor<float> Forward([Shape(Mlp.Inputs)] Tensor<float> x) => Output.Forward(Nn.Relu(Second.Forward(Nn.Tanh(First.Forward(x)))));
}

/// <summary>The same network in double precision.</summary>
[Optimize(Adam, Lr = 1e-2)]
public sealed partial class NetworkDouble : IRankModel<double>
{
    [Linear(Mlp.Inputs, 16)] public partial Linear<double> First { get; }

    [Linear(16, 8)] public partial Linear<double> Second { get; }

    [Linear(8, 1)] public partial Linear<double> Output { get; }

    [Forward(MaxBatch = Mlp.MaxBatch, Criterion = Criterion.MeanSquared)]
    public Tensor<double> Forward([Shape(Mlp.Inputs)] Tensor<double> x) => Output.Forward(Nn.Relu(Second.Forward(Nn.Tanh(First.Forward(x)))));
}

/// <summary>
/// The float network with LAMB, a per-tensor rule (trust ratios over each tensor): ZeRO-1 shards its state by whole
/// tensors. Its six tensors are 160, 16, 128, 8, 8 and 1 values.
/// </summary>
[Optimize(Lamb, Lr = 1e-2, Threads = 1)]
public sealed partial class NetworkLambFloat : IRankModel<float>
{
    [Linear(Mlp.Inputs, 16)] public partial Linear<float> First { get; }

    [Linear(16, 8)] public partial Linear<float> Second { get; }

    [Linear(8, 1)] public partial Linear<float> Output { get; }

    [Forward(MaxBatch = Mlp.MaxBatch, Criterion = Criterion.MeanSquared)]
    public Tensor<float> Forward([Shape(Mlp.Inputs)] Tensor<float> x) => Output.Forward(Nn.Relu(Second.Forward(Nn.Tanh(First.Forward(x)))));
}

/// <summary>
/// The float network with Adam, gradient clipping and the non-finite skip: sharded, its step needs the norm of every
/// rank's slice (DataParallel.Step's global-norm hook). A max norm of 0.05 clips most steps.
/// </summary>
[Optimize(Adam, Lr = 1e-2, Threads = 1, ClipGradNorm = 0.05, SkipNonFinite = true)]
public sealed partial class NetworkClippedFloat : IRankModel<float>
{
    [Linear(Mlp.Inputs, 16)] public partial Linear<float> First { get; }

    [Linear(16, 8)] public partial Linear<float> Second { get; }

    [Linear(8, 1)] public partial Linear<float> Output { get; }

    [Forward(MaxBatch = Mlp.MaxBatch, Criterion = Criterion.MeanSquared)]
    public Tensor<float> Forward([Shape(Mlp.Inputs)] Tensor<float> x) => Output.Forward(Nn.Relu(Second.Forward(Nn.Tanh(First.Forward(x)))));
}

/// <summary>
/// The float network with a parameter group per layer, every rule element-wise: Adam (the class's, First), SGD with
/// momentum (Second) and AdamW (Output). ZeRO-1 cuts its slices on 64-byte lines, through the groups: each rank holds each
/// group's state for the group's part of its slice. 176, 136 and 9 values.
/// </summary>
[Optimize(Adam, Lr = 1e-2, Threads = 1)]
public sealed partial class NetworkGroupsFloat : IRankModel<float>
{
    [Linear(Mlp.Inputs, 16)] public partial Linear<float> First { get; }

    [Linear(16, 8), Optimize(Sgd, Lr = 0.05, Momentum = 0.9)] public partial Linear<float> Second { get; }

    [Linear(8, 1), Optimize(AdamW, Lr = 1e-2, WeightDecay = 0.01)] public partial Linear<float> Output { get; }

    [Forward(MaxBatch = Mlp.MaxBatch, Criterion = Criterion.MeanSquared)]
    public Tensor<float> Forward([Shape(Mlp.Inputs)] Tensor<float> x) => Output.Forward(Nn.Relu(Second.Forward(Nn.Tanh(First.Forward(x)))));
}

/// <summary>
/// The float network with Adam for First and Output and a LAMB group (a per-tensor rule) for Second: ZeRO-1 then cuts
/// whole tensors of every group. Group 0 holds First (160 + 16) and Output (8 + 1), group 1 Second (128 + 8).
/// </summary>
[Optimize(Adam, Lr = 1e-2, Threads = 1)]
public sealed partial class NetworkMixedGroupsFloat : IRankModel<float>
{
    [Linear(Mlp.Inputs, 16)] public partial Linear<float> First { get; }

    [Linear(16, 8), Optimize(Lamb, Lr = 1e-2)] public partial Linear<float> Second { get; }

    [Linear(8, 1)] public partial Linear<float> Output { get; }

    [Forward(MaxBatch = Mlp.MaxBatch, Criterion = Criterion.MeanSquared)]
    public Tensor<float> Forward([Shape(Mlp.Inputs)] Tensor<float> x) => Output.Forward(Nn.Relu(Second.Forward(Nn.Tanh(First.Forward(x)))));
}
