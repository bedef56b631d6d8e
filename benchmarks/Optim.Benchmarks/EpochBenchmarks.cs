using System;
using BenchmarkDotNet.Attributes;
using Optim;
using Optim.Data;
using Optim.Schedules;
using static Optim.Optimizer;

namespace Optim.Benchmarks;

/// <summary>The sample's Fashion-MNIST MLP (src/Optim.Sample/Classification/Models.cs), 784 → 256 → 10.</summary>
[Optimize(Adam, Lr = 2e-3)]
public sealed partial class FashionEpochMlp
{
    [Linear(784, 256)] public partial Linear<float> Hidden { get; }

    [Linear(256, 10)] public partial Linear<float> Output { get; }

    [Forward(MaxBatch = 64, Criterion = Criterion.CrossEntropy)]
    public Tensor<float> Forward([Shape(784)] Tensor<float> x) => Output.Forward(Nn.Relu(Hidden.Forward(x)));
}

/// <summary>The sample's Fashion-MNIST CNN: conv 1→8 3×3, ReLU, max-pool 2, conv 8→16 3×3, ReLU, max-pool 2, linear 400→10.</summary>
[Optimize(Adam, Lr = 3e-3)]
public sealed partial class FashionEpochCnn
{
    [Conv2d(1, 8, 3)] public partial Conv2d<float> Conv1 { get; }

    [Conv2d(8, 16, 3)] public partial Conv2d<float> Conv2 { get; }

    [Linear(400, 10)] public partial Linear<float> Output { get; }

    [Forward(MaxBatch = 64, Criterion = Criterion.CrossEntropy)]
    public Tensor<float> Forward([Shape(1, 28, 28)] Tensor<float> image)
    {
        var h = Nn.MaxPool2d(Nn.Relu(Conv1.Forward(image)), 2);
        h = Nn.MaxPool2d(Nn.Relu(Conv2.Forward(h)), 2);
        return Output.Forward(Nn.Flatten(h));
    }
}

/// <summary>
/// One Fashion-MNIST training epoch as the sample's <c>fashion</c> command runs it (60,000 images, batch 64, 938
/// TrainSteps with Adam, a run-time cosine schedule, a fresh shuffle), MLP and CNN, at one thread and at every core
/// (Threads = 0). Needs Debian's package dataset-fashion-mnist. The allocation column must read 0 B: buffers are
/// allocated in the setup, and every later epoch reuses them.
/// </summary>
[MemoryDiagnoser]
public class FashionEpochBenchmarks
{
    private FashionEpochMlp _mlp = null!;
    private FashionEpochCnn _cnn = null!;
    private MiniBatches _batches = null!;
    private Scheduler _mlpSchedule = null!;
    private Scheduler _cnnSchedule = null!;

    /// <summary>0: every core; 1: one thread.</summary>
    [Params(1, 0)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var (train, _) = FashionMnist.Load();
        var (mean, deviation) = train.PixelStatistics();
        train.Normalize(mean, deviation);
        _batches = new MiniBatches(train, 64, seed: 2024);
        _mlp = new FashionEpochMlp { Threads = Threads };
        _cnn = new FashionEpochCnn { Threads = Threads };
        // A schedule long enough that no benchmark run reaches its end.
        _mlpSchedule = new Scheduler(_mlp, new CosineAnnealingLR(1_000_000));
        _cnnSchedule = new Scheduler(_cnn, new CosineAnnealingLR(1_000_000));
    }

    [Benchmark(Description = "MLP epoch")]
    public float MlpEpoch()
    {
        float loss = 0;
        _batches.Shuffle();
        while (_batches.MoveNext())
        {
            loss += _mlp.TrainStep(_batches.Inputs, _batches.Targets, _batches.Count);
            _mlpSchedule.Step();
        }

        return loss;
    }

    [Benchmark(Description = "CNN epoch")]
    public float CnnEpoch()
    {
        float loss = 0;
        _batches.Shuffle();
        while (_batches.MoveNext())
        {
            loss += _cnn.TrainStep(_batches.Inputs, _batches.Targets, _batches.Count);
            _cnnSchedule.Step();
        }

        return loss;
    }
}
