using System;
using Optim;
using static Optim.Optimizer;

namespace Optim.Benchmarks;

// Every optimizer at 10 M parameters (four tensors of 2.5 M; the per-tensor rules' matrices 1000 × 2500), and every
// optimizer on the 61-parameter MLP, single-threaded, for OptimizerZooBenchmarks.

[Optimize(Sgd, Lr = 0.01, Momentum = 0.9, Threads = 1)]
public sealed partial class ZooSgd10M
{
    [Parameter(2500000)] public partial Span<float> A { get; }
    [Parameter(2500000)] public partial Span<float> B { get; }
    [Parameter(2500000)] public partial Span<float> C { get; }
    [Parameter(2500000)] public partial Span<float> D { get; }
}

[Optimize(Momentum, Lr = 0.01, Threads = 1)]
public sealed partial class ZooMomentum10M
{
    [Parameter(2500000)] public partial Span<float> A { get; }
    [Parameter(2500000)] public partial Span<float> B { get; }
    [Parameter(2500000)] public partial Span<float> C { get; }
    [Parameter(2500000)] public partial Span<float> D { get; }
}

[Optimize(Adam, Threads = 1)]
public sealed partial class ZooAdam10M
{
    [Parameter(2500000)] public partial Span<float> A { get; }
    [Parameter(2500000)] public partial Span<float> B { get; }
    [Parameter(2500000)] public partial Span<float> C { get; }
    [Parameter(2500000)] public partial Span<float> D { get; }
}

[Optimize(AdamW, Threads = 1)]
public sealed partial class ZooAdamW10M
{
    [Parameter(2500000)] public partial Span<float> A { get; }
    [Parameter(2500000)] public partial Span<float> B { get; }
    [Parameter(2500000)] public partial Span<float> C { get; }
    [Parameter(2500000)] public partial Span<float> D { get; }
}

[Optimize(RmsProp, Threads = 1)]
public sealed partial class ZooRmsProp10M
{
    [Parameter(2500000)] public partial Span<float> A { get; }
    [Parameter(2500000)] public partial Span<float> B { get; }
    [Parameter(2500000)] public partial Span<float> C { get; }
    [Parameter(2500000)] public partial Span<float> D { get; }
}

[Optimize(Adagrad, Threads = 1)]
public sealed partial class ZooAdagrad10M
{
    [Parameter(2500000)] public partial Span<float> A { get; }
    [Parameter(2500000)] public partial Span<float> B { get; }
    [Parameter(2500000)] public partial Span<float> C { get; }
    [Parameter(2500000)] public partial Span<float> D { get; }
}

[Optimize(Adadelta, Threads = 1)]
public sealed partial class ZooAdadelta10M
{
    [Parameter(2500000)] public partial Span<float> A { get; }
    [Parameter(2500000)] public partial Span<float> B { get; }
    [Parameter(2500000)] public partial Span<float> C { get; }
    [Parameter(2500000)] public partial Span<float> D { get; }
}

[Optimize(Adamax, Threads = 1)]
public sealed partial class ZooAdamax10M
{
    [Parameter(2500000)] public partial Span<float> A { get; }
    [Parameter(2500000)] public partial Span<float> B { get; }
    [Parameter(2500000)] public partial Span<float> C { get; }
    [Parameter(2500000)] public partial Span<float> D { get; }
}

[Optimize(NAdam, Threads = 1)]
public sealed partial class ZooNAdam10M
{
    [Parameter(2500000)] public partial Span<float> A { get; }
    [Parameter(2500000)] public partial Span<float> B { get; }
    [Parameter(2500000)] public partial Span<float> C { get; }
    [Parameter(2500000)] public partial Span<float> D { get; }
}

[Optimize(RAdam, Threads = 1)]
public sealed partial class ZooRAdam10M
{
    [Parameter(2500000)] public partial Span<float> A { get; }
    [Parameter(2500000)] public partial Span<float> B { get; }
    [Parameter(2500000)] public partial Span<float> C { get; }
    [Parameter(2500000)] public partial Span<float> D { get; }
}

[Optimize(Rprop, Threads = 1)]
public sealed partial class ZooRprop10M
{
    [Parameter(2500000)] public partial Span<float> A { get; }
    [Parameter(2500000)] public partial Span<float> B { get; }
    [Parameter(2500000)] public partial Span<float> C { get; }
    [Parameter(2500000)] public partial Span<float> D { get; }
}

