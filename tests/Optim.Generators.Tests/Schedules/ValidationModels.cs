using System;
using Optim;
using static Optim.Optimizer;

namespace Optim.Generators.Tests.Schedules;

// Compiled schedules for ScheduleValidationTests: warm restarts with the multipliers whose cycles a logarithm
// misplaces, and an ExponentialLR whose rate overflows at step 1025 (0.1·2^1024 = ∞).

[Optimize(Sgd, Lr = 0.1)]
[LrSchedule(ScheduleKind.CosineAnnealingWarmRestarts, T0 = 1, TMult = 3, EtaMin = 0.001)]
public sealed partial class WarmRestartsT1M3
{
    [Parameter(1)] public partial Span<double> W { get; }
}

[Optimize(Sgd, Lr = 0.1)]
[LrSchedule(ScheduleKind.CosineAnnealingWarmRestarts, T0 = 2, TMult = 3, EtaMin = 0.001)]
public sealed partial class WarmRestartsT2M3
{
    [Parameter(1)] public partial Span<double> W { get; }
}

[Optimize(Sgd, Lr = 0.1)]
[LrSchedule(ScheduleKind.CosineAnnealingWarmRestarts, T0 = 1, TMult = 10, EtaMin = 0.001)]
public sealed partial class WarmRestartsT1M10
{
    [Parameter(1)] public partial Span<double> W { get; }
}

[Optimize(Sgd, Lr = 0.1)]
[LrSchedule(ScheduleKind.CosineAnnealingWarmRestarts, T0 = 7, TMult = 1, EtaMin = 0.001)]
public sealed partial class WarmRestartsT7M1
{
    [Parameter(1)] public partial Span<double> W { get; }
}

[Optimize(Sgd, Lr = 0.1)]
[LrSchedule(ScheduleKind.CosineAnnealingWarmRestarts, T0 = 5, TMult = 2, EtaMin = 0.001)]
public sealed partial class WarmRestartsT5M2
{
    [Parameter(1)] public partial Span<double> W { get; }
}

[Optimize(Sgd, Lr = 0.1)]
[LrSchedule(ScheduleKind.ExponentialLR, Gamma = 2)]
public sealed partial class GrowingExponentialModel
{
    [Parameter(1)] public partial Span<double> W { get; }
}
