using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;

namespace Optim.Generators.Model.Schedules;

/// <summary>How an argument of [LrSchedule] is typed and checked.</summary>
internal enum ArgumentKind
{
    /// <summary>An int, 1 or greater.</summary>
    PositiveInt,

    /// <summary>A finite double, 0 or greater.</summary>
    NonNegative,

    /// <summary>A finite double greater than 0.</summary>
    Positive,

    /// <summary>A double in (0, 1].</summary>
    OpenClosedUnit,

    /// <summary>A double in [0, 1].</summary>
    ClosedUnit,

    /// <summary>A bool.</summary>
    Flag,

    /// <summary>An enum value (CyclicMode).</summary>
    Mode,
}

/// <summary>One argument: its name, type and range, and its default (null: required).</summary>
internal sealed record ScheduleArgument(string Name, ArgumentKind Kind, double? Default)
{
    public string? Check(double value) => Kind switch
    {
        _ when double.IsNaN(value) || double.IsInfinity(value) => "it must be a finite number",
        ArgumentKind.PositiveInt when value < 1 => "it must be 1 or greater",
        ArgumentKind.NonNegative when value < 0 => "it must be 0 or greater",
        ArgumentKind.Positive when value <= 0 => "it must be greater than 0",
        ArgumentKind.OpenClosedUnit when value <= 0 || value > 1 => "it must be in (0, 1]",
        ArgumentKind.ClosedUnit when value < 0 || value > 1 => "it must be in [0, 1]",
        ArgumentKind.Mode when value < 0 || value > 2 => "it must be a CyclicMode",
        _ => null,
    };

    /// <summary>The value as a C# literal of the formula's parameter type.</summary>
    public string Literal(double value) => Kind switch
    {
        ArgumentKind.PositiveInt => ((int)value).ToString(CultureInfo.InvariantCulture),
        ArgumentKind.Flag => value != 0 ? "true" : "false",
        ArgumentKind.Mode => $"(global::Optim.Schedules.LrFormulas.CyclicMode){(int)value}",
        _ => Emit.Literals.Double(value),
    };
}

/// <summary>
/// A schedule Optim can compile into Step(): its arguments and the call into Optim.Schedules.LrFormulas that
/// computes the rate, the same function the runtime scheduler classes use.
/// </summary>
internal sealed class ScheduleDefinition(int id, string name, ImmutableArray<ScheduleArgument> arguments, Func<IReadOnlyDictionary<string, string>, string> call, bool usesMilestones = false)
{
    public int Id { get; } = id;

    public string Name { get; } = name;

    public ImmutableArray<ScheduleArgument> Arguments { get; } = arguments;

    public bool UsesMilestones { get; } = usesMilestones;

    public ScheduleArgument? Find(string argument) => Arguments.FirstOrDefault(a => a.Name == argument);

    /// <summary>The C# expression for the rate at <c>epoch</c>, given <c>baseLr</c> (and <c>milestones</c>) in scope.</summary>
    public string Call(ScheduleSpec spec)
    {
        var literals = spec.Values.ToDictionary(v => v.Name, v => Find(v.Name)!.Literal(v.Number));
        return "global::Optim.Schedules.LrFormulas." + call(literals);
    }

    /// <summary>"TMax = 20, EtaMin = 0.001" for comments.</summary>
    public string Describe(ScheduleSpec spec) =>
        string.Join(", ", spec.Values.Select(v => $"{v.Name} = {Find(v.Name)!.Literal(v.Number).Replace("global::Optim.Schedules.LrFormulas.", "")}")
            .Concat(UsesMilestones ? new[] { $"Milestones = [{string.Join(", ", spec.Milestones)}]" } : Array.Empty<string>()));
}

/// <summary>Every schedule [LrSchedule] accepts, by the value of Optim.ScheduleKind.</summary>
internal static class ScheduleCatalog
{
    private static ScheduleArgument Arg(string name, ArgumentKind kind, double? @default = null) => new(name, kind, @default);

