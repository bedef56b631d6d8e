using System;
using Optim;
using static Optim.Optimizer;

namespace Optim.Generators.Tests.Parity;

// One generated model per reference case of tests/reference/optimizers.json (float), and a double twin.
// ReferenceCaseTests checks each attribute against the case's hyperparameters, so a typo here fails a test.

[Optimize(Sgd, Lr = 0.1)]
public sealed partial class SgdN37
{
    [Parameter(37)] public partial Span<float> W { get; }
}

[Optimize(Sgd, Lr = 0.1)]
public sealed partial class SgdN37Double
{
    [Parameter(37)] public partial Span<double> W { get; }
}

[Optimize(Sgd, Lr = 0.05, WeightDecay = 0.01)]
public sealed partial class SgdWdN37
{
    [Parameter(37)] public partial Span<float> W { get; }
}

[Optimize(Sgd, Lr = 0.05, WeightDecay = 0.01)]
public sealed partial class SgdWdN37Double
{
    [Parameter(37)] public partial Span<double> W { get; }
}

[Optimize(Sgd, Lr = 0.01, Momentum = 0.9)]
public sealed partial class SgdMomentumN37
{
    [Parameter(37)] public partial Span<float> W { get; }
}

[Optimize(Sgd, Lr = 0.01, Momentum = 0.9)]
public sealed partial class SgdMomentumN37Double
{
    [Parameter(37)] public partial Span<double> W { get; }
}

[Optimize(Sgd, Lr = 0.01, Momentum = 0.9, Dampening = 0.5)]
public sealed partial class SgdMomentumDampeningN37
{
    [Parameter(37)] public partial Span<float> W { get; }
}

[Optimize(Sgd, Lr = 0.01, Momentum = 0.9, Dampening = 0.5)]
public sealed partial class SgdMomentumDampeningN37Double
{
    [Parameter(37)] public partial Span<double> W { get; }
}

[Optimize(Sgd, Lr = 0.01, Momentum = 0.9, Nesterov = true)]
public sealed partial class SgdNesterovN37
{
    [Parameter(37)] public partial Span<float> W { get; }
}

[Optimize(Sgd, Lr = 0.01, Momentum = 0.9, Nesterov = true)]
public sealed partial class SgdNesterovN37Double
{
    [Parameter(37)] public partial Span<double> W { get; }
}

[Optimize(Sgd, Lr = 0.01, Momentum = 0.8, Nesterov = true, WeightDecay = 0.001, Maximize = true)]
public sealed partial class SgdNesterovWdMaximizeN37
{
    [Parameter(37)] public partial Span<float> W { get; }
}

[Optimize(Sgd, Lr = 0.01, Momentum = 0.8, Nesterov = true, WeightDecay = 0.001, Maximize = true)]
public sealed partial class SgdNesterovWdMaximizeN37Double
{
    [Parameter(37)] public partial Span<double> W { get; }
}

[Optimize(Adam, Lr = 0.001)]
public sealed partial class AdamN37
{
    [Parameter(37)] public partial Span<float> W { get; }
}

[Optimize(Adam, Lr = 0.001)]
public sealed partial class AdamN37Double
{
    [Parameter(37)] public partial Span<double> W { get; }
}

[Optimize(Adam, Lr = 0.01, Beta1 = 0.8, Beta2 = 0.99, Eps = 1e-06)]
public sealed partial class AdamBetasEpsN37
{
    [Parameter(37)] public partial Span<float> W { get; }
}

[Optimize(Adam, Lr = 0.01, Beta1 = 0.8, Beta2 = 0.99, Eps = 1e-06)]
public sealed partial class AdamBetasEpsN37Double
{
    [Parameter(37)] public partial Span<double> W { get; }
}

[Optimize(Adam, Lr = 0.001, WeightDecay = 0.01)]
public sealed partial class AdamWdN37
{
    [Parameter(37)] public partial Span<float> W { get; }
}

[Optimize(Adam, Lr = 0.001, WeightDecay = 0.01)]
public sealed partial class AdamWdN37Double
{
    [Parameter(37)] public partial Span<double> W { get; }
}

[Optimize(Adam, Lr = 0.001, Amsgrad = true)]
public sealed partial class AdamAmsgradN37
{
    [Parameter(37)] public partial Span<float> W { get; }
}

