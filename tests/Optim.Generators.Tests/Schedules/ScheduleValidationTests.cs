using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Optim;
using Optim.Generators.Tests.Infrastructure;
using Optim.Schedules;
using Xunit;

namespace Optim.Generators.Tests.Schedules;

/// <summary>
/// Schedules fail early and the same way in both forms: invalid arguments are OPT0016 at compile time and
/// ArgumentExceptions naming the argument at run time; a rate that becomes infinite or NaN throws at the step it
/// would be used, before anything changes; warm restarts land on PyTorch's step-by-step cycles.
/// </summary>
public sealed class ScheduleValidationTests
{
    // ---- 1. OneCycleLR with a zero-length warm-up (PctStart·TotalSteps = 1) ----

    /// <summary>PctStart (as written in source), TotalSteps, and whether PctStart·TotalSteps − 1 is exactly 0.</summary>
    public static TheoryData<string, int, bool> OneCycleCases => new()
    {
        { "1.0", 1, true },
        { "0.5", 2, true },
        { "0.25", 4, true },
        { "0.1", 10, true },
        { "0.3333333333333333", 3, true },
        { "0.2", 5, true },
        { "0.01", 100, true },
        { "0.3", 10, false },
        { "0.3", 3, false },
        { "0.7", 1, false },
        { "1.0", 2, false },
        { "0.07", 100, false },
    };

