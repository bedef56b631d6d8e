using System;

namespace Optim.Schedules;

/// <summary>
/// Drives any model's learning rate with a schedule, PyTorch-style: create it after the model (it sets the rate
/// for the first step), call <see cref="Step"/> once after every optimizer step. Allocation-free.
/// </summary>
public sealed class Scheduler
{
    private readonly IOptimizable _model;
    private readonly LrSchedule _schedule;

    /// <summary>
    /// The schedule's type name, for the non-finite-rate message: kept, because Type.Name allocates again whenever a
    /// collection has dropped the runtime's cache of it, and Step() must not allocate.
    /// </summary>
    private readonly string _scheduleName;

    /// <summary>Starts <paramref name="schedule"/> from the model's current learning rate.</summary>
    /// <exception cref="ArgumentException">
    /// <paramref name="model"/>'s learning rate cannot be set (it follows a compile-time [LrSchedule]).
    /// </exception>
    /// <exception cref="InvalidOperationException">The schedule's first rate is infinite or NaN.</exception>
    public Scheduler(IOptimizable model, LrSchedule schedule)
    {
        _model = RateSettable(model);
        _schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        _scheduleName = schedule.GetType().Name;
        BaseLr = model.LearningRate;
        Apply(0);
    }

    /// <summary>The model's learning rate when the scheduler was created (PyTorch's <c>initial_lr</c>).</summary>
    public double BaseLr { get; }

    /// <summary>Scheduler steps taken (PyTorch's <c>last_epoch</c>).</summary>
    public long LastEpoch { get; private set; }

    /// <summary>The learning rate the next optimizer step uses.</summary>
    public double LearningRate => _model.LearningRate;

    /// <summary>Advances the schedule by one step and sets the model's learning rate.</summary>
    /// <exception cref="InvalidOperationException">
    /// The schedule gives an infinite or NaN rate for the next step (e.g. ExponentialLR with γ &gt; 1 after enough
    /// steps); the scheduler and the model are left as they were.
    /// </exception>
    public void Step()
    {
        Apply(LastEpoch + 1);
        LastEpoch++;
    }

    private void Apply(long epoch)
    {
        // Rounding may leave a cosine a hair below zero. A non-finite rate is never handed to the model: the
        // compiled form (a model with [LrSchedule]) throws the same exception from Step().
        _model.LearningRate = LrFormulas.EnsureFinite(Math.Max(_schedule.LrAt(BaseLr, epoch), 0), _scheduleName, epoch);
    }

    /// <summary>
    /// The model, if its learning rate can be set: a model with a compile-time [LrSchedule] is rejected here rather
    /// than on the first step that would set it.
    /// </summary>
    internal static IOptimizable RateSettable(IOptimizable model, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(model))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(model, name);
        try
        {
            model.LearningRate = model.LearningRate;
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException($"{model.GetType().Name}'s learning rate cannot be set ({e.Message}); a scheduler needs a model without [LrSchedule].", name, e);
        }

        return model;
    }
}

/// <summary>
/// PyTorch's ReduceLROnPlateau: multiplies the learning rate by <c>factor</c> when a metric has stopped improving
/// for <c>patience</c> steps. Call <see cref="Step(double)"/> with the metric (e.g. a validation loss).
/// </summary>
public sealed class ReduceLROnPlateau
{
    private readonly IOptimizable _model;
    private readonly bool _maximize;
    private readonly double _factor, _threshold, _minLr, _eps;
    private readonly bool _relative;
    private readonly int _patience, _cooldown;
    private double _best;
    private int _badEpochs, _cooldownLeft;

    /// <param name="model">The model whose learning rate to reduce.</param>
    /// <param name="maximize">False: the metric should go down (PyTorch mode 'min'); true: up ('max').</param>
    /// <param name="factor">Reduction factor, in (0, 1).</param>
    /// <param name="patience">Steps without improvement tolerated before reducing.</param>
    /// <param name="threshold">Minimum change counted as an improvement (finite, 0 or greater).</param>
    /// <param name="relativeThreshold">True: threshold is relative (PyTorch 'rel'); false: absolute ('abs').</param>
    /// <param name="cooldown">Steps to wait after a reduction before counting again.</param>
    /// <param name="minLr">Lower bound of the learning rate (finite, 0 or greater).</param>
    /// <param name="eps">Reductions smaller than this are skipped (finite, 0 or greater).</param>
    /// <exception cref="ArgumentException">
    /// An argument is out of range (the exception names it), or <paramref name="model"/>'s learning rate cannot be set
    /// (it follows a compile-time [LrSchedule]).
    /// </exception>
    public ReduceLROnPlateau(IOptimizable model, bool maximize = false, double factor = 0.1, int patience = 10, double threshold = 1e-4, bool relativeThreshold = true, int cooldown = 0, double minLr = 0, double eps = 1e-8)
    {
        _model = Scheduler.RateSettable(model);
        if (!(factor > 0 && factor < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "factor must be in (0, 1).");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        ArgumentOutOfRangeException.ThrowIfNegative(cooldown);
        NonNegativeFinite(threshold, nameof(threshold));
        NonNegativeFinite(minLr, nameof(minLr));
        NonNegativeFinite(eps, nameof(eps));
        (_maximize, _factor, _patience, _threshold, _relative, _cooldown, _minLr, _eps) = (maximize, factor, patience, threshold, relativeThreshold, cooldown, minLr, eps);
        _best = maximize ? double.NegativeInfinity : double.PositiveInfinity;
    }

    /// <summary>The learning rate the next optimizer step uses.</summary>
    public double LearningRate => _model.LearningRate;

    /// <summary>Records this step's metric and reduces the learning rate if it has plateaued.</summary>
    public void Step(double metric)
    {
        if (IsBetter(metric))
        {
            _best = metric;
            _badEpochs = 0;
        }
        else
        {
            _badEpochs++;
        }

        if (_cooldownLeft > 0)
        {
            _cooldownLeft--;
            _badEpochs = 0;
        }

        if (_badEpochs > _patience)
        {
            double old = _model.LearningRate;
            double reduced = Math.Max(old * _factor, _minLr);
            if (old - reduced > _eps)
            {
                _model.LearningRate = reduced;
            }

            _cooldownLeft = _cooldown;
            _badEpochs = 0;
        }
    }

    private static void NonNegativeFinite(double value, string name)
    {
        if (!(value >= 0 && value <= double.MaxValue))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number, 0 or greater.");
        }
    }

    private bool IsBetter(double metric) => (_maximize, _relative) switch
    {
        (false, true) => metric < _best * (1 - _threshold),
        (false, false) => metric < _best - _threshold,
        (true, true) => metric > _best * (1 + _threshold),
        _ => metric > _best + _threshold,
    };
}
