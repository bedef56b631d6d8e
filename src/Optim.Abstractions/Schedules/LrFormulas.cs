using System;

namespace Optim.Schedules;

/// <summary>
/// PyTorch's learning-rate schedules in closed form: the learning rate in force for optimizer step
/// <c>epoch + 1</c>, where <c>epoch</c> counts the scheduler steps taken (PyTorch's <c>last_epoch</c>).
/// The runtime schedulers call these, and so does the <c>Step()</c> the generator writes for a model with a
/// <see cref="LrScheduleAttribute"/>, so both ways give the same numbers. Arguments are validated by the callers.
/// </summary>
public static class LrFormulas
{
    /// <summary>StepLR: <c>base·γ^⌊epoch / stepSize⌋</c>.</summary>
    public static double StepLR(double baseLr, int stepSize, double gamma, long epoch) =>
        baseLr * Math.Pow(gamma, epoch / stepSize);

    /// <summary>MultiStepLR: <c>base·γ^(milestones reached)</c>; <paramref name="milestones"/> ascending.</summary>
    public static double MultiStepLR(double baseLr, ReadOnlySpan<int> milestones, double gamma, long epoch)
    {
        int reached = 0;
        while (reached < milestones.Length && milestones[reached] <= epoch)
        {
            reached++;
        }

        return baseLr * Math.Pow(gamma, reached);
    }

    /// <summary>ExponentialLR: <c>base·γ^epoch</c>.</summary>
    public static double ExponentialLR(double baseLr, double gamma, long epoch) => baseLr * Math.Pow(gamma, epoch);

    /// <summary>CosineAnnealingLR: <c>η_min + (base − η_min)·(1 + cos(π·epoch / T_max)) / 2</c>.</summary>
    public static double CosineAnnealingLR(double baseLr, int tMax, double etaMin, long epoch) =>
        etaMin + ((baseLr - etaMin) * (1 + Math.Cos(Math.PI * epoch / tMax)) / 2);

    /// <summary>
    /// CosineAnnealingWarmRestarts: cosine annealing restarted after T_0, T_0·T_mult, ... steps. The cycle is found
    /// with exact integer arithmetic (PyTorch's <c>T_cur += 1; if T_cur &gt;= T_i: T_cur -= T_i; T_i *= T_mult</c>
    /// in closed form); a logarithm would put some restarts one step late (log 243 / log 3 &lt; 5 in floating point).
    /// </summary>
    public static double CosineAnnealingWarmRestarts(double baseLr, int t0, int tMult, double etaMin, long epoch)
    {
        long tCur;
        double tI;
        if (tMult == 1)
        {
            tCur = epoch % t0;
            tI = t0;
        }
        else
        {
            // Cycles of t0, t0·tMult, t0·tMult², ... steps: at most 63 of them fit in a long.
            long start = 0, length = t0;
            while (true)
            {
                if (epoch - start < length)
                {
                    tI = length;
                    break;
                }

                start += length;
                if (length > long.MaxValue / tMult)
                {
                    tI = (double)length * tMult; // this cycle outlasts any long epoch
                    break;
                }

                length *= tMult;
            }

            tCur = epoch - start;
        }

        return etaMin + ((baseLr - etaMin) * (1 + Math.Cos(Math.PI * tCur / tI)) / 2);
    }

    /// <summary>LinearLR: base times a factor moving linearly from start to end over <paramref name="totalIters"/> steps.</summary>
    public static double LinearLR(double baseLr, double startFactor, double endFactor, int totalIters, long epoch) =>
        baseLr * (startFactor + ((endFactor - startFactor) * Math.Min(epoch, totalIters) / totalIters));

    /// <summary>ConstantLR: <c>base·factor</c> for the first <paramref name="totalIters"/> steps, then base.</summary>
    public static double ConstantLR(double baseLr, double factor, int totalIters, long epoch) =>
        epoch < totalIters ? baseLr * factor : baseLr;

    /// <summary>PolynomialLR: <c>base·(1 − min(epoch, total) / total)^power</c>.</summary>
    public static double PolynomialLR(double baseLr, int totalIters, double power, long epoch) =>
        baseLr * Math.Pow(1 - ((double)Math.Min(epoch, totalIters) / totalIters), power);

