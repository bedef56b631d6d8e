using System;
using System.Linq;

namespace Optim.Schedules;

/// <summary>
/// A learning-rate schedule: the learning rate for optimizer step <c>epoch + 1</c> given the optimizer's initial
/// learning rate, as a pure function (PyTorch's closed forms). Drive a model with one through <see cref="Scheduler"/>.
/// </summary>
public abstract class LrSchedule
{
    /// <summary>The learning rate in force for optimizer step <paramref name="epoch"/> + 1.</summary>
    /// <param name="baseLr">The optimizer's learning rate when the scheduler was created.</param>
    /// <param name="epoch">Scheduler steps taken so far (PyTorch's <c>last_epoch</c>), 0 or more.</param>
    public abstract double LrAt(double baseLr, long epoch);

    private protected static int Positive(int value, string name) =>
        value > 0 ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be 1 or greater.");

    private protected static double Finite(double value, string name, double min, double max, bool minExclusive = false) =>
        double.IsFinite(value) && (minExclusive ? value > min : value >= min) && value <= max
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number in {(minExclusive ? "(" : "[")}{min}, {max}].");
}

/// <summary>PyTorch's StepLR: multiplies the learning rate by <c>gamma</c> every <c>stepSize</c> steps.</summary>
public sealed class StepLR(int stepSize, double gamma = 0.1) : LrSchedule
{
    private readonly int _stepSize = Positive(stepSize, nameof(stepSize));
    private readonly double _gamma = Finite(gamma, nameof(gamma), 0, double.MaxValue);

    /// <inheritdoc />
    public override double LrAt(double baseLr, long epoch) => LrFormulas.StepLR(baseLr, _stepSize, _gamma, epoch);
}

/// <summary>PyTorch's MultiStepLR: multiplies the learning rate by <c>gamma</c> at each milestone.</summary>
public sealed class MultiStepLR : LrSchedule
{
    private readonly int[] _milestones;
    private readonly double _gamma;

    /// <param name="milestones">Steps at which to decay, strictly increasing, each 1 or greater.</param>
    /// <param name="gamma">Decay factor.</param>
    public MultiStepLR(int[] milestones, double gamma = 0.1)
    {
        ArgumentNullException.ThrowIfNull(milestones);
        for (int i = 0; i < milestones.Length; i++)
        {
            if (milestones[i] < 1 || (i > 0 && milestones[i] <= milestones[i - 1]))
            {
                throw new ArgumentException("milestones must be strictly increasing positive step counts.", nameof(milestones));
            }
        }

        _milestones = milestones.ToArray();
        _gamma = Finite(gamma, nameof(gamma), 0, double.MaxValue);
    }

    /// <inheritdoc />
    public override double LrAt(double baseLr, long epoch) => LrFormulas.MultiStepLR(baseLr, _milestones, _gamma, epoch);
}

/// <summary>PyTorch's ExponentialLR: multiplies the learning rate by <c>gamma</c> every step.</summary>
public sealed class ExponentialLR(double gamma) : LrSchedule
{
    private readonly double _gamma = Finite(gamma, nameof(gamma), 0, double.MaxValue);

    /// <inheritdoc />
    public override double LrAt(double baseLr, long epoch) => LrFormulas.ExponentialLR(baseLr, _gamma, epoch);
}

/// <summary>PyTorch's CosineAnnealingLR: half a cosine from the initial rate to <c>etaMin</c> over <c>tMax</c> steps (then back up).</summary>
public sealed class CosineAnnealingLR(int tMax, double etaMin = 0) : LrSchedule
{
    private readonly int _tMax = Positive(tMax, nameof(tMax));
    private readonly double _etaMin = Finite(etaMin, nameof(etaMin), 0, double.MaxValue);

    /// <inheritdoc />
    public override double LrAt(double baseLr, long epoch) => LrFormulas.CosineAnnealingLR(baseLr, _tMax, _etaMin, epoch);
}

/// <summary>PyTorch's CosineAnnealingWarmRestarts (SGDR): cosine annealing restarted after <c>t0</c>, <c>t0·tMult</c>, ... steps.</summary>
public sealed class CosineAnnealingWarmRestarts(int t0, int tMult = 1, double etaMin = 0) : LrSchedule
{
    private readonly int _t0 = Positive(t0, nameof(t0));
    private readonly int _tMult = Positive(tMult, nameof(tMult));
    private readonly double _etaMin = Finite(etaMin, nameof(etaMin), 0, double.MaxValue);

