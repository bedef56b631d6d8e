using System;

namespace Optim.Sample;

/// <summary>A deterministic synthetic regression set: features in [−1, 1] and a nonlinear target.</summary>
internal sealed class Dataset
{
    /// <summary>Human-readable form of the target function, for the console.</summary>
    public const string Formula = "y = sin(2*x0) + 0.5*x1 - |x2| + 0.5*x3*x4 + noise, noise ~ U(-0.1, 0.1); x5..x9 are distractors";

    private readonly float[] _features;
    private readonly float[] _targets;

    private Dataset(float[] features, float[] targets)
    {
        _features = features;
        _targets = targets;
        TargetVariance = Variance(targets);
    }

    /// <summary>Number of samples.</summary>
    public int Count => _targets.Length;

    /// <summary>Population variance of the targets: the MSE of always predicting their mean.</summary>
    public double TargetVariance { get; }

    /// <summary>The <see cref="SeedNetwork.Inputs"/> features of sample <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Features(int index) => _features.AsSpan(index * SeedNetwork.Inputs, SeedNetwork.Inputs);

    /// <summary>The target of sample <paramref name="index"/>.</summary>
    public float Target(int index) => _targets[index];

    /// <summary>Draws <paramref name="count"/> samples from a generator seeded with <paramref name="seed"/>.</summary>
    public static Dataset CreateSynthetic(int count, int seed)
    {
        var random = new Random(seed);
        var features = new float[count * SeedNetwork.Inputs];
        var targets = new float[count];
        for (int n = 0; n < count; n++)
        {
            Span<float> x = features.AsSpan(n * SeedNetwork.Inputs, SeedNetwork.Inputs);
            foreach (ref float feature in x)
            {
                feature = Uniform(random, 1.0);
            }

            float noise = Uniform(random, 0.1);
            targets[n] = MathF.Sin(2f * x[0]) + 0.5f * x[1] - MathF.Abs(x[2]) + 0.5f * x[3] * x[4] + noise;
        }

        return new Dataset(features, targets);
    }

    /// <summary>A sample from U(−<paramref name="halfWidth"/>, +<paramref name="halfWidth"/>).</summary>
    private static float Uniform(Random random, double halfWidth) => (float)((2.0 * random.NextDouble() - 1.0) * halfWidth);

    private static double Variance(ReadOnlySpan<float> values)
    {
        double mean = 0;
        foreach (float value in values)
        {
            mean += value;
        }

        mean /= values.Length;
        double sumOfSquares = 0;
        foreach (float value in values)
        {
            sumOfSquares += (value - mean) * (value - mean);
        }

        return sumOfSquares / values.Length;
    }
}
