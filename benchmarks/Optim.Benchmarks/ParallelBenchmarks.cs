using System;
using BenchmarkDotNet.Attributes;
using Optim.Benchmarks.Peers;

namespace Optim.Benchmarks;

/// <summary>
/// Adam on large models: the single-threaded Step() (baseline) against the same model with Threads = 0, which
/// splits each step across every core above 2^19 parameters, and the single-threaded bandwidth probe.
/// </summary>
[MemoryDiagnoser]
public class ParallelAdamStep
{
    private IOptimizable<float> _single = null!;
    private IOptimizable<float> _parallel = null!;
    private BandwidthProbe _probe = null!;

    [Params(1_000_000, 10_000_000)]
    public int Size { get; set; }

    /// <summary>Adam's state buffers, for the GB/s column.</summary>
    public int States => 2;

    [GlobalSetup]
    public void Setup()
    {
        _single = Size == 1_000_000 ? new Adam1M() : new Adam10M();
        _parallel = Size == 1_000_000 ? new ParallelAdam1M() : new ParallelAdam10M();
        Tensors.Fill(_single, _parallel);

        _probe = new BandwidthProbe(Size, States);
    }

    [Benchmark(Baseline = true, Description = "Optim Step(), 1 thread")]
    public void OneThread() => _single.Step();

    [Benchmark(Description = "Optim Step(), all cores")]
    public void AllCores() => _parallel.Step();

    [Benchmark(Description = "bandwidth probe")]
    public void Bandwidth() => _probe.Step();
}
