using System;
using static Optim.Optimizer;

namespace Optim.Sample.Classification;

/// <summary>What the classification trainer needs of a model: members Optim generates for a network, implemented implicitly.</summary>
internal interface IClassifier : IOptimizable<float>
{
    /// <summary>Zero-grad, forward, cross-entropy, backward and Step() on one batch; returns the loss before the step.</summary>
    float TrainStep(ReadOnlySpan<float> x, ReadOnlySpan<int> target, int batch);

    /// <summary>The network's logits for a batch.</summary>
    void Predict(ReadOnlySpan<float> x, Span<float> output, int batch);

    /// <summary>Draws every parameter again from <paramref name="seed"/>.</summary>
    void Initialize(int seed);

    /// <summary>Threads for the passes' matrix products, convolutions and poolings: 0 every core, 1 one thread.</summary>
    int Threads { get; set; }
}

/// <summary>The digits classifier: <c>nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))</c>, cross-entropy, Adam.</summary>
[Optimize(Adam, Lr = 1e-3)]
internal sealed partial class DigitsMlp : IClassifier
{
    /// <summary>The batch the digits are trained in.</summary>
    internal const int Batch = 32;

    [Linear(64, 128)] public partial Linear<float> Hidden { get; }

    [Linear(128, 10)] public partial Linear<float> Output { get; }

    [Forward(MaxBatch = Batch, Criterion = Criterion.CrossEntropy)]
    public Tensor<float> Forward([Shape(64)] Tensor<float> x) => Output.Forward(Nn.Relu(Hidden.Forward(x)));
}

/// <summary>Fashion-MNIST's MLP: <c>nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))</c>, cross-entropy, Adam at 2e-3.</summary>
[Optimize(Adam, Lr = 2e-3)]
internal sealed partial class FashionMlp : IClassifier
{
    [Linear(784, 256)] public partial Linear<float> Hidden { get; }

    [Linear(256, 10)] public partial Linear<float> Output { get; }

    [Forward(MaxBatch = FashionCommand.MaxBatch, Criterion = Criterion.CrossEntropy)]
    public Tensor<float> Forward([Shape(784)] Tensor<float> x) => Output.Forward(Nn.Relu(Hidden.Forward(x)));
}

/// <summary>
/// Fashion-MNIST's CNN, the shape of the libtorch timing in docs/benchmarks.md: conv 1→8 3×3, ReLU, max-pool 2,
/// conv 8→16 3×3, ReLU, max-pool 2 (28 → 26 → 13 → 11 → 5), linear 400→10; cross-entropy, Adam at 3e-3.
/// </summary>
[Optimize(Adam, Lr = 3e-3)]
internal sealed partial class FashionCnn : IClassifier
{
    [Conv2d(1, 8, 3)] public partial Conv2d<float> Conv1 { get; }

    [Conv2d(8, 16, 3)] public partial Conv2d<float> Conv2 { get; }

    [Linear(400, 10)] public partial Linear<float> Output { get; }

    [Forward(MaxBatch = FashionCommand.MaxBatch, Criterion = Criterion.CrossEntropy)]
    public Tensor<float> Forward([Shape(1, 28, 28)] Tensor<float> image)
    {
        var h = Nn.MaxPool2d(Nn.Relu(Conv1.Forward(image)), 2);
        h = Nn.MaxPool2d(Nn.Relu(Conv2.Forward(h)), 2);
        return Output.Forward(Nn.Flatten(h));
    }
}
