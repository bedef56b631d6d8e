using System;

namespace Optim;

/// <summary>The learning-rate schedules a model can declare with <see cref="LrScheduleAttribute"/>.</summary>
public enum ScheduleKind
{
    /// <summary>PyTorch StepLR: StepSize, Gamma (0.1).</summary>
    StepLR = 0,

    /// <summary>PyTorch MultiStepLR: Milestones, Gamma (0.1).</summary>
    MultiStepLR = 1,

    /// <summary>PyTorch ExponentialLR: Gamma.</summary>
    ExponentialLR = 2,

    /// <summary>PyTorch CosineAnnealingLR: TMax, EtaMin (0).</summary>
    CosineAnnealingLR = 3,

    /// <summary>PyTorch CosineAnnealingWarmRestarts: T0, TMult (1), EtaMin (0).</summary>
    CosineAnnealingWarmRestarts = 4,

    /// <summary>PyTorch LinearLR: StartFactor (1/3), EndFactor (1), TotalIters (5).</summary>
    LinearLR = 5,

    /// <summary>PyTorch ConstantLR: Factor (1/3), TotalIters (5).</summary>
    ConstantLR = 6,

    /// <summary>PyTorch PolynomialLR: TotalIters (5), Power (1).</summary>
    PolynomialLR = 7,

    /// <summary>PyTorch OneCycleLR (two phases): MaxLr, TotalSteps, PctStart (0.3), Cosine (true), DivFactor (25), FinalDivFactor (1e4).</summary>
    OneCycleLR = 8,

    /// <summary>PyTorch CyclicLR: BaseLr, MaxLr, StepSizeUp (2000), StepSizeDown (= up), Mode (Triangular), Gamma (1).</summary>
    CyclicLR = 9,
}

/// <summary>
/// Compiles a learning-rate schedule into the model's <c>Step()</c>: each step computes its rate from the step
/// count in closed form (the same formulas as the runtime <c>Optim.Schedules</c> classes), with no scheduler
/// object and no virtual call. Arguments have PyTorch's meaning; <c>WarmupSteps</c> prepends a linear warm-up
/// (PyTorch's <c>SequentialLR([LinearLR(WarmupStartFactor, 1, WarmupSteps), schedule], [WarmupSteps])</c>).
/// The model's <c>LearningRate</c> then reports the scheduled rate and cannot be set. If the schedule's rate for a
/// step is infinite or NaN (e.g. ExponentialLR with Gamma &gt; 1 after enough steps), that <c>Step()</c> throws
/// <see cref="InvalidOperationException"/> before changing the model, as the runtime scheduler does.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class LrScheduleAttribute : Attribute
{
    /// <summary>Selects the schedule.</summary>
    public LrScheduleAttribute(ScheduleKind kind) => Kind = kind;

    /// <summary>The schedule.</summary>
    public ScheduleKind Kind { get; }

#pragma warning disable CS1591 // Each argument is documented on ScheduleKind's members, with PyTorch's meaning.
    public int StepSize { get; set; }

    public int[]? Milestones { get; set; }

    public double Gamma { get; set; }

    public int TMax { get; set; }

    public double EtaMin { get; set; }

    public int T0 { get; set; }

    public int TMult { get; set; }

    public double StartFactor { get; set; }

    public double EndFactor { get; set; }

    public int TotalIters { get; set; }

    public double Factor { get; set; }

    public double Power { get; set; }

    public double MaxLr { get; set; }

    public int TotalSteps { get; set; }

    public double PctStart { get; set; }

    public bool Cosine { get; set; }

    public double DivFactor { get; set; }

    public double FinalDivFactor { get; set; }

    public double BaseLr { get; set; }

    public int StepSizeUp { get; set; }

    public int StepSizeDown { get; set; }

    public Schedules.LrFormulas.CyclicMode Mode { get; set; }
#pragma warning restore CS1591

    /// <summary>Steps of linear warm-up before the schedule starts (0: none).</summary>
    public int WarmupSteps { get; set; }

    /// <summary>Fraction of the rate the warm-up starts from (default 0.1).</summary>
    public double WarmupStartFactor { get; set; }
}