[Optimize(Asgd, Threads = 1)]
public sealed partial class ZooAsgd10M
{
    [Parameter(2500000)] public partial Span<float> A { get; }
    [Parameter(2500000)] public partial Span<float> B { get; }
    [Parameter(2500000)] public partial Span<float> C { get; }
    [Parameter(2500000)] public partial Span<float> D { get; }
}

[Optimize(Lion, Threads = 1)]
public sealed partial class ZooLion10M
{
    [Parameter(2500000)] public partial Span<float> A { get; }
    [Parameter(2500000)] public partial Span<float> B { get; }
    [Parameter(2500000)] public partial Span<float> C { get; }
    [Parameter(2500000)] public partial Span<float> D { get; }
}

[Optimize(Lamb, Threads = 1)]
public sealed partial class ZooLamb10M
{
    [Parameter(1000, 2500)] public partial Span<float> A { get; }
    [Parameter(1000, 2500)] public partial Span<float> B { get; }
    [Parameter(1000, 2500)] public partial Span<float> C { get; }
    [Parameter(1000, 2500)] public partial Span<float> D { get; }
}

[Optimize(Adafactor, Threads = 1)]
public sealed partial class ZooAdafactor10M
{
    [Parameter(1000, 2500)] public partial Span<float> A { get; }
    [Parameter(1000, 2500)] public partial Span<float> B { get; }
    [Parameter(1000, 2500)] public partial Span<float> C { get; }
    [Parameter(1000, 2500)] public partial Span<float> D { get; }
}

[Optimize(Sgd, Lr = 0.01, Momentum = 0.9, Threads = 1)]
public sealed partial class ZooSgdMlp
{
    [Parameter(5, 10)] public partial Span<float> A { get; }
    [Parameter(5)] public partial Span<float> B { get; }
    [Parameter(1, 5)] public partial Span<float> C { get; }
    [Parameter(1)] public partial Span<float> D { get; }
}

[Optimize(Momentum, Lr = 0.01, Threads = 1)]
public sealed partial class ZooMomentumMlp
{
    [Parameter(5, 10)] public partial Span<float> A { get; }
    [Parameter(5)] public partial Span<float> B { get; }
    [Parameter(1, 5)] public partial Span<float> C { get; }
    [Parameter(1)] public partial Span<float> D { get; }
}

[Optimize(Adam, Threads = 1)]
public sealed partial class ZooAdamMlp
{
    [Parameter(5, 10)] public partial Span<float> A { get; }
    [Parameter(5)] public partial Span<float> B { get; }
    [Parameter(1, 5)] public partial Span<float> C { get; }
    [Parameter(1)] public partial Span<float> D { get; }
}

[Optimize(AdamW, Threads = 1)]
public sealed partial class ZooAdamWMlp
{
    [Parameter(5, 10)] public partial Span<float> A { get; }
    [Parameter(5)] public partial Span<float> B { get; }
    [Parameter(1, 5)] public partial Span<float> C { get; }
    [Parameter(1)] public partial Span<float> D { get; }
}

[Optimize(RmsProp, Threads = 1)]
public sealed partial class ZooRmsPropMlp
{
    [Parameter(5, 10)] public partial Span<float> A { get; }
    [Parameter(5)] public partial Span<float> B { get; }
    [Parameter(1, 5)] public partial Span<float> C { get; }
    [Parameter(1)] public partial Span<float> D { get; }
}

[Optimize(Adagrad, Threads = 1)]
public sealed partial class ZooAdagradMlp
{
    [Parameter(5, 10)] public partial Span<float> A { get; }
    [Parameter(5)] public partial Span<float> B { get; }
    [Parameter(1, 5)] public partial Span<float> C { get; }
    [Parameter(1)] public partial Span<float> D { get; }
}

[Optimize(Adadelta, Threads = 1)]
public sealed partial class ZooAdadeltaMlp
{
    [Parameter(5, 10)] public partial Span<float> A { get; }
    [Parameter(5)] public partial Span<float> B { get; }
    [Parameter(1, 5)] public partial Span<float> C { get; }
    [Parameter(1)] public partial Span<float> D { get; }
}

[Optimize(Adamax, Threads = 1)]
public sealed partial class ZooAdamaxMlp
{
    [Parameter(5, 10)] public partial Span<float> A { get; }
    [Parameter(5)] public partial Span<float> B { get; }
    [Parameter(1, 5)] public partial Span<float> C { get; }
    [Parameter(1)] public partial Span<float> D { get; }
}

[Optimize(NAdam, Threads = 1)]
public sealed partial class ZooNAdamMlp
{
    [Parameter(5, 10)] public partial Span<float> A { get; }
    [Parameter(5)] public partial Span<float> B { get; }
    [Parameter(1, 5)] public partial Span<float> C { get; }
    [Parameter(1)] public partial Span<float> D { get; }
}

