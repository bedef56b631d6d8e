using System;
using Optim;
using static Optim.Optimizer;

namespace Optim.Generators.Tests.Schedules;

// One model per case of tests/reference/schedulers.json with the schedule compiled in by the generator,
// plus one with no schedule for the runtime Scheduler. SGD with lr as in the case, so Step() moves a
// parameter by exactly −lr·g and the test can see the rate each step really used.

[Optimize(Sgd, Lr = 0.1)]
public sealed partial class Unscheduled
{
    [Parameter(1)] public partial Span<double> W { get; }
}

[Optimize(Sgd, Lr = 0.1)]
[LrSchedule(ScheduleKind.StepLR, StepSize = 7, Gamma = 0.5)]
public sealed partial class StepLrModel
{
    [Parameter(1)] public partial Span<double> W { get; }
}

[Optimize(Sgd, Lr = 0.1)]
[LrSchedule(ScheduleKind.MultiStepLR, Milestones = new[] { 5, 12, 30 }, Gamma = 0.3)]
public sealed partial class MultiStepLrModel
{
    [Parameter(1)] public partial Span<double> W { get; }
}

[Optimize(Sgd, Lr = 0.1)]
[LrSchedule(ScheduleKind.ExponentialLR, Gamma = 0.95)]
public sealed partial class ExponentialLrModel
{
    [Parameter(1)] public partial Span<double> W { get; }
}

[Optimize(Sgd, Lr = 0.1)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = 20, EtaMin = 0.001)]
public sealed partial class CosineAnnealingLrModel
{
    [Parameter(1)] public partial Span<double> W { get; }
}

[Optimize(Sgd, Lr = 0.1)]
[LrSchedule(ScheduleKind.LinearLR, StartFactor = 0.1, EndFactor = 1.0, TotalIters = 10)]
public sealed partial class LinearLrModel
{
    [Parameter(1)] public partial Span<double> W { get; }
}

[Optimize(Sgd, Lr = 0.1)]
[LrSchedule(ScheduleKind.ConstantLR, Factor = 0.25, TotalIters = 6)]
public sealed partial class ConstantLrModel
{
    [Parameter(1)] public partial Span<double> W { get; }
}

[Optimize(Sgd, Lr = 0.1)]
[LrSchedule(ScheduleKind.PolynomialLR, TotalIters = 25, Power = 2.0)]
public sealed partial class PolynomialLrModel
{
    [Parameter(1)] public partial Span<double> W { get; }
}

[Optimize(Sgd, Lr = 0.1)]
[LrSchedule(ScheduleKind.OneCycleLR, MaxLr = 0.1, TotalSteps = 50, PctStart = 0.3, Cosine = true, DivFactor = 25, FinalDivFactor = 10000)]
public sealed partial class OneCycleLrModel
{
    [Parameter(1)] public partial Span<double> W { get; }
}

[Optimize(Sgd, Lr = 0.1)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = 40, WarmupSteps = 5, WarmupStartFactor = 0.2)]
public sealed partial class WarmupCosineModel
{
    [Parameter(1)] public partial Span<double> W { get; }
}

[Optimize(Sgd, Lr = 0.1)]
[LrSchedule(ScheduleKind.CosineAnnealingWarmRestarts, T0 = 3, TMult = 2, EtaMin = 0.01)]
public sealed partial class WarmRestartsModel
{
    [Parameter(1)] public partial Span<double> W { get; }
}

[Optimize(Sgd, Lr = 0.1)]
[LrSchedule(ScheduleKind.CyclicLR, BaseLr = 0.01, MaxLr = 0.1, StepSizeUp = 4, StepSizeDown = 6, Mode = Optim.Schedules.LrFormulas.CyclicMode.Triangular2)]
public sealed partial class CyclicLrModel
{
    [Parameter(1)] public partial Span<double> W { get; }
}
