using System;
using BenchmarkDotNet.Attributes;
using static Optim.Optimizer;

namespace Optim.Benchmarks;

/// <summary>
/// What ClipGradNorm and SkipNonFinite cost at 10 M parameters: Adam's step alone, with clipping (the norm is one extra
/// read of the 40 MB of gradients; the scaling is fused into the update), and with clipping and the non-finite skip
/// (the same pass). Single-threaded and with the automatic thread count. Gradients of 0.01 give ‖g‖ ≈ 31.6, so every
/// step clips.
/// </summary>
[MemoryDiagnoser]
public class GradientServiceBenchmarks
{
    private IOptimizable<float> _plain = null!, _clipped = null!, _clippedSkipping = null!;

    [Params(1, 0)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _plain = Threads == 1 ? new Adam10M() : new ParallelAdam10M();
        _clipped = Threads == 1 ? new ClippedAdam10M() : new ParallelClippedAdam10M();
        _clippedSkipping = Threads == 1 ? new ClippedSkippingAdam10M() : new ParallelClippedSkippingAdam10M();
        foreach (IOptimizable<float> model in new[] { _plain, _clipped, _clippedSkipping })
        {
            model.Parameters.Fill(0.5f);
            model.Gradients.Fill(0.01f);
        }
    }

    [Benchmark(Baseline = true, Description = "Adam")]
    public void Plain() => _plain.Step();

    [Benchmark(Description = "Adam, ClipGradNorm = 1")]
    public void Clipped() => _clipped.Step();

    [Benchmark(Description = "Adam, ClipGradNorm = 1, SkipNonFinite")]
    public void ClippedSkipping() => _clippedSkipping.Step();
}

[Optimize(Adam, Lr = 1e-3, ClipGradNorm = 1, Threads = 1)]
public sealed partial class ClippedAdam10M
{
    [Parameter(2500000)] public partial Span<float> A { get; }
    [Parameter(2500000)] public partial Span<float> B { get; }
    [Parameter(2500000)] public partial Span<float> C { get; }
    [Parameter(2500000)] public partial Span<float> D { get; }
}

[Optimize(Adam, Lr = 1e-3, ClipGradNorm = 1, SkipNonFinite = true, Threads = 1)]
public sealed partial class ClippedSkippingAdam10M
{
    [Parameter(2500000)] public partial Span<float> A { get; }
    [Parameter(2500000)] public partial Span<float> B { get; }
    [Parameter(2500000)] public partial Span<float> C { get; }
    [Parameter(2500000)] public partial Span<float> D { get; }
}

[Optimize(Adam, Lr = 1e-3, ClipGradNorm = 1)]
public sealed partial class ParallelClippedAdam10M
{
    [Parameter(2500000)] public partial Span<float> A { get; }
    [Parameter(2500000)] public partial Span<float> B { get; }
    [Parameter(2500000)] public partial Span<float> C { get; }
    [Parameter(2500000)] public partial Span<float> D { get; }
}

[Optimize(Adam, Lr = 1e-3, ClipGradNorm = 1, SkipNonFinite = true)]
public sealed partial class ParallelClippedSkippingAdam10M
{
    [Parameter(2500000)] public partial Span<float> A { get; }
    [Parameter(2500000)] public partial Span<float> B { get; }
    [Parameter(2500000)] public partial Span<float> C { get; }
    [Parameter(2500000)] public partial Span<float> D { get; }
}