    public static ImmutableArray<ScheduleDefinition> All { get; } = ImmutableArray.Create(
        new ScheduleDefinition(0, "StepLR", ImmutableArray.Create(Arg("StepSize", ArgumentKind.PositiveInt), Arg("Gamma", ArgumentKind.NonNegative, 0.1)),
            a => $"StepLR(baseLr, {a["StepSize"]}, {a["Gamma"]}, epoch)"),
        new ScheduleDefinition(1, "MultiStepLR", ImmutableArray.Create(Arg("Gamma", ArgumentKind.NonNegative, 0.1)),
            a => $"MultiStepLR(baseLr, milestones, {a["Gamma"]}, epoch)", usesMilestones: true),
        new ScheduleDefinition(2, "ExponentialLR", ImmutableArray.Create(Arg("Gamma", ArgumentKind.NonNegative)),
            a => $"ExponentialLR(baseLr, {a["Gamma"]}, epoch)"),
        new ScheduleDefinition(3, "CosineAnnealingLR", ImmutableArray.Create(Arg("TMax", ArgumentKind.PositiveInt), Arg("EtaMin", ArgumentKind.NonNegative, 0)),
            a => $"CosineAnnealingLR(baseLr, {a["TMax"]}, {a["EtaMin"]}, epoch)"),
        new ScheduleDefinition(4, "CosineAnnealingWarmRestarts", ImmutableArray.Create(Arg("T0", ArgumentKind.PositiveInt), Arg("TMult", ArgumentKind.PositiveInt, 1), Arg("EtaMin", ArgumentKind.NonNegative, 0)),
            a => $"CosineAnnealingWarmRestarts(baseLr, {a["T0"]}, {a["TMult"]}, {a["EtaMin"]}, epoch)"),
        new ScheduleDefinition(5, "LinearLR", ImmutableArray.Create(Arg("StartFactor", ArgumentKind.OpenClosedUnit, 1.0 / 3), Arg("EndFactor", ArgumentKind.ClosedUnit, 1), Arg("TotalIters", ArgumentKind.PositiveInt, 5)),
            a => $"LinearLR(baseLr, {a["StartFactor"]}, {a["EndFactor"]}, {a["TotalIters"]}, epoch)"),
        new ScheduleDefinition(6, "ConstantLR", ImmutableArray.Create(Arg("Factor", ArgumentKind.ClosedUnit, 1.0 / 3), Arg("TotalIters", ArgumentKind.PositiveInt, 5)),
            a => $"ConstantLR(baseLr, {a["Factor"]}, {a["TotalIters"]}, epoch)"),
        new ScheduleDefinition(7, "PolynomialLR", ImmutableArray.Create(Arg("TotalIters", ArgumentKind.PositiveInt, 5), Arg("Power", ArgumentKind.NonNegative, 1)),
            a => $"PolynomialLR(baseLr, {a["TotalIters"]}, {a["Power"]}, epoch)"),
        new ScheduleDefinition(8, "OneCycleLR", ImmutableArray.Create(
                Arg("MaxLr", ArgumentKind.Positive), Arg("TotalSteps", ArgumentKind.PositiveInt), Arg("PctStart", ArgumentKind.OpenClosedUnit, 0.3),
                Arg("Cosine", ArgumentKind.Flag, 1), Arg("DivFactor", ArgumentKind.Positive, 25), Arg("FinalDivFactor", ArgumentKind.Positive, 1e4)),
            a => $"OneCycleLR({a["MaxLr"]}, {a["TotalSteps"]}, {a["PctStart"]}, {a["Cosine"]}, {a["DivFactor"]}, {a["FinalDivFactor"]}, epoch)"),
        new ScheduleDefinition(9, "CyclicLR", ImmutableArray.Create(
                Arg("BaseLr", ArgumentKind.NonNegative), Arg("MaxLr", ArgumentKind.Positive), Arg("StepSizeUp", ArgumentKind.PositiveInt, 2000),
                Arg("StepSizeDown", ArgumentKind.PositiveInt, 0), Arg("Mode", ArgumentKind.Mode, 0), Arg("Gamma", ArgumentKind.OpenClosedUnit, 1)),
            a => $"CyclicLR({a["BaseLr"]}, {a["MaxLr"]}, {a["StepSizeUp"]}, {a["StepSizeDown"]}, {a["Mode"]}, {a["Gamma"]}, epoch)"));

    public static ScheduleDefinition? Find(int id) => All.FirstOrDefault(d => d.Id == id);
}
