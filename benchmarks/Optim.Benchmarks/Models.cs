using System;
using Optim;
using static Optim.Optimizer;

namespace Optim.Benchmarks;

// The models under test: each optimizer at four sizes, every model four tensors (the MLP's 50/5/5/1, larger
// models four equal tensors), so the naive peer runs one loop per tensor as PyTorch's reference does.
// Threads = 1: the headline comparisons are single-threaded; the Parallel* models below use every core.

[Optimize(Sgd, Lr = 0.01, Momentum = 0.9, Threads = 1)]
public sealed partial class SgdMomentumMlp
{
    [Parameter(5, 10)] public partial Span<float> A { get; }
    [Parameter(5)] public partial Span<float> B { get; }
    [Parameter(1, 5)] public partial Span<float> C { get; }
    [Parameter(1)] public partial Span<float> D { get; }
}

[Optimize(Sgd, Lr = 0.01, Momentum = 0.9, Threads = 1)]
public sealed partial class SgdMomentum100K
{
    [Parameter(25000)] public partial Span<float> A { get; }
    [Parameter(25000)] public partial Span<float> B { get; }
    [Parameter(25000)] public partial Span<float> C { get; }
    [Parameter(25000)] public partial Span<float> D { get; }
}

[Optimize(Sgd, Lr = 0.01, Momentum = 0.9, Threads = 1)]
public sealed partial class SgdMomentum1M
{
    [Parameter(250000)] public partial Span<float> A { get; }
    [Parameter(250000)] public partial Span<float> B { get; }
    [Parameter(250000)] public partial Span<float> C { get; }
    [Parameter(250000)] public partial Span<float> D { get; }
}

[Optimize(Sgd, Lr = 0.01, Momentum = 0.9, Threads = 1)]
public sealed partial class SgdMomentum10M
{
    [Parameter(2500000)] public partial Span<float> A { get; }
    [Parameter(2500000)] public partial Span<float> B { get; }
    [Parameter(2500000)] public partial Span<float> C { get; }
    [Parameter(2500000)] public partial Span<float> D { get; }
}

[Optimize(Momentum, Lr = 0.01, Beta = 0.9, Threads = 1)]
public sealed partial class HeavyBallMlp
{
    [Parameter(5, 10)] public partial Span<float> A { get; }
    [Parameter(5)] public partial Span<float> B { get; }
    [Parameter(1, 5)] public partial Span<float> C { get; }
    [Parameter(1)] public partial Span<float> D { get; }
}

[Optimize(Momentum, Lr = 0.01, Beta = 0.9, Threads = 1)]
public sealed partial class HeavyBall100K
{
    [Parameter(25000)] public partial Span<float> A { get; }
    [Parameter(25000)] public partial Span<float> B { get; }
    [Parameter(25000)] public partial Span<float> C { get; }
    [Parameter(25000)] public partial Span<float> D { get; }
}

[Optimize(Momentum, Lr = 0.01, Beta = 0.9, Threads = 1)]
public sealed partial class HeavyBall1M
{
    [Parameter(250000)] public partial Span<float> A { get; }
    [Parameter(250000)] public partial Span<float> B { get; }
    [Parameter(250000)] public partial Span<float> C { get; }
    [Parameter(250000)] public partial Span<float> D { get; }
}

[Optimize(Momentum, Lr = 0.01, Beta = 0.9, Threads = 1)]
public sealed partial class HeavyBall10M
{
    [Parameter(2500000)] public partial Span<float> A { get; }
    [Parameter(2500000)] public partial Span<float> B { get; }
    [Parameter(2500000)] public partial Span<float> C { get; }
    [Parameter(2500000)] public partial Span<float> D { get; }
}

[Optimize(Adam, Lr = 1e-3, Threads = 1)]
public sealed partial class AdamMlp
{
    [Parameter(5, 10)] public partial Span<float> A { get; }
    [Parameter(5)] public partial Span<float> B { get; }
    [Parameter(1, 5)] public partial Span<float> C { get; }
    [Parameter(1)] public partial Span<float> D { get; }
}

[Optimize(Adam, Lr = 1e-3, Threads = 1)]
public sealed partial class Adam100K
{
    [Parameter(25000)] public partial Span<float> A { get; }
    [Parameter(25000)] public partial Span<float> B { get; }
    [Parameter(25000)] public partial Span<float> C { get; }
    [Parameter(25000)] public partial Span<float> D { get; }
}

[Optimize(Adam, Lr = 1e-3, Threads = 1)]
public sealed partial class Adam1M
{
    [Parameter(250000)] public partial Span<float> A { get; }
    [Parameter(250000)] public partial Span<float> B { get; }
    [Parameter(250000)] public partial Span<float> C { get; }
    [Parameter(250000)] public partial Span<float> D { get; }
}

[Optimize(Adam, Lr = 1e-3, Threads = 1)]
public sealed partial class Adam10M
{
    [Parameter(2500000)] public partial Span<float> A { get; }
    [Parameter(2500000)] public partial Span<float> B { get; }
    [Parameter(2500000)] public partial Span<float> C { get; }
    [Parameter(2500000)] public partial Span<float> D { get; }
}

[Optimize(Adam, Lr = 1e-3)]
public sealed partial class ParallelAdam1M
{
    [Parameter(250_000)] public partial Span<float> A { get; }
    [Parameter(250_000)] public partial Span<float> B { get; }
    [Parameter(250_000)] public partial Span<float> C { get; }
    [Parameter(250_000)] public partial Span<float> D { get; }
}

[Optimize(Adam, Lr = 1e-3)]
public sealed partial class ParallelAdam10M
{
    [Parameter(2_500_000)] public partial Span<float> A { get; }
    [Parameter(2_500_000)] public partial Span<float> B { get; }
    [Parameter(2_500_000)] public partial Span<float> C { get; }
    [Parameter(2_500_000)] public partial Span<float> D { get; }
}
