using Optim.Generators.Common;

namespace Optim.Generators.Model.Schedules;

/// <summary>A model's [LrSchedule]: the schedule and every argument's value (defaults filled in).</summary>
/// <param name="Kind">The Optim.ScheduleKind value.</param>
/// <param name="Values">Numeric arguments (ints, doubles, bools as 0/1, enums as their value).</param>
/// <param name="Milestones">MultiStepLR's milestones.</param>
/// <param name="WarmupSteps">Steps of linear warm-up before the schedule (0: none).</param>
/// <param name="WarmupStartFactor">Fraction of the rate the warm-up starts from.</param>
internal sealed record ScheduleSpec(int Kind, EquatableArray<OptimizerSpec.Value> Values, EquatableArray<int> Milestones, int WarmupSteps, double WarmupStartFactor);
