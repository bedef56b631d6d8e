using BenchmarkDotNet.Attributes;
using Optim.Benchmarks.Peers;

namespace Optim.Benchmarks;

/// <summary>
/// The 61-parameter MLP's fixed costs, to be run over many processes to see how they spread between processes:
/// <c>--filter '*FixedCostBenchmarks*' --launchCount 10</c>; each launch's mean is in the log ("// Launch: n/10").
/// </summary>
public class FixedCostBenchmarks
{
    private readonly ZooAdamMlp _adam = new();
    private readonly ZooSgdMlp _sgd = new();

    [GlobalSetup]
    public void Setup()
    {
        Tensors.Fill(_adam, _sgd);
        ulong address = (ulong)System.Runtime.CompilerServices.Unsafe.ByteOffset(ref System.Runtime.CompilerServices.Unsafe.NullRef<float>(), ref _adam.Parameters[0]);
        System.Console.WriteLine($"// ArenaAddress {address % 4096} {address:x}");
    }

    [Benchmark(Baseline = true, Description = "Adam Step() MLP")]
    public void Adam() => _adam.Step();

    [Benchmark(Description = "SGD momentum Step() MLP")]
    public void Sgd() => _sgd.Step();

    [Benchmark(Description = "ZeroGrad() MLP")]
    public void ZeroGrad() => _adam.ZeroGrad();
}
