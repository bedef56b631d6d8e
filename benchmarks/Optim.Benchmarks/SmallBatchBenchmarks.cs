using System;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace Optim.Benchmarks;

/// <summary>
/// The Fashion-MNIST MLP (784 → 256 → 10) on one example, as a game or a device runs it: the generated <c>Predict</c>
/// against the same inference written with TensorPrimitives (a dot product per output, the bias, the ReLU: the best a
/// .NET user composes from System.Numerics.Tensors) and as plain loops; and a training step on one example. One thread;
/// the model's parameters are the peers' too. The training steps go round 4,096 random examples with random labels
/// rather than repeating one, which the network would memorise (Peers/libtorch_steps.py says how that can mislead).
/// </summary>
public class SmallBatchBenchmarks
{
    private const int In = 784, Hidden = 256, Out = 10, Examples = 4096;
    private readonly FashionEpochMlp _mlp = new() { Threads = 1 };
    private readonly float[] _image = new float[In];
    private readonly float[] _hidden = new float[Hidden];
    private readonly float[] _output = new float[Out];
    private readonly float[] _examples = new float[Examples * In];
    private readonly int[] _labels = new int[Examples];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(4);
        for (int i = 0; i < _image.Length; i++)
        {
            _image[i] = random.NextSingle();
        }

        for (int i = 0; i < _examples.Length; i++)
        {
            _examples[i] = random.NextSingle();
        }

        for (int i = 0; i < _labels.Length; i++)
        {
            _labels[i] = random.Next(Out);
        }
    }

    [Benchmark(Baseline = true)]
    public float PlainLoops()
    {
        Layer(_image, _mlp.HiddenWeight, _mlp.HiddenBias, _hidden, relu: true);
        Layer(_hidden, _mlp.OutputWeight, _mlp.OutputBias, _output, relu: false);
        return _output[0];

        static void Layer(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y, bool relu)
        {
            for (int j = 0; j < y.Length; j++)
            {
                float sum = 0;
                ReadOnlySpan<float> row = w.Slice(j * x.Length, x.Length);
                for (int p = 0; p < x.Length; p++)
                {
                    sum += x[p] * row[p];
                }

                sum += b[j];
                y[j] = relu && sum <= 0 ? 0 : sum;
            }
        }
    }

    [Benchmark]
    public float TensorPrimitivesDots()
    {
        Layer(_image, _mlp.HiddenWeight, _mlp.HiddenBias, _hidden);
        TensorPrimitives.Max(_hidden, 0f, _hidden);
        Layer(_hidden, _mlp.OutputWeight, _mlp.OutputBias, _output);
        return _output[0];

        static void Layer(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y)
        {
            for (int j = 0; j < y.Length; j++)
            {
                y[j] = TensorPrimitives.Dot(x, w.Slice(j * x.Length, x.Length)) + b[j];
            }
        }
    }

    [Benchmark]
    public float OptimPredict()
    {
        _mlp.Predict(_image, _output, 1);
        return _output[0];
    }

    [Benchmark]
    public float OptimTrainStep()
    {
        int example = _next;
        _next = (example + 1) % Examples;
        return _mlp.TrainStep(_examples.AsSpan(example * In, In), _labels.AsSpan(example, 1), 1);
    }
}
