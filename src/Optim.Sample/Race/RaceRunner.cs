using System;
using System.Collections.Generic;

namespace Optim.Sample.Race;

/// <summary>One racer's run on one surface: where it went, how its loss and distance evolved, how it ended.</summary>
/// <param name="Racer">Who ran.</param>
/// <param name="Lr">The learning rate it ran with.</param>
/// <param name="Points">Positions from the start (index 0) to the last finite step.</param>
/// <param name="Gaps">f − f_min at each position.</param>
/// <param name="Distances">Distance to the nearest minimum at each position.</param>
/// <param name="Finish">First step within ε of a minimum, or −1.</param>
/// <param name="Diverged">Step at which it left the map for good (non-finite or far away), or −1.</param>
internal sealed record Run(RacerKind Racer, double Lr, List<(double X, double Y)> Points, List<double> Gaps, List<double> Distances, int Finish, int Diverged);

/// <summary>Runs racers on surfaces, and picks each racer's learning rate by the same search.</summary>
internal static class RaceRunner
{
    /// <summary>Steps in a race.</summary>
    public const int Steps = 300;

    /// <summary>Distance to a minimum that counts as crossing the finish line.</summary>
    public const double Epsilon = 0.05;

    /// <summary>The learning rates the search tries for every racer: 10^−4 … 10^1 in quarter decades (21 runs).</summary>
    public static readonly double[] Candidates = BuildCandidates();

    /// <summary>Runs <paramref name="racer"/> on <paramref name="surface"/> for <see cref="Steps"/> steps at <paramref name="lr"/>.</summary>
    public static Run Race(RacerKind racer, Surface surface, double lr)
    {
        IRacer model = racer.Create();
        model.Position[0] = surface.Start.X;
        model.Position[1] = surface.Start.Y;
        model.LearningRate = lr;

        var points = new List<(double, double)>(Steps + 1);
        var gaps = new List<double>(Steps + 1);
        var distances = new List<double>(Steps + 1);
        int finish = -1, diverged = -1;
        double fMin = surface.MinimumValue;
        double span = Math.Max(surface.Domain.X1 - surface.Domain.X0, surface.Domain.Y1 - surface.Domain.Y0);
        for (int step = 0; ; step++)
        {
            double x = model.Position[0], y = model.Position[1];
            double f = surface.F(x, y);
            bool lost = !double.IsFinite(f) || Math.Abs(x) > 100 * span || Math.Abs(y) > 100 * span;
            if (lost)
            {
                diverged = step;
                break;
            }

            points.Add((x, y));
            gaps.Add(Math.Max(f - fMin, 0));
            distances.Add(surface.Distance(x, y));
            if (finish < 0 && distances[^1] < Epsilon)
            {
                finish = step;
            }

            if (step == Steps)
            {
                break;
            }

            var (gx, gy) = surface.Gradient(x, y);
            model.Gradients[0] = gx;
            model.Gradients[1] = gy;
            model.Step();
        }

        return new Run(racer, lr, points, gaps, distances, finish, diverged);
    }

    /// <summary>
    /// The fair race: every racer gets the same search over <see cref="Candidates"/>, each run the same number of
    /// steps, scored by the same objective (the mean of log10(f − f_min) over the run, so fast and deep both count;
    /// a run that diverges scores worst). Returns the best run.
    /// </summary>
    public static Run Tuned(RacerKind racer, Surface surface)
    {
        Run? best = null;
        double bestScore = double.PositiveInfinity;
        foreach (double lr in Candidates)
        {
            Run run = Race(racer, surface, lr);
            double score = Score(run);
            if (best is null || score < bestScore)
            {
                (best, bestScore) = (run, score);
            }
        }

        return best!;
    }

    /// <summary>Mean of log10(f − f_min) over all steps; +∞ for a run that diverged.</summary>
    public static double Score(Run run)
    {
        if (run.Diverged >= 0)
        {
            return double.PositiveInfinity;
        }

        double sum = 0;
        foreach (double gap in run.Gaps)
        {
            sum += Math.Log10(Math.Max(gap, 1e-12));
        }

        return sum / run.Gaps.Count;
    }

    private static double[] BuildCandidates()
    {
        var candidates = new double[21];
        for (int k = 0; k < candidates.Length; k++)
        {
            candidates[k] = Math.Pow(10, -4 + (0.25 * k));
        }

        return candidates;
    }
}
