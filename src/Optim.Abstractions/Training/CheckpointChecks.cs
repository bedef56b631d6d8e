using System;
using System.Collections.Generic;
using System.IO;
using System.Numerics;
using static System.FormattableString;

namespace Optim.Training;

/// <summary>
/// The checks a generated <c>LoadCheckpoint</c> runs on a checkpoint's values before it copies any of them: each returns
/// null when <c>Step()</c> can have produced the value, or a sentence naming the value and why it cannot;
/// <see cref="ThrowIfAny"/> refuses the checkpoint when any sentence is not null.
/// </summary>
public static class CheckpointChecks
{
    /// <summary>2⁻⁴⁹: the relative rounding a running product may gather per step (a multiplication rounds by 2⁻⁵³ at most).</summary>
    private static readonly double RelativePerStep = Math.ScaleB(1.0, -49);

    /// <summary>2⁻¹⁰⁷³: the absolute rounding per step once the product is subnormal (at most half of 2⁻¹⁰⁷⁴).</summary>
    private static readonly double AbsolutePerStep = Math.ScaleB(1.0, -1073);

    /// <summary>A count <c>Step()</c> increments (the step count, the skipped steps): at least 0 and below <see cref="long.MaxValue"/>.</summary>
    /// <param name="name">The scalar's name in the checkpoint.</param>
    /// <param name="value">Its value.</param>
    public static string? Count(string name, long value) =>
        value < 0 ? Invariant($"{name} is {value}, a negative count")
        : value == long.MaxValue ? Invariant($"{name} is {value} (long.MaxValue), which the next step would overflow")
        : null;

    /// <summary>A learning rate: finite and at least 0, as the <c>LearningRate</c> setter accepts.</summary>
    /// <param name="name">The scalar's name in the checkpoint.</param>
    /// <param name="value">Its value.</param>
    public static string? LearningRate(string name, double value) =>
        value >= 0.0 && value <= double.MaxValue ? null : $"{name} is {Show(value)}, not a finite rate of 0 or more";

    /// <summary>A norm <c>Step()</c> measured: 0 or more, +∞ or NaN (a NaN or infinite gradient), never negative.</summary>
    /// <param name="name">The scalar's name in the checkpoint.</param>
    /// <param name="value">Its value.</param>
    public static string? Norm(string name, double value) =>
        value < 0.0 ? $"{name} is {Show(value)}, but a norm is never negative" : null;

    /// <summary>
    /// A running product that starts at 1 and is multiplied by one factor in [<paramref name="lowBase"/>,
    /// <paramref name="highBase"/>] ⊂ [0, 1] per step, such as β₁ᵗ (both bases β₁): it lies in [0, 1] and, when
    /// <paramref name="exact"/>, between <paramref name="lowBase"/>ᵗ and <paramref name="highBase"/>ᵗ for the step count t,
    /// up to the rounding of t multiplications (a relative t·2⁻⁴⁹, an absolute t·2⁻¹⁰⁷³ once it is subnormal), or 0 where
    /// it can have fallen below <see cref="RunningProducts.FlushBelow"/>.
    /// </summary>
    /// <param name="name">The scalar's name in the checkpoint.</param>
    /// <param name="value">Its value.</param>
    /// <param name="lowBase">The smallest factor.</param>
    /// <param name="highBase">The largest factor.</param>
    /// <param name="step">The checkpoint's step count: the number of factors.</param>
    /// <param name="exact">
    /// Whether the factors are known: false when the checkpoint was saved with other hyperparameters, then only the range
    /// [0, 1] is checked.
    /// </param>
    public static string? RunningProduct(string name, double value, double lowBase, double highBase, long step, bool exact)
    {
        if (!(value >= 0.0 && value <= 1.0))
        {
            return $"{name} is {Show(value)}, but a running product of factors in [0, 1] stays in [0, 1]";
        }

        if (!exact || step < 0)
        {
            return null;
        }

        double low = Math.Pow(lowBase, step), high = Math.Pow(highBase, step);
        double steps = step;
        double lowest = low - (steps * RelativePerStep * low) - (steps * AbsolutePerStep);
        double highest = high + (steps * RelativePerStep * high) + (steps * AbsolutePerStep);
        if ((value >= lowest && value <= highest) || (value == 0.0 && lowest < RunningProducts.FlushBelow))
        {
            // (0 too where the product can have fallen below the floor Step() flushes it at.)
            return null;
        }

        return lowBase == highBase
            ? Invariant($"{name} is {Show(value)}, but {step} steps multiply 1 by {Show(highBase)} to {Show(high)}")
            : Invariant($"{name} is {Show(value)}, but after {step} steps it lies between {Show(low)} ({Show(lowBase)}^{step}) and {Show(high)} ({Show(highBase)}^{step})");
    }

    /// <summary>
    /// A state buffer that holds sums or averages of squares (Adam's v, Adagrad's sum, …): no value is negative (NaN and
    /// +∞ can follow a NaN or infinite gradient).
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="name">The section's name in the checkpoint.</param>
    /// <param name="values">Its values.</param>
    public static string? NonNegative<T>(string name, ReadOnlySpan<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] < T.Zero)
            {
                return Invariant($"{name}[{i}] is {values[i]}, but it holds squares, which are never negative");
            }
        }

        return null;
    }

    /// <summary>
    /// A state buffer <c>Step()</c> clamps to [<paramref name="min"/>, <paramref name="max"/>] (Rprop's step sizes), or
    /// leaves at 0 (before the first step, or for a parameter frozen since): each value is one or the other. Checked only
    /// when <paramref name="exact"/>: bounds of other hyperparameters are not this model's.
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="name">The section's name in the checkpoint.</param>
    /// <param name="values">Its values.</param>
    /// <param name="min">The smallest value, rounded to <typeparamref name="T"/> as <c>Step()</c> rounds it.</param>
    /// <param name="max">The largest value, rounded likewise.</param>
    /// <param name="exact">Whether the checkpoint was saved with the model's hyperparameters.</param>
    public static string? ZeroOrWithin<T>(string name, ReadOnlySpan<T> values, T min, T max, bool exact)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; exact && i < values.Length; i++)
        {
            if (!(values[i] == T.Zero || (values[i] >= min && values[i] <= max)))
            {
                return Invariant($"{name}[{i}] is {values[i]}, but Step() keeps it in [{min}, {max}] (or at 0 before it first updates it)");
            }
        }

        return null;
    }

    /// <summary>Throws when any of <paramref name="problems"/> is not null, naming every one.</summary>
    /// <param name="problems">The results of the checks.</param>
    /// <exception cref="InvalidDataException">A check failed: the checkpoint holds a value <c>Step()</c> cannot produce.</exception>
    public static void ThrowIfAny(params string?[] problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var found = new List<string>();
        foreach (string? problem in problems)
        {
            if (problem is not null)
            {
                found.Add(problem);
            }
        }

        if (found.Count > 0)
        {
            throw new InvalidDataException($"The checkpoint holds values this model's Step() cannot have produced: {string.Join("; ", found)}.");
        }
    }

    private static string Show(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
