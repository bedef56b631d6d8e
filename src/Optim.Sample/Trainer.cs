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
/// Trains any <see cref="ISeedMlp"/> model with whatever optimizer Optim generated for it: each mini-batch is gathered
/// from the shuffled sample order into two buffers and handed to <c>TrainStep</c> (zero-grad, forward, MSE, backward,
/// Step). Every buffer is allocated in the constructor, so training allocates nothing.
/// </summary>
/// <typeparam name="TModel">A generated model class (or the hand-written one).</typeparam>
internal sealed class MlpTrainer<TModel> : ITrainingRun
    where TModel : ISeedMlp
{
    private readonly TModel _model;
    private readonly Dataset _data;
    private readonly int _batchSize;
    private readonly Random _shuffle;

    // Sample indices, reshuffled every epoch; a mini-batch is a slice of it.
    private readonly int[] _order;

    // The current mini-batch, row by row: features (batchSize × Inputs), targets and predictions (batchSize).
    private readonly float[] _x;
    private readonly float[] _y;
    private readonly float[] _prediction;
    private int _epochs;

    public MlpTrainer(string name, TModel model, Dataset data, int batchSize, int shuffleSeed)
    {
        Name = name;
        _model = model;
        _data = data;
        _batchSize = batchSize;
        _shuffle = new Random(shuffleSeed);
        _order = new int[data.Count];
        for (int i = 0; i < _order.Length; i++)
        {
            _order[i] = i;
        }

        _x = new float[batchSize * SeedNetwork.Inputs];
        _y = new float[batchSize];
        _prediction = new float[batchSize];
    }

    public string Name { get; }

    public long Steps => _model.StepCount;

    public double LearningRate => _model.LearningRate;

    public TimeSpan TrainingTime { get; private set; }

    public long AllocatedBytes { get; private set; }

    public ReadOnlySpan<float> Parameters => _model.Parameters;

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
            int batch = Gather(first);
            _model.TrainStep(_x, _y, batch);
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
            int batch = Gather(first);
            _model.Predict(_x, _prediction, batch);
            for (int n = 0; n < batch; n++)
            {
                double error = _prediction[n] - _y[n];
                sumOfSquares += error * error;
            }
        }

        return sumOfSquares / _order.Length;
    }

    /// <summary>Copies the samples of the mini-batch starting at <paramref name="first"/> into the batch buffers; returns its size.</summary>
    private int Gather(int first)
    {
        int batch = Math.Min(_batchSize, _order.Length - first);
        for (int n = 0; n < batch; n++)
        {
            int sample = _order[first + n];
            _data.Features(sample).CopyTo(_x.AsSpan(n * SeedNetwork.Inputs, SeedNetwork.Inputs));
            _y[n] = _data.Target(sample);
        }

        return batch;
    }
}
