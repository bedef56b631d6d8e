using System;
using Optim.Data;
using Optim.Generators.Tests.Runtime;
using Optim.Schedules;
using Xunit;
using static Optim.Optimizer;

namespace Optim.Generators.Tests.Data;

/// <summary>
/// A Fashion-MNIST epoch as the sample runs it (shuffle, batches with random flips, TrainStep, a run-time cosine
/// schedule) allocates nothing after the first, for the sample's MLP and CNN, at one and two threads.
/// </summary>
public sealed class EpochAllocationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_fashion_mlp_epoch_after_the_first_allocates_nothing(int threads) =>
        Assert.Equal(0, AllocatedByLaterEpoch(new EpochMlp { Threads = threads }, 784));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_fashion_cnn_epoch_after_the_first_allocates_nothing(int threads) =>
        Assert.Equal(0, AllocatedByLaterEpoch(new EpochCnn { Threads = threads }, 784));

    private static long AllocatedByLaterEpoch(IOptimizable<float> model, int imageSize)
    {
        const int count = 200;
        var random = new Random(3);
        float[] pixels = new float[count * imageSize];
        int[] labels = new int[count];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = random.NextSingle();
        }

        for (int i = 0; i < count; i++)
        {
            labels[i] = random.Next(10);
        }

        var batches = new MiniBatches(new LabelledImages(pixels, labels, 1, 28, 28, 10), 64, seed: 1) { FlipProbability = 0.5 };
        var scheduler = new Scheduler(model, new CosineAnnealingLR(100 * batches.BatchesPerEpoch));
        Func<ReadOnlySpan<float>, ReadOnlySpan<int>, int, float> step = model switch
        {
            EpochMlp mlp => mlp.TrainStep,
            EpochCnn cnn => cnn.TrainStep,
            _ => throw new ArgumentException("not an epoch model", nameof(model)),
        };
        float loss = 0;
        void Epoch()
        {
            batches.Shuffle();
            while (batches.MoveNext())
            {
                loss += step(batches.Inputs, batches.Targets, batches.Count);
                scheduler.Step();
            }
        }

        Epoch();
        Epoch();
        long allocated = Allocations.OnThisThread(Epoch);
        Assert.True(float.IsFinite(loss) && loss > 0);
        return allocated;
    }
}

/// <summary>The sample's Fashion-MNIST MLP (src/Optim.Sample/Classification/Models.cs).</summary>
[Optimize(Adam, Lr = 1e-3)]
internal sealed partial class EpochMlp
{
    [Linear(784, 256)] public partial Linear<float> Hidden { get; }

    [Linear(256, 10)] public partial Linear<float> Output { get; }

    [Forward(MaxBatch = 64, Criterion = Criterion.CrossEntropy)]
    public Tensor<float> Forward([Shape(784)] Tensor<float> x) => Output.Forward(Nn.Relu(Hidden.Forward(x)));
}

/// <summary>The sample's Fashion-MNIST CNN.</summary>
[Optimize(Adam, Lr = 1e-3)]
internal sealed partial class EpochCnn
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