    [Theory]
    [MemberData(nameof(OneCycleCases))]
    public void OneCycle_zero_length_warmup_is_rejected_at_compile_time_and_at_run_time_alike(string pctStart, int totalSteps, bool degenerate)
    {
        double pct = double.Parse(pctStart, CultureInfo.InvariantCulture);

        // Compile time: OPT0016 on the PctStart argument, and no schedule compiled.
        string source = $$"""
            using System;
            using Optim;
            using static Optim.Optimizer;
            [Optimize(Sgd, Lr = 0.1)]
            [LrSchedule(ScheduleKind.OneCycleLR, MaxLr = 0.1, TotalSteps = {{totalSteps}}, PctStart = {{pctStart}})]
            public partial class OneCycle { [Parameter(1)] public partial Span<double> W { get; } }
            """;
        GeneratorHarness.Run run = GeneratorHarness.Generate(source);
        Diagnostic[] opt0016 = run.GeneratorDiagnostics.Where(d => d.Id == "OPT0016").ToArray();
        Assert.Equal(degenerate ? 1 : 0, opt0016.Length);
        Assert.Empty(run.CompileDiagnostics);
        if (degenerate)
        {
            Microsoft.CodeAnalysis.Text.TextSpan span = opt0016[0].Location.SourceSpan;
            Assert.Equal("Model0.cs", opt0016[0].Location.GetLineSpan().Path);
            Assert.StartsWith("PctStart", source.Substring(span.Start, span.Length), StringComparison.Ordinal);
            Assert.Contains("zero steps long", opt0016[0].GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }

        // Run time: the same arguments throw naming pctStart, or give finite rates over the whole cycle and after.
        if (degenerate)
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => new OneCycleLR(0.1, totalSteps, pct));
            Assert.Equal("pctStart", error.ParamName);
        }
        else
        {
            var schedule = new OneCycleLR(0.1, totalSteps, pct);
            for (int epoch = 0; epoch <= totalSteps + 1; epoch++)
            {
                Assert.True(double.IsFinite(schedule.LrAt(0.1, epoch)), $"epoch {epoch}");
            }

            Assert.Equal(LrFormulas.OneCycleWarmupHasLength(pct, totalSteps), !degenerate);
        }
    }

    // ---- 2. A rate that overflows: the step that would use it throws, in both forms, at the same step ----

    [Fact]
    public void Exponential_growth_throws_at_the_step_whose_rate_is_infinite_both_ways_and_changes_nothing()
    {
        // 0.1·2^1023 is finite, 0.1·2^1024 is not: step 1025 is the first that would get an infinite rate.
        var runtimeModel = new Unscheduled { LearningRate = 0.1 };
        var scheduler = new Scheduler(runtimeModel, new ExponentialLR(2));
        for (int k = 1; k <= 1023; k++)
        {
            scheduler.Step();
        }

        double lastRate = runtimeModel.LearningRate;
        Assert.Equal(0.1 * Math.Pow(2, 1023), lastRate);
        var runtimeError = Assert.Throws<InvalidOperationException>(scheduler.Step);
        Assert.Equal(1023, scheduler.LastEpoch);
        Assert.Equal(lastRate, runtimeModel.LearningRate);

        var compiled = new GrowingExponentialModel();
        for (int k = 1; k <= 1024; k++)
        {
            compiled.Step(); // gradients are zero: parameters stay 0 however large the rate
        }

        Assert.True(double.IsPositiveInfinity(compiled.LearningRate));
        compiled.W[0] = 3;
        compiled.WGrad[0] = 1;
        var compiledError = Assert.Throws<InvalidOperationException>(compiled.Step);
        Assert.Equal(1024, compiled.StepCount);
        Assert.Equal(3, compiled.W[0]);

        Assert.Equal(runtimeError.Message, compiledError.Message);
        Assert.Contains("ExponentialLR gives a non-finite learning rate (Infinity) for step 1025", compiledError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_schedule_whose_first_rate_is_not_finite_is_rejected_when_the_scheduler_is_created()
    {
        var model = new Unscheduled { LearningRate = 0.1 };
        Assert.Throws<InvalidOperationException>(() => new Scheduler(model, new LambdaLR(_ => double.NaN)));
        Assert.Equal(0.1, model.LearningRate);
    }

    // ---- 3. Warm restarts: exact cycles, checked against PyTorch's recursion for 10^5 steps ----

    public static TheoryData<int, int> WarmRestartCases => new()
    {
        { 1, 1 }, { 7, 1 }, { 1, 2 }, { 5, 2 }, { 1, 3 }, { 2, 3 }, { 1, 10 }, { 3, 10 },
    };

    private const int RestartEpochs = 100_000;

    /// <summary>
    /// torch.optim.lr_scheduler.CosineAnnealingWarmRestarts.step(), step by step:
    /// <c>T_cur += 1; if T_cur &gt;= T_i: T_cur -= T_i; T_i *= T_mult</c>; lr = η_min + (γ₀ − η_min)(1 + cos(π·T_cur/T_i))/2.
    /// </summary>
    private static double[] PyTorchWarmRestarts(double baseLr, int t0, int tMult, double etaMin, int epochs)
    {
        var lrs = new double[epochs];
        long tCur = 0, tI = t0;
        for (int k = 0; k < epochs; k++)
        {
            lrs[k] = etaMin + ((baseLr - etaMin) * (1 + Math.Cos(Math.PI * tCur / tI)) / 2);
            tCur += 1;
            if (tCur >= tI)
            {
                tCur -= tI;
                tI *= tMult;
            }
        }

        return lrs;
    }

    [Theory]
    [MemberData(nameof(WarmRestartCases))]
    public void Runtime_warm_restarts_follow_PyTorch_recursion_for_100000_steps(int t0, int tMult)
    {
        double[] expected = PyTorchWarmRestarts(0.1, t0, tMult, 0.001, RestartEpochs);
        var schedule = new CosineAnnealingWarmRestarts(t0, tMult, 0.001);
        for (int k = 0; k < expected.Length; k++)
        {
            double lr = schedule.LrAt(0.1, k);
            Assert.True(Math.Abs(lr - expected[k]) <= 1e-12 * expected[k], $"T0 {t0}, TMult {tMult}, epoch {k}: {lr:R}, PyTorch {expected[k]:R}");
        }
    }

    [Fact]
    public void Warm_restart_at_epoch_121_with_TMult_3_is_on_time()
    {
        // Cycles of 1, 3, 9, 27, 81 steps start at 0, 1, 4, 13, 40, 121: a logarithm put the last restart at 122.
        Assert.Equal(0.1, new CosineAnnealingWarmRestarts(1, 3).LrAt(0.1, 121));
        Assert.Equal(0.1, LrFormulas.CosineAnnealingWarmRestarts(0.1, 1, 10, 0, 1111));
        double far = LrFormulas.CosineAnnealingWarmRestarts(0.1, 1, 2, 0, long.MaxValue);
        Assert.InRange(far, 0, 0.1);
        Assert.InRange(LrFormulas.CosineAnnealingWarmRestarts(0.1, int.MaxValue, int.MaxValue, 0, long.MaxValue), 0, 0.1);
    }

    public static TheoryData<string> CompiledWarmRestarts => new() { nameof(WarmRestartsT1M3), nameof(WarmRestartsT2M3), nameof(WarmRestartsT1M10), nameof(WarmRestartsT7M1), nameof(WarmRestartsT5M2) };

    [Theory]
    [MemberData(nameof(CompiledWarmRestarts))]
    public void Compiled_warm_restarts_follow_PyTorch_recursion_for_100000_steps(string model)
    {
        (IOptimizable<double> compiled, int t0, int tMult) = model switch
        {
            nameof(WarmRestartsT1M3) => ((IOptimizable<double>)new WarmRestartsT1M3(), 1, 3),
            nameof(WarmRestartsT2M3) => (new WarmRestartsT2M3(), 2, 3),
            nameof(WarmRestartsT1M10) => (new WarmRestartsT1M10(), 1, 10),
            nameof(WarmRestartsT7M1) => (new WarmRestartsT7M1(), 7, 1),
            _ => (new WarmRestartsT5M2(), 5, 2),
        };
        double[] expected = PyTorchWarmRestarts(0.1, t0, tMult, 0.001, RestartEpochs);
        for (int k = 0; k < expected.Length; k++)
        {
            double lr = compiled.LearningRate;
            if (!(Math.Abs(lr - expected[k]) <= 1e-12 * expected[k]))
            {
                Assert.Fail($"{model}, step {k + 1}: {lr:R}, PyTorch {expected[k]:R}");
            }

            compiled.Step();
        }
    }

    // ---- 4. Every runtime constructor names the argument it rejects ----

    private static readonly Dictionary<string, (string Param, Func<object> Create)> InvalidArguments = new()
    {
        ["StepLR stepSize 0"] = ("stepSize", () => new StepLR(0)),
        ["StepLR gamma NaN"] = ("gamma", () => new StepLR(3, double.NaN)),
        ["StepLR gamma -1"] = ("gamma", () => new StepLR(3, -1)),
        ["StepLR gamma ∞"] = ("gamma", () => new StepLR(3, double.PositiveInfinity)),
        ["MultiStepLR null"] = ("milestones", () => new MultiStepLR(null!)),
        ["MultiStepLR [0]"] = ("milestones", () => new MultiStepLR([0])),
        ["MultiStepLR [3, 2]"] = ("milestones", () => new MultiStepLR([3, 2])),
        ["MultiStepLR gamma NaN"] = ("gamma", () => new MultiStepLR([3], double.NaN)),
        ["ExponentialLR gamma NaN"] = ("gamma", () => new ExponentialLR(double.NaN)),
        ["ExponentialLR gamma -0.5"] = ("gamma", () => new ExponentialLR(-0.5)),
        ["ExponentialLR gamma ∞"] = ("gamma", () => new ExponentialLR(double.PositiveInfinity)),
        ["CosineAnnealingLR tMax 0"] = ("tMax", () => new CosineAnnealingLR(0)),
        ["CosineAnnealingLR etaMin NaN"] = ("etaMin", () => new CosineAnnealingLR(10, double.NaN)),
        ["CosineAnnealingLR etaMin -1"] = ("etaMin", () => new CosineAnnealingLR(10, -1)),
        ["CosineAnnealingLR etaMin ∞"] = ("etaMin", () => new CosineAnnealingLR(10, double.PositiveInfinity)),
        ["CosineAnnealingWarmRestarts t0 0"] = ("t0", () => new CosineAnnealingWarmRestarts(0)),
        ["CosineAnnealingWarmRestarts tMult 0"] = ("tMult", () => new CosineAnnealingWarmRestarts(3, 0)),
        ["CosineAnnealingWarmRestarts tMult -2"] = ("tMult", () => new CosineAnnealingWarmRestarts(3, -2)),
        ["CosineAnnealingWarmRestarts etaMin NaN"] = ("etaMin", () => new CosineAnnealingWarmRestarts(3, 2, double.NaN)),
        ["LinearLR startFactor 0"] = ("startFactor", () => new LinearLR(0)),
        ["LinearLR startFactor NaN"] = ("startFactor", () => new LinearLR(double.NaN)),
        ["LinearLR startFactor 1.5"] = ("startFactor", () => new LinearLR(1.5)),
        ["LinearLR endFactor -0.1"] = ("endFactor", () => new LinearLR(0.5, -0.1)),
        ["LinearLR endFactor NaN"] = ("endFactor", () => new LinearLR(0.5, double.NaN)),
        ["LinearLR totalIters 0"] = ("totalIters", () => new LinearLR(0.5, 1, 0)),
        ["ConstantLR factor NaN"] = ("factor", () => new ConstantLR(double.NaN)),
        ["ConstantLR factor -0.1"] = ("factor", () => new ConstantLR(-0.1)),
        ["ConstantLR factor 1.1"] = ("factor", () => new ConstantLR(1.1)),
        ["ConstantLR totalIters -1"] = ("totalIters", () => new ConstantLR(0.5, -1)),
        ["PolynomialLR totalIters 0"] = ("totalIters", () => new PolynomialLR(0)),
        ["PolynomialLR power NaN"] = ("power", () => new PolynomialLR(5, double.NaN)),
        ["PolynomialLR power -1"] = ("power", () => new PolynomialLR(5, -1)),
        ["PolynomialLR power ∞"] = ("power", () => new PolynomialLR(5, double.PositiveInfinity)),
        ["OneCycleLR maxLr 0"] = ("maxLr", () => new OneCycleLR(0, 10)),
        ["OneCycleLR maxLr NaN"] = ("maxLr", () => new OneCycleLR(double.NaN, 10)),
        ["OneCycleLR maxLr ∞"] = ("maxLr", () => new OneCycleLR(double.PositiveInfinity, 10)),
        ["OneCycleLR totalSteps 0"] = ("totalSteps", () => new OneCycleLR(0.1, 0)),
        ["OneCycleLR pctStart 0"] = ("pctStart", () => new OneCycleLR(0.1, 10, 0)),
        ["OneCycleLR pctStart NaN"] = ("pctStart", () => new OneCycleLR(0.1, 10, double.NaN)),
        ["OneCycleLR pctStart 1.5"] = ("pctStart", () => new OneCycleLR(0.1, 10, 1.5)),
        ["OneCycleLR pctStart·totalSteps 1"] = ("pctStart", () => new OneCycleLR(0.1, 10, 0.1)),
        ["OneCycleLR divFactor 0"] = ("divFactor", () => new OneCycleLR(0.1, 10, divFactor: 0)),
        ["OneCycleLR divFactor NaN"] = ("divFactor", () => new OneCycleLR(0.1, 10, divFactor: double.NaN)),
        ["OneCycleLR divFactor ∞"] = ("divFactor", () => new OneCycleLR(0.1, 10, divFactor: double.PositiveInfinity)),
        ["OneCycleLR finalDivFactor -1"] = ("finalDivFactor", () => new OneCycleLR(0.1, 10, finalDivFactor: -1)),
        ["OneCycleLR finalDivFactor NaN"] = ("finalDivFactor", () => new OneCycleLR(0.1, 10, finalDivFactor: double.NaN)),
        ["CyclicLR baseLr NaN"] = ("baseLr", () => new CyclicLR(double.NaN, 0.1)),
        ["CyclicLR baseLr -1"] = ("baseLr", () => new CyclicLR(-1, 0.1)),
        ["CyclicLR baseLr ∞"] = ("baseLr", () => new CyclicLR(double.PositiveInfinity, 0.1)),
        ["CyclicLR maxLr NaN"] = ("maxLr", () => new CyclicLR(0.01, double.NaN)),
        ["CyclicLR maxLr below baseLr"] = ("maxLr", () => new CyclicLR(0.1, 0.01)),
        ["CyclicLR maxLr ∞"] = ("maxLr", () => new CyclicLR(0.01, double.PositiveInfinity)),
        ["CyclicLR stepSizeUp 0"] = ("stepSizeUp", () => new CyclicLR(0.01, 0.1, 0)),
        ["CyclicLR stepSizeDown 0"] = ("stepSizeDown", () => new CyclicLR(0.01, 0.1, 4, 0)),
        ["CyclicLR mode 7"] = ("mode", () => new CyclicLR(0.01, 0.1, mode: (LrFormulas.CyclicMode)7)),
        ["CyclicLR mode -1"] = ("mode", () => new CyclicLR(0.01, 0.1, mode: (LrFormulas.CyclicMode)(-1))),
        ["CyclicLR gamma 0"] = ("gamma", () => new CyclicLR(0.01, 0.1, gamma: 0)),
        ["CyclicLR gamma 1.5"] = ("gamma", () => new CyclicLR(0.01, 0.1, gamma: 1.5)),
        ["CyclicLR gamma NaN"] = ("gamma", () => new CyclicLR(0.01, 0.1, gamma: double.NaN)),
        ["LambdaLR null"] = ("factor", () => new LambdaLR(null!)),
        ["SequentialLR schedules null"] = ("schedules", () => new SequentialLR(null!, [])),
        ["SequentialLR schedules empty"] = ("schedules", () => new SequentialLR([], [])),
        ["SequentialLR schedules [null]"] = ("schedules", () => new SequentialLR([null!], [])),
        ["SequentialLR milestones null"] = ("milestones", () => new SequentialLR([new StepLR(3)], null!)),
        ["SequentialLR milestones count"] = ("milestones", () => new SequentialLR([new StepLR(3)], [4])),
        ["SequentialLR milestones order"] = ("milestones", () => new SequentialLR([new StepLR(3), new StepLR(3), new StepLR(3)], [5, 5])),
        ["Scheduler model null"] = ("model", () => new Scheduler(null!, new StepLR(3))),
        ["Scheduler schedule null"] = ("schedule", () => new Scheduler(new Unscheduled(), null!)),
        ["Scheduler model with [LrSchedule]"] = ("model", () => new Scheduler(new CosineAnnealingLrModel(), new StepLR(3))),
        ["ReduceLROnPlateau model null"] = ("model", () => new ReduceLROnPlateau(null!)),
        ["ReduceLROnPlateau model with [LrSchedule]"] = ("model", () => new ReduceLROnPlateau(new CosineAnnealingLrModel())),
        ["ReduceLROnPlateau factor NaN"] = ("factor", () => new ReduceLROnPlateau(new Unscheduled(), factor: double.NaN)),
        ["ReduceLROnPlateau factor 0"] = ("factor", () => new ReduceLROnPlateau(new Unscheduled(), factor: 0)),
        ["ReduceLROnPlateau factor 1"] = ("factor", () => new ReduceLROnPlateau(new Unscheduled(), factor: 1)),
        ["ReduceLROnPlateau patience -1"] = ("patience", () => new ReduceLROnPlateau(new Unscheduled(), patience: -1)),
        ["ReduceLROnPlateau cooldown -1"] = ("cooldown", () => new ReduceLROnPlateau(new Unscheduled(), cooldown: -1)),
        ["ReduceLROnPlateau threshold NaN"] = ("threshold", () => new ReduceLROnPlateau(new Unscheduled(), threshold: double.NaN)),
        ["ReduceLROnPlateau threshold -1"] = ("threshold", () => new ReduceLROnPlateau(new Unscheduled(), threshold: -1)),
        ["ReduceLROnPlateau threshold ∞"] = ("threshold", () => new ReduceLROnPlateau(new Unscheduled(), threshold: double.PositiveInfinity)),
        ["ReduceLROnPlateau minLr -1"] = ("minLr", () => new ReduceLROnPlateau(new Unscheduled(), minLr: -1)),
        ["ReduceLROnPlateau minLr NaN"] = ("minLr", () => new ReduceLROnPlateau(new Unscheduled(), minLr: double.NaN)),
        ["ReduceLROnPlateau minLr ∞"] = ("minLr", () => new ReduceLROnPlateau(new Unscheduled(), minLr: double.PositiveInfinity)),
        ["ReduceLROnPlateau eps NaN"] = ("eps", () => new ReduceLROnPlateau(new Unscheduled(), eps: double.NaN)),
        ["ReduceLROnPlateau eps -1"] = ("eps", () => new ReduceLROnPlateau(new Unscheduled(), eps: -1)),
        ["ReduceLROnPlateau eps ∞"] = ("eps", () => new ReduceLROnPlateau(new Unscheduled(), eps: double.PositiveInfinity)),
    };

    public static TheoryData<string> InvalidArgumentCases => new(InvalidArguments.Keys);

    [Theory]
    [MemberData(nameof(InvalidArgumentCases))]
    public void Invalid_runtime_argument_throws_naming_it(string name)
    {
        (string param, Func<object> create) = InvalidArguments[name];
        var error = Assert.ThrowsAny<ArgumentException>(create);
        Assert.Equal(param, error.ParamName);
        if (name.StartsWith("CyclicLR mode", StringComparison.Ordinal))
        {
            Assert.IsType<ArgumentOutOfRangeException>(error);
        }
    }

    [Fact]
    public void Boundary_values_are_accepted()
    {
        // The edges of each range stay valid: a rejected edge would be a regression of the other kind.
        var model = new Unscheduled();
        _ = new StepLR(1, 0);
        _ = new ExponentialLR(0);
        _ = new ExponentialLR(2); // allowed (an LR range test grows the rate); overflow is caught at its step
        _ = new CosineAnnealingWarmRestarts(1, 1, 0);
        _ = new LinearLR(1, 0, 1);
        _ = new ConstantLR(0, 1);
        _ = new PolynomialLR(1, 0);
        _ = new OneCycleLR(0.1, 2, 1);
        _ = new CyclicLR(0, 0, 1, 1, LrFormulas.CyclicMode.ExpRange, 1);
        _ = new ReduceLROnPlateau(model, factor: 0.5, patience: 0, threshold: 0, cooldown: 0, minLr: 0, eps: 0);
        _ = new Scheduler(model, new SequentialLR([new StepLR(3)], []));
        Assert.Equal(0.1, model.LearningRate);
    }
}
