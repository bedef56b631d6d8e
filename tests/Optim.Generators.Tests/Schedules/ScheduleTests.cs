using System;
using System.Collections.Generic;
using System.Linq;
using Optim;
using Optim.Schedules;
using Xunit;

namespace Optim.Generators.Tests.Schedules;

/// <summary>
/// Learning-rate schedules reproduce tests/reference/schedulers.json both ways: as runtime Scheduler objects
/// driving a model, and compiled into Step() by [LrSchedule]. Schedules the file lacks are checked against
/// PyTorch's step-by-step (recursive) definitions written out here.
/// </summary>
public sealed class ScheduleTests
{
    private const double Tolerance = 1e-12;

    public static TheoryData<string> Cases => new(ScheduleCase.All.Select(c => c.Name));

    [Fact]
    public void The_reference_file_has_the_expected_cases()
    {
        Assert.Equal(
            new[] { "constantlr", "cosineannealinglr", "exponentiallr", "linearlr", "multisteplr", "onecyclelr", "polynomiallr", "steplr" },
            ScheduleCase.All.Select(c => c.Name).Order().ToArray());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Runtime_scheduler_matches_reference(string name)
    {
        ScheduleCase c = ScheduleCase.Named(name);
        var model = new Unscheduled { LearningRate = c.Lr };
        var scheduler = new Scheduler(model, RuntimeSchedule(c));

        AssertTrajectory(c.Lrs, model, scheduler.Step);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Compiled_schedule_matches_reference_and_is_the_rate_step_uses(string name)
    {
        ScheduleCase c = ScheduleCase.Named(name);
        IOptimizable<double> model = name switch
        {
            "steplr" => new StepLrModel(),
            "multisteplr" => new MultiStepLrModel(),
            "exponentiallr" => new ExponentialLrModel(),
            "cosineannealinglr" => new CosineAnnealingLrModel(),
            "linearlr" => new LinearLrModel(),
            "constantlr" => new ConstantLrModel(),
            "polynomiallr" => new PolynomialLrModel(),
            "onecyclelr" => new OneCycleLrModel(),
            _ => throw new ArgumentException(name),
        };

        AssertTrajectory(c.Lrs, model, advance: () => { });
    }

    [Fact]
    public void Compiled_schedule_cannot_be_overridden_at_run_time()
    {
        var model = new CosineAnnealingLrModel();
        var error = Assert.Throws<InvalidOperationException>(() => model.LearningRate = 0.5);
        Assert.Contains("[LrSchedule]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compiled_warmup_then_cosine_equals_runtime_SequentialLR()
    {
        var runtime = new SequentialLR([new LinearLR(0.2, 1.0, 5), new CosineAnnealingLR(40)], [5]);
        var expected = Enumerable.Range(0, 60).Select(k => runtime.LrAt(0.1, k)).ToArray();

        AssertTrajectory(expected, new WarmupCosineModel(), advance: () => { });
        Assert.Equal(0.02, expected[0], 15);
        Assert.Equal(0.1, expected[5], 15);
    }

    [Fact]
    public void Warm_restarts_follow_PyTorch_step_recursion_both_ways()
    {
        // torch: T_cur += 1; if T_cur >= T_i: T_cur -= T_i; T_i *= T_mult; lr = η_min + (γ0 − η_min)(1 + cos(π T_cur / T_i)) / 2
        var expected = new List<double>();
        double tCur = 0, tI = 3;
        for (int k = 0; k < 40; k++)
        {
            expected.Add(0.01 + ((0.1 - 0.01) * (1 + Math.Cos(Math.PI * tCur / tI)) / 2));
            tCur++;
            if (tCur >= tI)
            {
                tCur -= tI;
                tI *= 2;
            }
        }

        AssertTrajectory(expected.ToArray(), new WarmRestartsModel(), advance: () => { });
        var model = new Unscheduled();
        AssertTrajectory(expected.ToArray(), model, new Scheduler(model, new CosineAnnealingWarmRestarts(3, 2, 0.01)).Step);
    }

    [Fact]
    public void Cyclic_triangular2_rises_and_falls_between_bounds_halving_each_cycle()
    {
        // Up 4 steps, down 6: step 0 at BaseLr, step 4 at MaxLr, step 10 back at BaseLr, cycle 2 peaks at half the height.
        var expected = new double[25];
        for (int k = 0; k < expected.Length; k++)
        {
            int cycle = k / 10, x = k % 10;
            double height = (0.1 - 0.01) / Math.Pow(2, cycle);
            expected[k] = 0.01 + (height * (x <= 4 ? x / 4.0 : (10 - x) / 6.0));
        }

        AssertTrajectory(expected, new CyclicLrModel(), advance: () => { });
        var model = new Unscheduled();
        AssertTrajectory(expected, model, new Scheduler(model, new CyclicLR(0.01, 0.1, 4, 6, LrFormulas.CyclicMode.Triangular2)).Step);
    }

    [Fact]
    public void Lambda_schedule_multiplies_the_initial_rate()
    {
        var model = new Unscheduled { LearningRate = 0.5 };
        var scheduler = new Scheduler(model, new LambdaLR(epoch => 1.0 / (epoch + 1)));
        AssertTrajectory(Enumerable.Range(0, 10).Select(k => 0.5 / (k + 1)).ToArray(), model, scheduler.Step);
    }

    [Fact]
    public void ReduceLROnPlateau_reduces_after_patience_and_respects_cooldown_and_minimum()
    {
        var model = new Unscheduled { LearningRate = 1.0 };
        var plateau = new ReduceLROnPlateau(model, factor: 0.5, patience: 2, cooldown: 1, minLr: 0.2);

        double[] losses = { 10, 9, 9, 9, 9, 9, 9, 9, 8, 8, 8, 8, 8, 8, 8 };
        var lrs = new List<double>();
        foreach (double loss in losses)
        {
            plateau.Step(loss);
            lrs.Add(model.LearningRate);
        }

        // PyTorch's rule: bad steps 3, 4, 5 (more than patience 2) halve the rate at step 5; the cooldown step after
        // it does not count; 8 is a new best at step 9, then steps 10, 11, 12 are bad and halve again; later the floor.
        Assert.Equal(new[] { 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25 }, lrs);
        for (int i = 0; i < 10; i++)
        {
            plateau.Step(8);
        }

        Assert.Equal(0.2, model.LearningRate);
    }

    [Fact]
    public void Invalid_runtime_arguments_throw_naming_the_argument()
    {
        Assert.Equal("stepSize", Assert.Throws<ArgumentOutOfRangeException>(() => new StepLR(0)).ParamName);
        Assert.Equal("tMax", Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealingLR(-5)).ParamName);
        Assert.Equal("startFactor", Assert.Throws<ArgumentOutOfRangeException>(() => new LinearLR(0, 1, 5)).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialLR(double.NaN)).ParamName);
        Assert.Equal("milestones", Assert.Throws<ArgumentException>(() => new MultiStepLR([5, 5])).ParamName);
        Assert.Equal("maxLr", Assert.Throws<ArgumentOutOfRangeException>(() => new CyclicLR(0.1, 0.01)).ParamName);
        Assert.Equal("factor", Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(new Unscheduled(), factor: 1.5)).ParamName);
        Assert.Throws<ArgumentException>(() => new SequentialLR([new StepLR(3)], [4]));
    }

    [Fact]
    public void Scheduler_steps_allocate_nothing()
    {
        var model = new Unscheduled();
        var scheduler = new Scheduler(model, new SequentialLR([new LinearLR(0.1, 1, 10), new CosineAnnealingLR(1000)], [10]));
        for (int i = 0; i < 1000; i++)
        {
            scheduler.Step();
        }

        // A collection in between must not matter: nothing on the path may rebuild a cache it dropped (Type.Name did).
        Assert.Equal(0, Runtime.Allocations.OnThisThread(() =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                model.Step();
                scheduler.Step();
                if (i % 2_500 == 0)
                {
                    GC.Collect();
                }
            }
        }));
    }

    private static LrSchedule RuntimeSchedule(ScheduleCase c) => c.Scheduler switch
    {
        "StepLR" => new StepLR(c.Int("step_size"), c.Number("gamma")),
        "MultiStepLR" => new MultiStepLR(c.Hyperparameters["milestones"].EnumerateArray().Select(e => e.GetInt32()).ToArray(), c.Number("gamma")),
        "ExponentialLR" => new ExponentialLR(c.Number("gamma")),
        "CosineAnnealingLR" => new CosineAnnealingLR(c.Int("T_max"), c.Number("eta_min")),
        "LinearLR" => new LinearLR(c.Number("start_factor"), c.Number("end_factor"), c.Int("total_iters")),
        "ConstantLR" => new ConstantLR(c.Number("factor"), c.Int("total_iters")),
        "PolynomialLR" => new PolynomialLR(c.Int("total_iters"), c.Number("power")),
        "OneCycleLR" => new OneCycleLR(c.Number("max_lr"), c.Int("total_steps"), c.Number("pct_start"), c.Hyperparameters["anneal_strategy"].GetString() == "cos", c.Number("div_factor"), c.Number("final_div_factor")),
        _ => throw new ArgumentException("no runtime schedule for " + c.Scheduler),
    };

    /// <summary>
    /// Before each step the model's rate must be expected[k]; the step must then move the parameter by exactly
    /// −rate·g (SGD, g = 1), proving Step() used that rate; <paramref name="advance"/> runs after each step.
    /// </summary>
    private static void AssertTrajectory(double[] expected, IOptimizable<double> model, Action advance)
    {
        for (int k = 0; k < expected.Length; k++)
        {
            double lr = model.LearningRate;
            Assert.True(Math.Abs(lr - expected[k]) <= Tolerance * Math.Abs(expected[k]), $"step {k + 1}: rate {lr:R}, expected {expected[k]:R}");
            model.Parameters[0] = 0;
            model.Gradients[0] = 1;
            model.Step();
            Assert.Equal(-lr, model.Parameters[0]);
            advance();
        }
    }
}