    /// <inheritdoc />
    public override double LrAt(double baseLr, long epoch) => LrFormulas.CosineAnnealingWarmRestarts(baseLr, _t0, _tMult, _etaMin, epoch);
}

/// <summary>PyTorch's LinearLR: scales the rate by a factor moving linearly from <c>startFactor</c> to <c>endFactor</c> (a warm-up).</summary>
public sealed class LinearLR(double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5) : LrSchedule
{
    private readonly double _start = Finite(startFactor, nameof(startFactor), 0, 1, minExclusive: true);
    private readonly double _end = Finite(endFactor, nameof(endFactor), 0, 1);
    private readonly int _total = Positive(totalIters, nameof(totalIters));

    /// <inheritdoc />
    public override double LrAt(double baseLr, long epoch) => LrFormulas.LinearLR(baseLr, _start, _end, _total, epoch);
}

/// <summary>PyTorch's ConstantLR: scales the rate by <c>factor</c> for the first <c>totalIters</c> steps.</summary>
public sealed class ConstantLR(double factor = 1.0 / 3, int totalIters = 5) : LrSchedule
{
    private readonly double _factor = Finite(factor, nameof(factor), 0, 1);
    private readonly int _total = Positive(totalIters, nameof(totalIters));

    /// <inheritdoc />
    public override double LrAt(double baseLr, long epoch) => LrFormulas.ConstantLR(baseLr, _factor, _total, epoch);
}

/// <summary>PyTorch's PolynomialLR: decays the rate to 0 over <c>totalIters</c> steps as a polynomial of degree <c>power</c>.</summary>
public sealed class PolynomialLR(int totalIters = 5, double power = 1) : LrSchedule
{
    private readonly int _total = Positive(totalIters, nameof(totalIters));
    private readonly double _power = Finite(power, nameof(power), 0, double.MaxValue);

    /// <inheritdoc />
    public override double LrAt(double baseLr, long epoch) => LrFormulas.PolynomialLR(baseLr, _total, _power, epoch);
}

/// <summary>PyTorch's OneCycleLR (two phases, no momentum cycling): ignores the optimizer's initial rate.</summary>
/// <remarks>
/// The warm-up phase ends at step <c>pctStart·totalSteps − 1</c>: <c>pctStart·totalSteps = 1</c> would make it zero
/// steps long (a division by zero; PyTorch raises), so it is rejected, naming <c>pctStart</c>.
/// </remarks>
public sealed class OneCycleLR : LrSchedule
{
    private readonly double _maxLr, _pct, _div, _finalDiv;
    private readonly int _total;
    private readonly bool _cosine;

    /// <param name="maxLr">The peak rate.</param>
    /// <param name="totalSteps">Steps in the cycle.</param>
    /// <param name="pctStart">Fraction of the cycle spent rising, in (0, 1]; <c>pctStart·totalSteps</c> must not be 1.</param>
    /// <param name="cosine">True: cosine annealing; false: linear.</param>
    /// <param name="divFactor">The cycle starts at <c>maxLr / divFactor</c>.</param>
    /// <param name="finalDivFactor">The cycle ends at <c>maxLr / divFactor / finalDivFactor</c>.</param>
    public OneCycleLR(double maxLr, int totalSteps, double pctStart = 0.3, bool cosine = true, double divFactor = 25, double finalDivFactor = 1e4)
    {
        _maxLr = Finite(maxLr, nameof(maxLr), 0, double.MaxValue, minExclusive: true);
        _total = Positive(totalSteps, nameof(totalSteps));
        _pct = Finite(pctStart, nameof(pctStart), 0, 1, minExclusive: true);
        if (!LrFormulas.OneCycleWarmupHasLength(pctStart, totalSteps))
        {
            throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, $"pctStart·totalSteps must not be 1 (pctStart = {pctStart}, totalSteps = {totalSteps}): the warm-up phase would be zero steps long.");
        }

        _cosine = cosine;
        _div = Finite(divFactor, nameof(divFactor), 0, double.MaxValue, minExclusive: true);
        _finalDiv = Finite(finalDivFactor, nameof(finalDivFactor), 0, double.MaxValue, minExclusive: true);
    }

    /// <inheritdoc />
    public override double LrAt(double baseLr, long epoch) =>
        LrFormulas.OneCycleLR(_maxLr, _total, _pct, _cosine, _div, _finalDiv, epoch);
}

