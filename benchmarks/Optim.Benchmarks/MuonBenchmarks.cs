using System;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Optim.Benchmarks.Peers;

namespace Optim.Benchmarks;

/// <summary>
/// One Muon step (momentum, 5 Newton–Schulz iterations, update) on a 1024 × 1024 matrix: the generated Step() (register-
/// tiled, vectorised products in MatrixKernels) against a naive triple-loop Newton–Schulz and against the best
/// composition of TensorPrimitives calls (dot products over contiguous rows, with the transposes that needs). A step
/// takes seconds, so each iteration is one step.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
[MemoryDiagnoser]
public class MuonBenchmarks
{
    private const int N = 1024;
    private const float Momentum = 0.95f, A = 3.4445f, B = -4.775f, C = 2.0315f;
    private ZooMuon1024 _model = null!;
    private ZooMuon1024OneThread _singleThread = null!;
    private float[] _theta = null!, _grad = null!, _buffer = null!, _x = null!, _xt = null!, _gram = null!, _gram2 = null!, _product = null!;

    [GlobalSetup]
    public void Setup()
    {
        _model = new ZooMuon1024();
        _singleThread = new ZooMuon1024OneThread();
        Tensors.Fill(_model, _singleThread);
        _theta = new float[N * N];
        _grad = new float[N * N];
        _buffer = new float[N * N];
        Tensors.Fill(_theta, 1);
        Tensors.Fill(_grad, 100);
        _x = new float[N * N];
        _xt = new float[N * N];
        _gram = new float[N * N];
        _gram2 = new float[N * N];
        _product = new float[N * N];
    }

    [Benchmark(Description = "Optim Step() (Muon 1024²)")]
    public void Optim() => _model.Step();

    [Benchmark(Description = "Optim Step(), one thread")]
    public void OptimOneThread() => _singleThread.Step();

    [Benchmark(Baseline = true, Description = "naive triple loop")]
    public void Naive()
    {
        Momentum_(out float[] x);
        for (int step = 0; step < 5; step++)
        {
            for (int i = 0; i < N; i++)
            {
                for (int j = 0; j < N; j++)
                {
                    float sum = 0;
                    for (int k = 0; k < N; k++)
                    {
                        sum += x[(i * N) + k] * x[(j * N) + k];
                    }

                    _gram[(i * N) + j] = sum;
                }
            }

            for (int i = 0; i < N; i++)
            {
                for (int j = 0; j < N; j++)
                {
                    float sum = 0;
                    for (int k = 0; k < N; k++)
                    {
                        sum += _gram[(i * N) + k] * _gram[(k * N) + j];
                    }

                    _gram2[(i * N) + j] = (B * _gram[(i * N) + j]) + (C * sum);
                }
            }

            for (int i = 0; i < N; i++)
            {
                for (int j = 0; j < N; j++)
                {
                    float sum = 0;
                    for (int k = 0; k < N; k++)
                    {
                        sum += _gram2[(i * N) + k] * x[(k * N) + j];
                    }

                    _product[(i * N) + j] = (A * x[(i * N) + j]) + sum;
                }
            }

            Array.Copy(_product, x, x.Length);
        }

        Apply(x);
    }

    [Benchmark(Description = "TensorPrimitives")]
    public void TensorPrimitives_()
    {
        Momentum_(out float[] x);
        for (int step = 0; step < 5; step++)
        {
            // A = X·Xᵀ: rows of X are contiguous, so every entry is one dot product.
            for (int i = 0; i < N; i++)
            {
                ReadOnlySpan<float> row = x.AsSpan(i * N, N);
                for (int j = 0; j < N; j++)
                {
                    _gram[(i * N) + j] = TensorPrimitives.Dot(row, x.AsSpan(j * N, N));
                }
            }

            // A·A = A·Aᵀ (A is symmetric); B = b·A + c·A·A.
            for (int i = 0; i < N; i++)
            {
                ReadOnlySpan<float> row = _gram.AsSpan(i * N, N);
                for (int j = 0; j < N; j++)
                {
                    _gram2[(i * N) + j] = TensorPrimitives.Dot(row, _gram.AsSpan(j * N, N));
                }
            }

            TensorPrimitives.Multiply(_gram2, C, _gram2);
            TensorPrimitives.MultiplyAdd(_gram, B, _gram2, _gram2);

            // B·X = B·(Xᵀ)ᵀ: transpose X once, then dot products of rows.
            for (int i = 0; i < N; i++)
            {
                for (int j = 0; j < N; j++)
                {
                    _xt[(j * N) + i] = x[(i * N) + j];
                }
            }

            for (int i = 0; i < N; i++)
            {
                ReadOnlySpan<float> row = _gram2.AsSpan(i * N, N);
                for (int j = 0; j < N; j++)
                {
                    _product[(i * N) + j] = TensorPrimitives.Dot(row, _xt.AsSpan(j * N, N));
                }
            }

            TensorPrimitives.MultiplyAdd(x, A, _product, x);
        }

        Apply(x);
    }

    /// <summary>b ← μb + (1 − μ)g; X ← g + μ(b − g) (Nesterov) normalised by its norm.</summary>
    private void Momentum_(out float[] x)
    {
        x = _x;
        double squares = 0;
        for (int i = 0; i < _grad.Length; i++)
        {
            _buffer[i] += (1 - Momentum) * (_grad[i] - _buffer[i]);
            x[i] = _grad[i] + (Momentum * (_buffer[i] - _grad[i]));
            squares += x[i] * x[i];
        }

        float norm = (float)Math.Max(Math.Sqrt(squares), 1e-7);
        TensorPrimitives.Divide(x, norm, x);
    }

    /// <summary>θ ← θ(1 − γλ) − γ·O.</summary>
    private void Apply(float[] update)
    {
        const float lr = 0.02f, decay = 1 - (0.02f * 0.1f);
        for (int i = 0; i < _theta.Length; i++)
        {
            _theta[i] = (_theta[i] * decay) - (lr * update[i]);
        }
    }
}

/// <summary>
/// Muon on eight hidden matrices (96 × 128 and smaller), whose products are too small to be shared between threads: one
/// thread (baseline) against Threads = 2, which hands the matrices to the threads whole, each on its own workspace.
/// </summary>
[MemoryDiagnoser]
public class MuonMatricesBenchmarks
{
    private MuonEightMatrices _shared = null!;
    private MuonEightMatricesOneThread _single = null!;

    [GlobalSetup]
    public void Setup()
    {
        _shared = new MuonEightMatrices();
        _single = new MuonEightMatricesOneThread();
        Tensors.Fill(_shared, _single);
    }

    [Benchmark(Baseline = true, Description = "Optim Step(), 1 thread")]
    public void OneThread() => _single.Step();

    [Benchmark(Description = "Optim Step(), Threads = 2")]
    public void TwoThreads() => _shared.Step();
}