    /// <summary>
    /// OneCycleLR (two phases): from <c>maxLr / divFactor</c> up to <paramref name="maxLr"/> over the first
    /// <paramref name="pctStart"/> of <paramref name="totalSteps"/>, then down to <c>maxLr / divFactor / finalDivFactor</c>,
    /// where it stays (PyTorch raises past the last step instead).
    /// </summary>
    public static double OneCycleLR(double maxLr, int totalSteps, double pctStart, bool cosine, double divFactor, double finalDivFactor, long epoch)
    {
        epoch = Math.Min(epoch, totalSteps - 1);
        double initialLr = maxLr / divFactor;
        double minLr = initialLr / finalDivFactor;
        double warmEnd = (pctStart * totalSteps) - 1;
        double end = totalSteps - 1;
        return epoch <= warmEnd
            ? Anneal(initialLr, maxLr, epoch / warmEnd, cosine)
            : Anneal(maxLr, minLr, (epoch - warmEnd) / (end - warmEnd), cosine);
    }

    /// <summary>
    /// False when OneCycleLR's warm-up phase would be zero steps long (<c>pctStart·totalSteps = 1</c>, computed as
    /// <see cref="OneCycleLR"/> does), which would divide by zero. The generator applies the same test at compile time.
    /// </summary>
    public static bool OneCycleWarmupHasLength(double pctStart, int totalSteps) => (pctStart * totalSteps) - 1 != 0;

    /// <summary>
    /// Returns <paramref name="lr"/> if it is finite; otherwise throws, so that no schedule hands an infinite or NaN
    /// rate to <c>Step()</c>. The runtime <see cref="Scheduler"/> and the <c>Step()</c> of a model with
    /// <see cref="LrScheduleAttribute"/> both call it (before changing anything), with the same message.
    /// </summary>
    /// <param name="lr">The scheduled rate.</param>
    /// <param name="schedule">The schedule's name, for the message.</param>
    /// <param name="epoch">Scheduler steps taken: the rate is for optimizer step <paramref name="epoch"/> + 1.</param>
    /// <exception cref="InvalidOperationException"><paramref name="lr"/> is infinite or NaN.</exception>
    public static double EnsureFinite(double lr, string schedule, long epoch)
    {
        if (!double.IsFinite(lr))
        {
            ThrowNotFinite(lr, schedule, epoch);
        }

        return lr;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowNotFinite(double lr, string schedule, long epoch) =>
        throw new InvalidOperationException(string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"{schedule} gives a non-finite learning rate ({lr}) for step {epoch + 1}; the step was not taken. ")
            + "A schedule that grows the rate (e.g. ExponentialLR with Gamma > 1) overflows after enough steps.");

    /// <summary>CyclicLR's modes.</summary>
    public enum CyclicMode
    {
        /// <summary>Constant amplitude.</summary>
        Triangular,

        /// <summary>Amplitude halved every cycle.</summary>
        Triangular2,

        /// <summary>Amplitude scaled by γ^epoch.</summary>
        ExpRange,
    }

    /// <summary>CyclicLR: triangular cycles between <paramref name="baseLr"/> and <paramref name="maxLr"/>.</summary>
    public static double CyclicLR(double baseLr, double maxLr, int stepSizeUp, int stepSizeDown, CyclicMode mode, double gamma, long epoch)
    {
        double totalSize = stepSizeUp + stepSizeDown;
        double stepRatio = stepSizeUp / totalSize;
        double cycle = Math.Floor(1 + (epoch / totalSize));
        double x = 1 + (epoch / totalSize) - cycle;
        double scaleFactor = x <= stepRatio ? x / stepRatio : (x - 1) / (stepRatio - 1);
        double scale = mode switch
        {
            CyclicMode.Triangular2 => 1 / Math.Pow(2, cycle - 1),
            CyclicMode.ExpRange => Math.Pow(gamma, epoch),
            _ => 1,
        };
        return baseLr + ((maxLr - baseLr) * scaleFactor * scale);
    }

    /// <summary>Linear warm-up from <c>base·startFactor</c> to base over <paramref name="warmupSteps"/> steps (LinearLR to 1).</summary>
    public static double Warmup(double baseLr, double startFactor, int warmupSteps, long epoch) =>
        LinearLR(baseLr, startFactor, 1.0, warmupSteps, epoch);

    private static double Anneal(double start, double end, double pct, bool cosine) =>
        cosine ? end + ((start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1)) : ((end - start) * pct) + start;
}
