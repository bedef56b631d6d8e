using System;
using static Optim.Optimizer;

namespace Optim.Sample.HandWritten;

/// <summary>
/// The same MLP with its gradients written by hand, as every Optim model was written before networks: the parameters
/// are declared one by one and <see cref="TrainStep"/> and <see cref="Predict"/> are ordinary C# loops derived on paper.
/// Optim still generates the storage, the gradient views, the optimizer state, <c>Initialize</c> and <c>Step()</c>. It is
/// kept as the documented example of writing gradients yourself (docs/networks.md), and the train command runs it beside
/// the generated networks: same parameter names (so <c>Initialize</c> draws the same values), same batches, same loss.
/// </summary>
[Optimize(Adam, Lr = 1e-2)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class HandWrittenAdamMlp : ISeedMlp
{
    private const int Inputs = SeedNetwork.Inputs;
    private const int Hidden = SeedNetwork.HiddenUnits;

    // Activations of the current mini-batch, kept by the forward pass for the backward pass.
    private readonly float[] _hidden = new float[TrainCommand.BatchSize * Hidden];   // ReLU outputs
    private readonly float[] _prediction = new float[TrainCommand.BatchSize];        // network outputs

    [Parameter(Hidden, Inputs, Init = Initialization.KaimingUniform)] public partial Span<float> HiddenWeight { get; }

    [Parameter(Hidden)] public partial Span<float> HiddenBias { get; }

    [Parameter(1, Hidden, Init = Initialization.KaimingUniform)] public partial Span<float> OutputWeight { get; }

    [Parameter(1)] public partial Span<float> OutputBias { get; }

    public float TrainStep(ReadOnlySpan<float> x, ReadOnlySpan<float> target, int batch)
    {
        ZeroGrad();
        Forward(x, batch);
        float loss = Backward(x, target, batch);
        Step();
        return loss;
    }

    public void Predict(ReadOnlySpan<float> x, Span<float> output, int batch)
    {
        Forward(x, batch);
        _prediction.AsSpan(0, batch).CopyTo(output);
    }

    /// <summary>
    /// Forward pass: <c>h = ReLU(HiddenWeight·x + HiddenBias)</c>, <c>ŷ = OutputWeight·h + OutputBias</c> for each of the <paramref name="batch"/> rows of
    /// <paramref name="x"/>. Stores h and ŷ for <see cref="Backward"/>.
    /// </summary>
    private void Forward(ReadOnlySpan<float> x, int batch)
    {
        ReadOnlySpan<float> w1 = HiddenWeight, b1 = HiddenBias, w2 = OutputWeight;
        float b2 = OutputBias[0];
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> row = x.Slice(n * Inputs, Inputs);
            Span<float> h = _hidden.AsSpan(n * Hidden, Hidden);
            float y = b2;
            for (int j = 0; j < Hidden; j++)
            {
                ReadOnlySpan<float> w1Row = w1.Slice(j * Inputs, Inputs);
                float z = b1[j];
                for (int i = 0; i < Inputs; i++)
                {
                    z += w1Row[i] * row[i];
                }

                h[j] = MathF.Max(z, 0f);
                y += w2[j] * h[j];
            }

            _prediction[n] = y;
        }
    }

    /// <summary>
    /// Backward pass for the loss <c>L = (1/B) Σₙ (ŷₙ − yₙ)²</c> over the B rows, accumulated into the gradient views
    /// (which <c>ZeroGrad()</c> has cleared); returns L.
    /// <code>
    /// δₙ      = ∂L/∂ŷₙ = 2(ŷₙ − yₙ) / B
    /// ∂L/∂OutputBias += δₙ
    /// ∂L/∂W2ⱼ += δₙ·hₙⱼ
    /// gₙⱼ     = δₙ·W2ⱼ if hₙⱼ > 0, else 0        (ReLU passes gradient only where it was active)
    /// ∂L/∂B1ⱼ += gₙⱼ
    /// ∂L/∂W1ⱼᵢ += gₙⱼ·xₙᵢ
    /// </code>
    /// </summary>
    private float Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> target, int batch)
    {
        ReadOnlySpan<float> w2 = OutputWeight;
        Span<float> w1Grad = HiddenWeightGrad, b1Grad = HiddenBiasGrad, w2Grad = OutputWeightGrad, b2Grad = OutputBiasGrad;
        float scale = 2f / batch;
        float loss = 0;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> row = x.Slice(n * Inputs, Inputs);
            ReadOnlySpan<float> h = _hidden.AsSpan(n * Hidden, Hidden);
            float error = _prediction[n] - target[n];
            float delta = scale * error;
            loss += error * error;

            b2Grad[0] += delta;
            for (int j = 0; j < Hidden; j++)
            {
                w2Grad[j] += delta * h[j];
                if (h[j] <= 0f)
                {
                    continue;
                }

                float g = delta * w2[j];
                b1Grad[j] += g;
                Span<float> w1GradRow = w1Grad.Slice(j * Inputs, Inputs);
                for (int i = 0; i < Inputs; i++)
                {
                    w1GradRow[i] += g * row[i];
                }
            }
        }

        return loss / batch;
    }
}