[Optimize(Adam, Lr = 0.001, Amsgrad = true)]
public sealed partial class AdamAmsgradN37Double
{
    [Parameter(37)] public partial Span<double> W { get; }
}

[Optimize(Adam, Lr = 0.001, Maximize = true)]
public sealed partial class AdamMaximizeN37
{
    [Parameter(37)] public partial Span<float> W { get; }
}

[Optimize(Adam, Lr = 0.001, Maximize = true)]
public sealed partial class AdamMaximizeN37Double
{
    [Parameter(37)] public partial Span<double> W { get; }
}

[Optimize(AdamW, Lr = 0.001, WeightDecay = 0.01)]
public sealed partial class AdamwN37
{
    [Parameter(37)] public partial Span<float> W { get; }
}

[Optimize(AdamW, Lr = 0.001, WeightDecay = 0.01)]
public sealed partial class AdamwN37Double
{
    [Parameter(37)] public partial Span<double> W { get; }
}

[Optimize(AdamW, Lr = 0.003, WeightDecay = 0.1, Amsgrad = true)]
public sealed partial class AdamwAmsgradN37
{
    [Parameter(37)] public partial Span<float> W { get; }
}

[Optimize(AdamW, Lr = 0.003, WeightDecay = 0.1, Amsgrad = true)]
public sealed partial class AdamwAmsgradN37Double
{
    [Parameter(37)] public partial Span<double> W { get; }
}

[Optimize(Momentum, Lr = 0.01, Beta = 0.9)]
public sealed partial class MomentumEmaB09N37
{
    [Parameter(37)] public partial Span<float> W { get; }
}

[Optimize(Momentum, Lr = 0.01, Beta = 0.9)]
public sealed partial class MomentumEmaB09N37Double
{
    [Parameter(37)] public partial Span<double> W { get; }
}

[Optimize(Momentum, Lr = 0.05, Beta = 0.5)]
public sealed partial class MomentumEmaB05N37
{
    [Parameter(37)] public partial Span<float> W { get; }
}

[Optimize(Momentum, Lr = 0.05, Beta = 0.5)]
public sealed partial class MomentumEmaB05N37Double
{
    [Parameter(37)] public partial Span<double> W { get; }
}

/// <summary>The models above by reference case name.</summary>
internal static class ReferenceModels
{
    public static readonly System.Collections.Generic.Dictionary<string, (Func<IOptimizable<float>> Float, Func<IOptimizable<double>> Double)> ByCase = new()
    {
        ["sgd-n37"] = (() => new SgdN37(), () => new SgdN37Double()),
        ["sgd-wd-n37"] = (() => new SgdWdN37(), () => new SgdWdN37Double()),
        ["sgd-momentum-n37"] = (() => new SgdMomentumN37(), () => new SgdMomentumN37Double()),
        ["sgd-momentum-dampening-n37"] = (() => new SgdMomentumDampeningN37(), () => new SgdMomentumDampeningN37Double()),
        ["sgd-nesterov-n37"] = (() => new SgdNesterovN37(), () => new SgdNesterovN37Double()),
        ["sgd-nesterov-wd-maximize-n37"] = (() => new SgdNesterovWdMaximizeN37(), () => new SgdNesterovWdMaximizeN37Double()),
        ["adam-n37"] = (() => new AdamN37(), () => new AdamN37Double()),
        ["adam-betas-eps-n37"] = (() => new AdamBetasEpsN37(), () => new AdamBetasEpsN37Double()),
        ["adam-wd-n37"] = (() => new AdamWdN37(), () => new AdamWdN37Double()),
        ["adam-amsgrad-n37"] = (() => new AdamAmsgradN37(), () => new AdamAmsgradN37Double()),
        ["adam-maximize-n37"] = (() => new AdamMaximizeN37(), () => new AdamMaximizeN37Double()),
        ["adamw-n37"] = (() => new AdamwN37(), () => new AdamwN37Double()),
        ["adamw-amsgrad-n37"] = (() => new AdamwAmsgradN37(), () => new AdamwAmsgradN37Double()),
        ["momentum-ema-b0.9-n37"] = (() => new MomentumEmaB09N37(), () => new MomentumEmaB09N37Double()),
        ["momentum-ema-b0.5-n37"] = (() => new MomentumEmaB05N37(), () => new MomentumEmaB05N37Double()),
    };
}
