using System;
using BenchmarkDotNet.Attributes;
using Optim;
using Optim.Kernels;
using static Optim.Optimizer;

namespace Optim.Benchmarks;

/// <summary>The seed's 10 → 5 → 1 MLP as a network: the generator writes the forward pass, the MSE and the backward pass.</summary>
[Optimize(Adam, Lr = 1e-3, Threads = 1)]
public sealed partial class GeneratedSeedMlp
{
    [Linear(10, 5)] public partial Linear<float> Hidden { get; }

    [Linear(5, 1)] public partial Linear<float> Output { get; }

    [Forward(MaxBatch = 32, Criterion = Criterion.MeanSquared)]
    public Tensor<float> Forward([Shape(10)] Tensor<float> x) => Output.Forward(Nn.Relu(Hidden.Forward(x)));
}

/// <summary>The same MLP with hand-written gradients, as the sample wrote it before networks (Trainer.cs).</summary>
[Optimize(Adam, Lr = 1e-3, Threads = 1)]
public sealed partial class HandWrittenSeedMlp
{
    [Parameter(5, 10)] public partial Span<float> W1 { get; }
    [Parameter(5)] public partial Span<float> B1 { get; }
    [Parameter(1, 5)] public partial Span<float> W2 { get; }
    [Parameter(1)] public partial Span<float> B2 { get; }
}

/// <summary>
/// One whole training step of the seed's MLP at batch 32 (zero-grad, forward, MSE, backward, Adam): the generated passes
/// against the sample's hand-written per-example loops, side by side in one run.
/// </summary>
public class SeedTrainingStepBenchmarks
{
    private const int Batch = 32;
    private readonly GeneratedSeedMlp _generated = new();
    private readonly HandWrittenSeedMlp _handWritten = new();
    private readonly float[] _x = new float[Batch * 10];
    private readonly float[] _y = new float[Batch];
    private readonly float[] _hidden = new float[Batch * 5];
    private readonly float[] _prediction = new float[Batch];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        for (int i = 0; i < _x.Length; i++)
        {
            _x[i] = (float)((random.NextDouble() * 2) - 1);
        }

        for (int i = 0; i < _y.Length; i++)
        {
            _y[i] = (float)random.NextDouble();
        }

        _generated.Parameters.CopyTo(_handWritten.Parameters);
    }

    [Benchmark(Baseline = true)]
    public void HandWritten()
    {
        HandWrittenSeedMlp model = _handWritten;
        model.ZeroGrad();
        ReadOnlySpan<float> w1 = model.W1, b1 = model.B1, w2 = model.W2;
        float b2 = model.B2[0];
        for (int n = 0; n < Batch; n++)
        {
            ReadOnlySpan<float> x = _x.AsSpan(n * 10, 10);
            Span<float> h = _hidden.AsSpan(n * 5, 5);
            float y = b2;
            for (int j = 0; j < 5; j++)
            {
                float z = b1[j];
                for (int i = 0; i < 10; i++)
                {
                    z += w1[(j * 10) + i] * x[i];
                }

                h[j] = MathF.Max(z, 0f);
                y += w2[j] * h[j];
            }

            _prediction[n] = y;
        }

        Span<float> w1Grad = model.W1Grad, b1Grad = model.B1Grad, w2Grad = model.W2Grad, b2Grad = model.B2Grad;
        for (int n = 0; n < Batch; n++)
        {
            ReadOnlySpan<float> x = _x.AsSpan(n * 10, 10);
            ReadOnlySpan<float> h = _hidden.AsSpan(n * 5, 5);
            float delta = 2f / Batch * (_prediction[n] - _y[n]);
            b2Grad[0] += delta;
            for (int j = 0; j < 5; j++)
            {
                w2Grad[j] += delta * h[j];
                if (h[j] > 0f)
                {
                    float g = delta * w2[j];
                    b1Grad[j] += g;
                    for (int i = 0; i < 10; i++)
                    {
                        w1Grad[(j * 10) + i] += g * x[i];
                    }
                }
            }
        }

        model.Step();
    }

    [Benchmark]
    public float Generated() => _generated.TrainStep(_x, _y, Batch);
}

