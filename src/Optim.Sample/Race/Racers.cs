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

[Optimize(RmsProp)]
internal sealed partial class RmsPropRacer : IRacer
{
    [Parameter(2)] public partial Span<double> Position { get; }
}

[Optimize(Adagrad)]
internal sealed partial class AdagradRacer : IRacer
{
    [Parameter(2)] public partial Span<double> Position { get; }
}

[Optimize(Adadelta)]
internal sealed partial class AdadeltaRacer : IRacer
{
    [Parameter(2)] public partial Span<double> Position { get; }
}

[Optimize(Adamax)]
internal sealed partial class AdamaxRacer : IRacer
{
    [Parameter(2)] public partial Span<double> Position { get; }
}

[Optimize(NAdam)]
internal sealed partial class NAdamRacer : IRacer
{
    [Parameter(2)] public partial Span<double> Position { get; }
}

[Optimize(RAdam)]
internal sealed partial class RAdamRacer : IRacer
{
    [Parameter(2)] public partial Span<double> Position { get; }
}

[Optimize(Rprop)]
internal sealed partial class RpropRacer : IRacer
{
    [Parameter(2)] public partial Span<double> Position { get; }
}

[Optimize(Asgd)]
internal sealed partial class AsgdRacer : IRacer
{
    [Parameter(2)] public partial Span<double> Position { get; }
}

[Optimize(Lion)]
internal sealed partial class LionRacer : IRacer
{
    [Parameter(2)] public partial Span<double> Position { get; }
}

[Optimize(Lamb)]
internal sealed partial class LambRacer : IRacer
{
    [Parameter(2)] public partial Span<double> Position { get; }
}

[Optimize(Adafactor)]
internal sealed partial class AdafactorRacer : IRacer
{
    [Parameter(2)] public partial Span<double> Position { get; }
}

// Muon orthogonalizes matrices: the racer's position is a 1 × 2 matrix, so each step moves it a fixed distance.
[Optimize(Muon)]
internal sealed partial class MuonRacer : IRacer
{
    [Parameter(1, 2)] public partial Span<double> Position { get; }
}

/// <summary>
/// A racer's name, look (a colour-blind-safe Okabe–Ito colour and a marker; no two racers share both) and generated rule.
/// </summary>
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
        new("RMSprop", "#000000", "circle", RmsPropRacer.UpdateRule, () => new RmsPropRacer()),
        new("Adagrad", "#F0E442", "square", AdagradRacer.UpdateRule, () => new AdagradRacer()),
        new("Adadelta", "#0072B2", "triangle", AdadeltaRacer.UpdateRule, () => new AdadeltaRacer()),
        new("Adamax", "#D55E00", "diamond", AdamaxRacer.UpdateRule, () => new AdamaxRacer()),
        new("NAdam", "#009E73", "cross", NAdamRacer.UpdateRule, () => new NAdamRacer()),
        new("RAdam", "#CC79A7", "star", RAdamRacer.UpdateRule, () => new RAdamRacer()),
        new("Rprop", "#E69F00", "circle", RpropRacer.UpdateRule, () => new RpropRacer()),
        new("ASGD", "#56B4E9", "square", AsgdRacer.UpdateRule, () => new AsgdRacer()),
        new("Lion", "#000000", "triangle", LionRacer.UpdateRule, () => new LionRacer()),
        new("LAMB", "#F0E442", "diamond", LambRacer.UpdateRule, () => new LambRacer()),
        new("Adafactor", "#0072B2", "cross", AdafactorRacer.UpdateRule, () => new AdafactorRacer()),
        new("Muon", "#D55E00", "star", MuonRacer.UpdateRule, () => new MuonRacer()),
    ];
}
