using System;
using static Optim.Optimizer;

namespace Optim.Sample.Race;

// Each racer is a 2-parameter model whose optimizer Optim generated; the race runs that generated Step().
// PyTorch's default hyperparameters throughout, so the "default" race is what a user gets without tuning.

/// <summary>A racer's position: (x, y) in one parameter tensor.</summary>
internal interface IRacer : IOptimizable<double>
{
    /// <summary>The point (x, y).</summary>
    Span<double> Position { get; }
}

[Optimize(Sgd)]
internal sealed partial class SgdRacer : IRacer
{
    [Parameter(2)] public partial Span<double> Position { get; }
}

[Optimize(Sgd, Momentum = 0.9, Nesterov = true)]
internal sealed partial class NesterovRacer : IRacer
{
    [Parameter(2)] public partial Span<double> Position { get; }
}

[Optimize(Momentum, Beta = 0.9)]
internal sealed partial class MomentumRacer : IRacer
{
    [Parameter(2)] public partial Span<double> Position { get; }
}

[Optimize(Adam)]
internal sealed partial class AdamRacer : IRacer
{
    [Parameter(2)] public partial Span<double> Position { get; }
}

[Optimize(AdamW)]
internal sealed partial class AdamWRacer : IRacer
{
    [Parameter(2)] public partial Span<double> Position { get; }
}

[Optimize(Adam, Amsgrad = true)]
internal sealed partial class AmsgradRacer : IRacer
{
    [Parameter(2)] public partial Span<double> Position { get; }
}

/// <summary>A racer's name, look (colour-blind-safe Okabe–Ito colour and a distinct marker) and generated rule.</summary>
internal sealed record RacerKind(string Name, string Color, string Marker, string UpdateRule, Func<IRacer> Create)
{
    public static readonly RacerKind[] All =
    [
        new("SGD", "#0072B2", "circle", SgdRacer.UpdateRule, () => new SgdRacer()),
        new("SGD + Nesterov 0.9", "#D55E00", "square", NesterovRacer.UpdateRule, () => new NesterovRacer()),
        new("Momentum β 0.9", "#009E73", "triangle", MomentumRacer.UpdateRule, () => new MomentumRacer()),
        new("Adam", "#CC79A7", "diamond", AdamRacer.UpdateRule, () => new AdamRacer()),
        new("AdamW λ 0.01", "#E69F00", "cross", AdamWRacer.UpdateRule, () => new AdamWRacer()),
        new("Adam AMSGrad", "#56B4E9", "star", AmsgradRacer.UpdateRule, () => new AmsgradRacer()),
    ];
}