/// <summary>
/// The network kernels alone at the shapes, one thread: Linear 64 × 784 → 256 (forward, and both backward
/// products) and Conv2d on 64 × 1 × 28 × 28 with 8 filters of 3 × 3. GFLOP/s = 2 · multiply-adds / time.
/// </summary>
public class NetworkKernelBenchmarks
{
    private const int Batch = 64, In = 784, Out = 256, Side = 28, Filters = 8, Kernel = 3;
    private readonly float[] _x = new float[Batch * In];
    private readonly float[] _w = new float[Out * In];
    private readonly float[] _b = new float[Out];
    private readonly float[] _y = new float[Batch * Out];
    private readonly float[] _dx = new float[Batch * In];
    private readonly float[] _dw = new float[Out * In];
    private readonly float[] _db = new float[Out];
    private readonly float[] _image = new float[Batch * Side * Side];
    private readonly float[] _filters = new float[Filters * Kernel * Kernel];
    private readonly float[] _filterBias = new float[Filters];
    private readonly float[] _maps = new float[Batch * Filters * (Side - 2) * (Side - 2)];
    private readonly float[] _dImage = new float[Batch * Side * Side];
    private readonly float[] _dFilters = new float[Filters * Kernel * Kernel];
    private readonly float[] _dFilterBias = new float[Filters];
    private float[] _workspace = Array.Empty<float>();

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(2);
        foreach (float[] a in new[] { _x, _w, _b, _y, _image, _filters, _maps })
        {
            for (int i = 0; i < a.Length; i++)
            {
                a[i] = (float)(random.NextDouble() - 0.5);
            }
        }

        _workspace = new float[Conv2d.WorkspaceLength(1, Side, Side, Kernel, 1, 0)];
    }

    /// <summary>64·784·256 multiply-adds.</summary>
    [Benchmark]
    public void LinearForward() => Dense.Forward<float>(_x, _w, _b, _y, Batch, In, Out);

    /// <summary>2 · 64·784·256 multiply-adds (input and weight gradients).</summary>
    [Benchmark]
    public void LinearBackward()
    {
        Dense.BackwardInput<float>(_y, _w, _dx, Batch, In, Out);
        Dense.BackwardWeights<float>(_y, _x, _dw, _db, Batch, In, Out);
    }

    /// <summary>64·8·26·26·9 multiply-adds.</summary>
    [Benchmark]
    public void Conv2dForward() => Conv2d.Forward<float>(_image, _filters, _filterBias, _maps, _workspace, Batch, 1, Side, Side, Filters, Kernel, 1, 0);

    /// <summary>2 · 64·8·26·26·9 multiply-adds.</summary>
    [Benchmark]
    public void Conv2dBackward() => Conv2dBackwardWith(_workspace);

    private void Conv2dBackwardWith(float[] workspace)
    {
        Conv2d.BackwardInput<float>(_maps, _filters, _dImage, workspace, Batch, 1, Side, Side, Filters, Kernel, 1, 0);
        Conv2d.BackwardWeights<float>(_maps, _image, _dFilters, _dFilterBias, workspace, Batch, 1, Side, Side, Filters, Kernel, 1, 0);
    }
}

/// <summary>
/// One training step (zero-grad, forward, cross-entropy, backward, Adam) of the Fashion-MNIST networks at batch 64 on one
/// thread, the shapes libtorch was timed at through TorchSharp (MLP 6.5 ms, CNN 19 ms on this machine, one thread), on the
/// epoch benchmarks' models (EpochBenchmarks.cs) held to one thread through their Threads property.
/// </summary>
public class FashionStepBenchmarks
{
    private const int Batch = 64;
    private readonly FashionEpochCnn _cnn = new() { Threads = 1 };
    private readonly FashionEpochMlp _mlp = new() { Threads = 1 };
    private readonly float[] _images = new float[Batch * 784];
    private readonly int[] _labels = new int[Batch];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        for (int i = 0; i < _images.Length; i++)
        {
            _images[i] = random.NextSingle();
        }

        for (int i = 0; i < Batch; i++)
        {
            _labels[i] = random.Next(10);
        }
    }

    [Benchmark]
    public float MlpStep() => _mlp.TrainStep(_images, _labels, Batch);

    [Benchmark]
    public float CnnStep() => _cnn.TrainStep(_images, _labels, Batch);
}
