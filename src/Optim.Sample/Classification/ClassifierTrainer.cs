using System;
using System.Diagnostics;
using Optim.Data;
using Optim.Schedules;

namespace Optim.Sample.Classification;

/// <summary>
/// Trains a classifier on shuffled mini-batches and measures its accuracy. Every buffer is allocated by the
/// constructor: an epoch allocates nothing on the training thread (the test in Data/EpochAllocationTests checks it).
/// </summary>
internal sealed class ClassifierTrainer<TModel>
    where TModel : IClassifier
{
    private readonly float[] _logits;
    private readonly int _maxBatch;
    private readonly Scheduler? _scheduler;

    /// <summary>A trainer of <paramref name="model"/> on <paramref name="batches"/>; a schedule, if given, steps after every batch.</summary>
    public ClassifierTrainer(TModel model, MiniBatches batches, int classes, LrSchedule? schedule = null)
    {
        Model = model;
        Batches = batches;
        Classes = classes;
        _maxBatch = batches.BatchSize;
        _logits = new float[_maxBatch * classes];
        _scheduler = schedule is null ? null : new Scheduler(model, schedule);
    }

    public TModel Model { get; }

    public MiniBatches Batches { get; }

    public int Classes { get; }

    /// <summary>
    /// One epoch in a new order; returns the mean training loss over its examples. <paramref name="progress"/>, if given,
    /// is called after every batch with the number of batches done and the mean loss so far.
    /// </summary>
    public double TrainEpoch(Action<int, double>? progress = null)
    {
        Batches.Shuffle();
        double lossSum = 0;
        long examples = 0;
        int done = 0;
        while (Batches.MoveNext())
        {
            float loss = Model.TrainStep(Batches.Inputs, Batches.Targets, Batches.Count);
            _scheduler?.Step();
            lossSum += (double)loss * Batches.Count;
            examples += Batches.Count;
            progress?.Invoke(++done, lossSum / examples);
        }

        return lossSum / examples;
    }

    /// <summary>The fraction of <paramref name="data"/> whose largest logit is at its label (ties go to the lower class).</summary>
    public double Accuracy(LabelledImages data)
    {
        int correct = 0, size = data.ImageSize;
        ReadOnlySpan<int> labels = data.Labels;
        for (int start = 0; start < data.Count; start += _maxBatch)
        {
            int batch = Math.Min(_maxBatch, data.Count - start);
            Model.Predict(data.Pixels.Slice(start * size, batch * size), _logits, batch);
            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<float> row = _logits.AsSpan(b * Classes, Classes);
                int best = 0;
                for (int c = 1; c < Classes; c++)
                {
                    if (row[c] > row[best])
                    {
                        best = c;
                    }
                }

                correct += best == labels[start + b] ? 1 : 0;
            }
        }

        return (double)correct / data.Count;
    }

    /// <summary>Runs <paramref name="action"/> and returns its wall-clock seconds.</summary>
    public static double Seconds(Action action)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