/// <summary>PyTorch's CyclicLR: triangular cycles between <c>baseLr</c> and <c>maxLr</c>; ignores the optimizer's initial rate.</summary>
public sealed class CyclicLR : LrSchedule
{
    private readonly double _baseLr, _maxLr, _gamma;
    private readonly int _up, _down;
    private readonly LrFormulas.CyclicMode _mode;

    /// <param name="baseLr">Lower bound of each cycle.</param>
    /// <param name="maxLr">Upper bound of each cycle.</param>
    /// <param name="stepSizeUp">Steps in the rising half.</param>
    /// <param name="stepSizeDown">Steps in the falling half (default: <paramref name="stepSizeUp"/>).</param>
    /// <param name="mode">Amplitude policy.</param>
    /// <param name="gamma">Per-step amplitude factor for <see cref="LrFormulas.CyclicMode.ExpRange"/>.</param>
    public CyclicLR(double baseLr, double maxLr, int stepSizeUp = 2000, int? stepSizeDown = null, LrFormulas.CyclicMode mode = LrFormulas.CyclicMode.Triangular, double gamma = 1)
    {
        _baseLr = Finite(baseLr, nameof(baseLr), 0, double.MaxValue);
        _maxLr = Finite(maxLr, nameof(maxLr), _baseLr, double.MaxValue);
        _up = Positive(stepSizeUp, nameof(stepSizeUp));
        _down = Positive(stepSizeDown ?? stepSizeUp, nameof(stepSizeDown));
        _mode = Enum.IsDefined(mode) ? mode : throw new ArgumentOutOfRangeException(nameof(mode), mode, "mode must be a member of CyclicMode.");
        _gamma = Finite(gamma, nameof(gamma), 0, 1, minExclusive: true);
    }

    /// <inheritdoc />
    public override double LrAt(double baseLr, long epoch) => LrFormulas.CyclicLR(_baseLr, _maxLr, _up, _down, _mode, _gamma, epoch);
}

/// <summary>PyTorch's LambdaLR: the initial rate times a user function of the step count.</summary>
public sealed class LambdaLR(Func<long, double> factor) : LrSchedule
{
    private readonly Func<long, double> _factor = factor ?? throw new ArgumentNullException(nameof(factor));

    /// <inheritdoc />
    public override double LrAt(double baseLr, long epoch) => baseLr * _factor(epoch);
}

/// <summary>
/// PyTorch's SequentialLR: runs <c>schedules[0]</c> until <c>milestones[0]</c>, then <c>schedules[1]</c> from its
/// own step 0, and so on, each from the same initial rate. A warm-up then decay is
/// <c>new SequentialLR([new LinearLR(0.1, 1, 10), new CosineAnnealingLR(90)], [10])</c>.
/// </summary>
public sealed class SequentialLR : LrSchedule
{
    private readonly LrSchedule[] _schedules;
    private readonly int[] _milestones;

    /// <param name="schedules">The phases, in order.</param>
    /// <param name="milestones">Steps at which the next phase starts: one fewer than the phases, strictly increasing.</param>
    public SequentialLR(LrSchedule[] schedules, int[] milestones)
    {
        ArgumentNullException.ThrowIfNull(schedules);
        ArgumentNullException.ThrowIfNull(milestones);
        if (schedules.Length == 0 || schedules.Any(s => s is null))
        {
            throw new ArgumentException("SequentialLR needs at least one schedule, and no null one.", nameof(schedules));
        }

        if (milestones.Length != schedules.Length - 1)
        {
            throw new ArgumentException("SequentialLR needs exactly one milestone fewer than schedules.", nameof(milestones));
        }

        _ = new MultiStepLR(milestones); // validates the milestones
        _schedules = schedules.ToArray();
        _milestones = milestones.ToArray();
    }

    /// <inheritdoc />
    public override double LrAt(double baseLr, long epoch)
    {
        int phase = 0;
        while (phase < _milestones.Length && _milestones[phase] <= epoch)
        {
            phase++;
        }

        return _schedules[phase].LrAt(baseLr, phase == 0 ? epoch : epoch - _milestones[phase - 1]);
    }
}
