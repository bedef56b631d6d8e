using System;
using System.Diagnostics;

namespace Optim.Sample;

/// <summary>One optimizer's training run, seen without its model type so that runs can sit side by side.</summary>
internal interface ITrainingRun
{
    /// <summary>The optimizer's display name.</summary>
    string Name { get; }

    /// <summary>Optimizer steps taken so far.</summary>
    long Steps { get; }

    /// <summary>The learning rate the next step will use (set by the model's schedule).</summary>
    double LearningRate { get; }

    /// <summary>Time spent inside <see cref="TrainEpoch"/> (evaluation and printing are not counted).</summary>
    TimeSpan TrainingTime { get; }

    /// <summary>
    /// Bytes allocated on the managed heap inside <see cref="TrainEpoch"/> after the first epoch (which also pays for JIT
    /// compilation and tiering on this thread); zero is the goal.
    /// </summary>
    long AllocatedBytes { get; }

    /// <summary>One pass over the data set in shuffled mini-batches, one optimizer step per batch.</summary>
    void TrainEpoch();

    /// <summary>Mean squared error of the current model over the whole data set.</summary>
    double Evaluate();

    /// <summary>The model's parameters as they stand.</summary>
    ReadOnlySpan<float> Parameters { get; }
}

/// <summary>
/// Trains any <see cref="IMlp"/> model with whatever optimizer Optim generated for it. Every buffer is
/// allocated in the constructor; an epoch only reads and writes spans, so training allocates nothing.
/// </summary>
/// <typeparam name="TModel">A generated model class.</typeparam>
internal sealed class MlpTrainer<TModel> : ITrainingRun
    where TModel : IOptimizable<float>, IMlp
{
    private readonly TModel _model;
    private readonly Dataset _data;
    private readonly int _batchSize;
    private readonly Random _shuffle;

    // Sample indices, reshuffled every epoch; a mini-batch is a slice of it.
    private readonly int[] _order;

    // Activations of the current mini-batch, kept by the forward pass for the backward pass.
    private readonly float[] _hidden;      // ReLU outputs, batchSize × Hidden
    private readonly float[] _prediction;  // network outputs, batchSize

    public MlpTrainer(string name, TModel model, Dataset data, int batchSize, int shuffleSeed)
    {
        Name = name;
        _model = model;
        _data = data;
        _batchSize = batchSize;
        _shuffle = new Random(shuffleSeed);
        _order = new int[data.Count];
        for (int n = 0; n < _order.Length; n++)
        {
            _order[n] = n;
        }

        _hidden = new float[batchSize * IMlp.Hidden];
        _prediction = new float[batchSize];
    }

    public string Name { get; }

    public long Steps => _model.StepCount;

    public double LearningRate => _model.LearningRate;

    public TimeSpan TrainingTime { get; private set; }

    public long AllocatedBytes { get; private set; }

    public ReadOnlySpan<float> Parameters => _model.Parameters;

    private int _epochs;

    /// <summary>
    /// Draws the mini-batch orders of <paramref name="epochs"/> epochs without training: a run resumed from a checkpoint
    /// of epoch n replays n shuffles, so it sees the same batches as a run that never stopped.
    /// </summary>
    public void SkipEpochs(int epochs)
    {
        for (int e = 0; e < epochs; e++)
        {
            _shuffle.Shuffle(_order);
        }

        _epochs += epochs;
    }

    public void TrainEpoch()
    {
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        long started = Stopwatch.GetTimestamp();

        _shuffle.Shuffle(_order);
        for (int first = 0; first < _order.Length; first += _batchSize)
        {
            ReadOnlySpan<int> batch = _order.AsSpan(first, Math.Min(_batchSize, _order.Length - first));
            _model.ZeroGrad();
            Forward(batch);
            Backward(batch);
            _model.Step();
        }

        TrainingTime += Stopwatch.GetElapsedTime(started);
        if (_epochs++ > 0)
        {
            AllocatedBytes += GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        }
    }

    public double Evaluate()
    {
        // The full-data-set MSE does not depend on sample order, so reuse the (shuffled) index array.
        double sumOfSquares = 0;
        for (int first = 0; first < _order.Length; first += _batchSize)
        {
            ReadOnlySpan<int> batch = _order.AsSpan(first, Math.Min(_batchSize, _order.Length - first));
            Forward(batch);
            for (int n = 0; n < batch.Length; n++)
            {
                double error = _prediction[n] - _data.Target(batch[n]);
                sumOfSquares += error * error;
            }
        }

        return sumOfSquares / _order.Length;
    }

    /// <summary>
    /// Forward pass over the samples in <paramref name="batch"/>:
    /// <c>h = ReLU(W1·x + B1)</c>, <c>ŷ = W2·h + B2</c>. Stores h and ŷ for <see cref="Backward"/>.
    /// </summary>
    private void Forward(ReadOnlySpan<int> batch)
    {
        ReadOnlySpan<float> w1 = _model.W1, b1 = _model.B1, w2 = _model.W2;
        float b2 = _model.B2[0];

        for (int n = 0; n < batch.Length; n++)
        {
            ReadOnlySpan<float> x = _data.Features(batch[n]);
            Span<float> h = _hidden.AsSpan(n * IMlp.Hidden, IMlp.Hidden);
            float y = b2;
            for (int j = 0; j < IMlp.Hidden; j++)
            {
                ReadOnlySpan<float> w1Row = w1.Slice(j * IMlp.Inputs, IMlp.Inputs);
                float z = b1[j];
                for (int i = 0; i < IMlp.Inputs; i++)
                {
                    z += w1Row[i] * x[i];
                }

                h[j] = MathF.Max(z, 0f);
                y += w2[j] * h[j];
            }

            _prediction[n] = y;
        }
    }

    /// <summary>
    /// Backward pass for the loss <c>L = (1/B) Σₙ (ŷₙ − yₙ)²</c> over the B samples in <paramref name="batch"/>,
    /// accumulated into the model's gradient views (which <c>ZeroGrad()</c> has cleared):
    /// <code>
    /// δₙ      = ∂L/∂ŷₙ = 2(ŷₙ − yₙ) / B
    /// ∂L/∂B2 += δₙ
    /// ∂L/∂W2ⱼ += δₙ·hₙⱼ
    /// gₙⱼ     = δₙ·W2ⱼ if hₙⱼ > 0, else 0        (ReLU passes gradient only where it was active)
    /// ∂L/∂B1ⱼ += gₙⱼ
    /// ∂L/∂W1ⱼᵢ += gₙⱼ·xₙᵢ
    /// </code>
    /// </summary>
    private void Backward(ReadOnlySpan<int> batch)
    {
        ReadOnlySpan<float> w2 = _model.W2;
        Span<float> w1Grad = _model.W1Grad, b1Grad = _model.B1Grad, w2Grad = _model.W2Grad, b2Grad = _model.B2Grad;
        float scale = 2f / batch.Length;

        for (int n = 0; n < batch.Length; n++)
        {
            ReadOnlySpan<float> x = _data.Features(batch[n]);
            ReadOnlySpan<float> h = _hidden.AsSpan(n * IMlp.Hidden, IMlp.Hidden);
            float delta = scale * (_prediction[n] - _data.Target(batch[n]));

            b2Grad[0] += delta;
            for (int j = 0; j < IMlp.Hidden; j++)
            {
                w2Grad[j] += delta * h[j];
                if (h[j] <= 0f)
                {
                    continue;
                }

                float g = delta * w2[j];
                b1Grad[j] += g;
                Span<float> w1GradRow = w1Grad.Slice(j * IMlp.Inputs, IMlp.Inputs);
                for (int i = 0; i < IMlp.Inputs; i++)
                {
                    w1GradRow[i] += g * x[i];
                }
            }
        }
    }
}
