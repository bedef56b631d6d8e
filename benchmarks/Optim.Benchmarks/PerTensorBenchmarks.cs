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
        foreach (IOptimizable<float> model in new IOptimizable<float>[] { _adam, _lamb, _adafactor })
        {
            Tensors.Fill(model.Parameters, 1);
            Tensors.Fill(model.Gradients, 100);
        }
    }

    [Benchmark(Baseline = true, Description = "Adam")]
    public void Adam() => _adam.Step();

    [Benchmark(Description = "LAMB")]
    public void Lamb() => _lamb.Step();

    [Benchmark(Description = "Adafactor")]
    public void Adafactor() => _adafactor.Step();
}