[Optimize(RAdam, Threads = 1)]
public sealed partial class ZooRAdamMlp
{
    [Parameter(5, 10)] public partial Span<float> A { get; }
    [Parameter(5)] public partial Span<float> B { get; }
    [Parameter(1, 5)] public partial Span<float> C { get; }
    [Parameter(1)] public partial Span<float> D { get; }
}

[Optimize(Rprop, Threads = 1)]
public sealed partial class ZooRpropMlp
{
    [Parameter(5, 10)] public partial Span<float> A { get; }
    [Parameter(5)] public partial Span<float> B { get; }
    [Parameter(1, 5)] public partial Span<float> C { get; }
    [Parameter(1)] public partial Span<float> D { get; }
}

[Optimize(Asgd, Threads = 1)]
public sealed partial class ZooAsgdMlp
{
    [Parameter(5, 10)] public partial Span<float> A { get; }
    [Parameter(5)] public partial Span<float> B { get; }
    [Parameter(1, 5)] public partial Span<float> C { get; }
    [Parameter(1)] public partial Span<float> D { get; }
}

[Optimize(Lion, Threads = 1)]
public sealed partial class ZooLionMlp
{
    [Parameter(5, 10)] public partial Span<float> A { get; }
    [Parameter(5)] public partial Span<float> B { get; }
    [Parameter(1, 5)] public partial Span<float> C { get; }
    [Parameter(1)] public partial Span<float> D { get; }
}

[Optimize(Lamb, Threads = 1)]
public sealed partial class ZooLambMlp
{
    [Parameter(5, 10)] public partial Span<float> A { get; }
    [Parameter(5)] public partial Span<float> B { get; }
    [Parameter(1, 5)] public partial Span<float> C { get; }
    [Parameter(1)] public partial Span<float> D { get; }
}

[Optimize(Adafactor, Threads = 1)]
public sealed partial class ZooAdafactorMlp
{
    [Parameter(5, 10)] public partial Span<float> A { get; }
    [Parameter(5)] public partial Span<float> B { get; }
    [Parameter(1, 5)] public partial Span<float> C { get; }
    [Parameter(1)] public partial Span<float> D { get; }
}

[Optimize(Muon, Lr = 0.02)]
public sealed partial class ZooMuonMlp
{
    [Parameter(5, 10)] public partial Span<float> A { get; }
    [Parameter(5), Optimize(AdamW)] public partial Span<float> B { get; }
    [Parameter(1, 5)] public partial Span<float> C { get; }
    [Parameter(1), Optimize(AdamW)] public partial Span<float> D { get; }
}

[Optimize(Muon, Lr = 0.02)]
public sealed partial class ZooMuon1024
{
    [Parameter(1024, 1024)] public partial Span<float> W { get; }
}

[Optimize(Muon, Lr = 0.02, Threads = 1)]
public sealed partial class ZooMuon1024OneThread
{
    [Parameter(1024, 1024)] public partial Span<float> W { get; }
}

/// <summary>Eight hidden matrices too small for Newton–Schulz to share their products: shared between the threads whole.</summary>
[Optimize(Muon, Lr = 0.02, Threads = 2)]
public sealed partial class MuonEightMatrices
{
    [Parameter(96, 128)] public partial Span<float> W1 { get; }
    [Parameter(96, 128)] public partial Span<float> W2 { get; }
    [Parameter(96, 128)] public partial Span<float> W3 { get; }
    [Parameter(96, 128)] public partial Span<float> W4 { get; }
    [Parameter(128, 96)] public partial Span<float> W5 { get; }
    [Parameter(128, 96)] public partial Span<float> W6 { get; }
    [Parameter(64, 64)] public partial Span<float> W7 { get; }
    [Parameter(64, 64)] public partial Span<float> W8 { get; }
}

[Optimize(Muon, Lr = 0.02, Threads = 1)]
public sealed partial class MuonEightMatricesOneThread
{
    [Parameter(96, 128)] public partial Span<float> W1 { get; }
    [Parameter(96, 128)] public partial Span<float> W2 { get; }
    [Parameter(96, 128)] public partial Span<float> W3 { get; }
    [Parameter(96, 128)] public partial Span<float> W4 { get; }
    [Parameter(128, 96)] public partial Span<float> W5 { get; }
    [Parameter(128, 96)] public partial Span<float> W6 { get; }
    [Parameter(64, 64)] public partial Span<float> W7 { get; }
    [Parameter(64, 64)] public partial Span<float> W8 { get; }
}
