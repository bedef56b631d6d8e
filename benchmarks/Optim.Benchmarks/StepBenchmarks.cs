using System;
using BenchmarkDotNet.Attributes;
using Optim.Benchmarks.Peers;

namespace Optim.Benchmarks;

/// <summary>
/// One optimizer step, side by side: the generated Step(), a naive scalar loop per tensor (baseline), the same
/// update composed from TensorPrimitives, and a bandwidth probe that moves the same bytes.
/// </summary>
[MemoryDiagnoser]
public abstract class StepBenchmarks
{
    private IOptimizable<float> _optim = null!;
    private IPeer _naive = null!;
    private IPeer _tensorPrimitives = null!;
    private BandwidthProbe _probe = null!;

    /// <summary>Parameters in the model: the 61-parameter MLP, 100 k, 1 M, 10 M.</summary>
    [Params(61, 100_000, 1_000_000, 10_000_000)]
    public int Size { get; set; }

    /// <summary>State buffers the optimizer keeps (for the bandwidth probe and the bytes column).</summary>
    public abstract int States { get; }

    protected abstract IOptimizable<float> CreateOptim(int size);

    protected abstract IPeer CreateNaive(int size);

    protected abstract IPeer CreateTensorPrimitives(int size);

    [GlobalSetup]
    public void Setup()
    {
        _optim = CreateOptim(Size);
        Tensors.Fill(_optim);
        _naive = CreateNaive(Size);
        _tensorPrimitives = CreateTensorPrimitives(Size);
        _probe = new BandwidthProbe(Size, States);
    }

    [Benchmark(Description = "Optim Step()")]
    public void Optim() => _optim.Step();

    [Benchmark(Baseline = true, Description = "naive scalar")]
    public void Naive() => _naive.Step();

    [Benchmark(Description = "TensorPrimitives")]
    public void TensorPrimitives() => _tensorPrimitives.Step();

    [Benchmark(Description = "bandwidth probe")]
    public void Bandwidth() => _probe.Step();

    protected static IOptimizable<float> BySize(int size, Func<IOptimizable<float>> mlp, Func<IOptimizable<float>> k100, Func<IOptimizable<float>> m1, Func<IOptimizable<float>> m10) => size switch
    {
        61 => mlp(),
        100_000 => k100(),
        1_000_000 => m1(),
        10_000_000 => m10(),
        _ => throw new ArgumentOutOfRangeException(nameof(size), size, "no generated model of that size"),
    };
}

/// <summary>SGD with momentum 0.9: reads θ, g, b and writes θ, b (20 bytes per parameter).</summary>
public class SgdMomentumStep : StepBenchmarks
{
    public override int States => 1;

    protected override IOptimizable<float> CreateOptim(int size) =>
        BySize(size, () => new SgdMomentumMlp(), () => new SgdMomentum100K(), () => new SgdMomentum1M(), () => new SgdMomentum10M());

    protected override IPeer CreateNaive(int size) => new NaiveSgdMomentum(size);

    protected override IPeer CreateTensorPrimitives(int size) => new TensorPrimitivesSgdMomentum(size);
}

/// <summary>Heavy-ball momentum: reads θ, g, v and writes θ, v (20 bytes per parameter).</summary>
public class MomentumStep : StepBenchmarks
{
    public override int States => 1;

    protected override IOptimizable<float> CreateOptim(int size) =>
        BySize(size, () => new HeavyBallMlp(), () => new HeavyBall100K(), () => new HeavyBall1M(), () => new HeavyBall10M());

    protected override IPeer CreateNaive(int size) => new NaiveHeavyBall(size);

    protected override IPeer CreateTensorPrimitives(int size) => new TensorPrimitivesHeavyBall(size);
}

/// <summary>Adam: reads θ, g, m, v and writes θ, m, v (28 bytes per parameter).</summary>
public class AdamStep : StepBenchmarks
{
    public override int States => 2;

    protected override IOptimizable<float> CreateOptim(int size) =>
        BySize(size, () => new AdamMlp(), () => new Adam100K(), () => new Adam1M(), () => new Adam10M());

    protected override IPeer CreateNaive(int size) => new NaiveAdam(size);

    protected override IPeer CreateTensorPrimitives(int size) => new TensorPrimitivesAdam(size);
}

/// <summary>ZeroGrad() against a plain memset of the same bytes.</summary>
[MemoryDiagnoser]
public class ZeroGradBenchmarks
{
    private IOptimizable<float> _optim = null!;
    private BandwidthProbe _probe = null!;

    [Params(61, 100_000, 1_000_000, 10_000_000)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _optim = Size switch
        {
            61 => new AdamMlp(),
            100_000 => new Adam100K(),
            1_000_000 => new Adam1M(),
            _ => new Adam10M(),
        };
        _probe = new BandwidthProbe(Size, 2);
    }

    [Benchmark(Description = "Optim ZeroGrad()")]
    public void ZeroGrad() => _optim.ZeroGrad();

    [Benchmark(Baseline = true, Description = "memset (Span.Clear)")]
    public void Memset() => _probe.Clear();
}
