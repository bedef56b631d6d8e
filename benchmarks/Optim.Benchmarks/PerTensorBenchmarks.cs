using System;
using BenchmarkDotNet.Attributes;
using Optim.Benchmarks.Peers;

namespace Optim.Benchmarks;

/// <summary>
/// The per-tensor rules against Adam in one run, 10 M float parameters as four 1000 × 2500 matrices, single-threaded
/// (goal: LAMB and Adafactor within 1.5× of Adam's time).
/// </summary>
[MemoryDiagnoser]
public class PerTensorBenchmarks
{
    private readonly ZooAdam10M _adam = new();
    private readonly ZooLamb10M _lamb = new();
    private readonly ZooAdafactor10M _adafactor = new();

    [GlobalSetup]
    public void Setup()
    {
        Tensors.Fill(_adam, _lamb, _adafactor);
    }

    [Benchmark(Baseline = true, Description = "Adam")]
    public void Adam() => _adam.Step();

    [Benchmark(Description = "LAMB")]
    public void Lamb() => _lamb.Step();

    [Benchmark(Description = "Adafactor")]
    public void Adafactor() => _adafactor.Step();
}

/// <summary>LAMB and Adafactor at 10 M parameters with the automatic thread count: the four tensors shared between threads.</summary>
[MemoryDiagnoser]
public class SharedTensorBenchmarks
{
    private readonly ZooLamb10M _lamb = new();
    private readonly SharedLamb10M _sharedLamb = new();
    private readonly ZooAdafactor10M _adafactor = new();
    private readonly SharedAdafactor10M _sharedAdafactor = new();

    [GlobalSetup]
    public void Setup()
    {
        Tensors.Fill(_lamb, _sharedLamb, _adafactor, _sharedAdafactor);
    }

    [Benchmark(Baseline = true, Description = "LAMB, one thread")]
    public void Lamb() => _lamb.Step();

    [Benchmark(Description = "LAMB, tensors shared")]
    public void SharedLamb() => _sharedLamb.Step();

    [Benchmark(Description = "Adafactor, one thread")]
    public void Adafactor() => _adafactor.Step();

    [Benchmark(Description = "Adafactor, tensors shared")]
    public void SharedAdafactor() => _sharedAdafactor.Step();
}

/// <summary>
/// <see cref="PerTensorBenchmarks"/> as a user gets them by default: the same three at 10 M parameters with
/// <c>Threads</c> left automatic, so each step is shared between every core (Adam's loop split, each per-tensor pass split).
/// </summary>
[MemoryDiagnoser]
public class PerTensorAllCoresBenchmarks
{
    private readonly ParallelAdam10M _adam = new();
    private readonly SharedLamb10M _lamb = new();
    private readonly SharedAdafactor10M _adafactor = new();

    [GlobalSetup]
    public void Setup()
    {
        Tensors.Fill(_adam, _lamb, _adafactor);
    }

    [Benchmark(Baseline = true, Description = "Adam, all cores")]
    public void Adam() => _adam.Step();

    [Benchmark(Description = "LAMB, all cores")]
    public void Lamb() => _lamb.Step();

    [Benchmark(Description = "Adafactor, all cores")]
    public void Adafactor() => _adafactor.Step();
}

[Optimize(Optimizer.Lamb)]
public sealed partial class SharedLamb10M
{
    [Parameter(1000, 2500)] public partial Span<float> A { get; }
    [Parameter(1000, 2500)] public partial Span<float> B { get; }
    [Parameter(1000, 2500)] public partial Span<float> C { get; }
    [Parameter(1000, 2500)] public partial Span<float> D { get; }
}

[Optimize(Optimizer.Adafactor)]
public sealed partial class SharedAdafactor10M
{
    [Parameter(1000, 2500)] public partial Span<float> A { get; }
    [Parameter(1000, 2500)] public partial Span<float> B { get; }
    [Parameter(1000, 2500)] public partial Span<float> C { get; }
    [Parameter(1000, 2500)] public partial Span<float> D { get; }
}
