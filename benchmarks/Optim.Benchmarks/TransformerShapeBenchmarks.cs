using System;
using BenchmarkDotNet.Attributes;
using Optim.Benchmarks.Peers;

namespace Optim.Benchmarks;

/// <summary>
/// <see cref="PerTensorBenchmarks"/> on a model shaped like a small transformer instead of four 2.5 M matrices: an
/// embedding (1000 × 512) and three blocks of width 512 (attention 512 × 1536 and 512 × 512, feed-forward 512 × 2048 and
/// 2048 × 512, two norms and a bias), 9,958,400 float parameters in 22 tensors of 512 to 1,048,576 values,
/// single-threaded: whether the ratios to Adam depend on the tensors' sizes.
/// </summary>
[MemoryDiagnoser]
public class TransformerShapeBenchmarks
{
    private readonly TransformerAdam10M _adam = new();
    private readonly TransformerLamb10M _lamb = new();
    private readonly TransformerAdafactor10M _adafactor = new();

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

[Optimize(Optimizer.Adam, Threads = 1)]
public sealed partial class TransformerAdam10M
{
    [Parameter(1000, 512)] public partial Span<float> Embedding { get; }
    [Parameter(512)] public partial Span<float> Norm1a { get; }
    [Parameter(512, 1536)] public partial Span<float> Qkv1 { get; }
    [Parameter(512, 512)] public partial Span<float> Out1 { get; }
    [Parameter(512)] public partial Span<float> Norm1b { get; }
    [Parameter(512, 2048)] public partial Span<float> Up1 { get; }
    [Parameter(2048)] public partial Span<float> UpBias1 { get; }
    [Parameter(2048, 512)] public partial Span<float> Down1 { get; }
    [Parameter(512)] public partial Span<float> Norm2a { get; }
    [Parameter(512, 1536)] public partial Span<float> Qkv2 { get; }
    [Parameter(512, 512)] public partial Span<float> Out2 { get; }
    [Parameter(512)] public partial Span<float> Norm2b { get; }
    [Parameter(512, 2048)] public partial Span<float> Up2 { get; }
    [Parameter(2048)] public partial Span<float> UpBias2 { get; }
    [Parameter(2048, 512)] public partial Span<float> Down2 { get; }
    [Parameter(512)] public partial Span<float> Norm3a { get; }
    [Parameter(512, 1536)] public partial Span<float> Qkv3 { get; }
    [Parameter(512, 512)] public partial Span<float> Out3 { get; }
    [Parameter(512)] public partial Span<float> Norm3b { get; }
    [Parameter(512, 2048)] public partial Span<float> Up3 { get; }
    [Parameter(2048)] public partial Span<float> UpBias3 { get; }
    [Parameter(2048, 512)] public partial Span<float> Down3 { get; }
}

[Optimize(Optimizer.Lamb, Threads = 1)]
public sealed partial class TransformerLamb10M
{
    [Parameter(1000, 512)] public partial Span<float> Embedding { get; }
    [Parameter(512)] public partial Span<float> Norm1a { get; }
    [Parameter(512, 1536)] public partial Span<float> Qkv1 { get; }
    [Parameter(512, 512)] public partial Span<float> Out1 { get; }
    [Parameter(512)] public partial Span<float> Norm1b { get; }
    [Parameter(512, 2048)] public partial Span<float> Up1 { get; }
    [Parameter(2048)] public partial Span<float> UpBias1 { get; }
    [Parameter(2048, 512)] public partial Span<float> Down1 { get; }
    [Parameter(512)] public partial Span<float> Norm2a { get; }
    [Parameter(512, 1536)] public partial Span<float> Qkv2 { get; }
    [Parameter(512, 512)] public partial Span<float> Out2 { get; }
    [Parameter(512)] public partial Span<float> Norm2b { get; }
    [Parameter(512, 2048)] public partial Span<float> Up2 { get; }
    [Parameter(2048)] public partial Span<float> UpBias2 { get; }
    [Parameter(2048, 512)] public partial Span<float> Down2 { get; }
    [Parameter(512)] public partial Span<float> Norm3a { get; }
    [Parameter(512, 1536)] public partial Span<float> Qkv3 { get; }
    [Parameter(512, 512)] public partial Span<float> Out3 { get; }
    [Parameter(512)] public partial Span<float> Norm3b { get; }
    [Parameter(512, 2048)] public partial Span<float> Up3 { get; }
    [Parameter(2048)] public partial Span<float> UpBias3 { get; }
    [Parameter(2048, 512)] public partial Span<float> Down3 { get; }
}

[Optimize(Optimizer.Adafactor, Threads = 1)]
public sealed partial class TransformerAdafactor10M
{
    [Parameter(1000, 512)] public partial Span<float> Embedding { get; }
    [Parameter(512)] public partial Span<float> Norm1a { get; }
    [Parameter(512, 1536)] public partial Span<float> Qkv1 { get; }
    [Parameter(512, 512)] public partial Span<float> Out1 { get; }
    [Parameter(512)] public partial Span<float> Norm1b { get; }
    [Parameter(512, 2048)] public partial Span<float> Up1 { get; }
    [Parameter(2048)] public partial Span<float> UpBias1 { get; }
    [Parameter(2048, 512)] public partial Span<float> Down1 { get; }
    [Parameter(512)] public partial Span<float> Norm2a { get; }
    [Parameter(512, 1536)] public partial Span<float> Qkv2 { get; }
    [Parameter(512, 512)] public partial Span<float> Out2 { get; }
    [Parameter(512)] public partial Span<float> Norm2b { get; }
    [Parameter(512, 2048)] public partial Span<float> Up2 { get; }
    [Parameter(2048)] public partial Span<float> UpBias2 { get; }
    [Parameter(2048, 512)] public partial Span<float> Down2 { get; }
    [Parameter(512)] public partial Span<float> Norm3a { get; }
    [Parameter(512, 1536)] public partial Span<float> Qkv3 { get; }
    [Parameter(512, 512)] public partial Span<float> Out3 { get; }
    [Parameter(512)] public partial Span<float> Norm3b { get; }
    [Parameter(512, 2048)] public partial Span<float> Up3 { get; }
    [Parameter(2048)] public partial Span<float> UpBias3 { get; }
    [Parameter(2048, 512)] public partial Span<float> Down3 { get; }
}
