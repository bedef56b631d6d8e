using System;

namespace Optim.Benchmarks.Peers;

/// <summary>The shapes every benchmark uses: four tensors per model.</summary>
public static class Tensors
{
    /// <summary>Tensor lengths for a model of <paramref name="size"/> parameters (61 is the MLP).</summary>
    public static int[] Lengths(int size) => size == 61 ? new[] { 50, 5, 5, 1 } : new[] { size / 4, size / 4, size / 4, size / 4 };

    /// <summary>Fixed pseudo-random values in [-1, 1).</summary>
    public static void Fill(Span<float> values, int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }
    }

    /// <summary>Fills every model's parameters (seed 1) and gradients (seed 100) with fixed pseudo-random values.</summary>
    public static void Fill(params IOptimizable<float>[] models)
    {
        foreach (IOptimizable<float> model in models)
        {
            Fill(model.Parameters, 1);
            Fill(model.Gradients, 100);
        }
    }

    /// <summary>One array per tensor, filled with fixed pseudo-random values (or zeros).</summary>
    public static float[][] Arrays(int size, int seed, bool zero = false)
    {
        int[] lengths = Lengths(size);
        var arrays = new float[lengths.Length][];
        for (int t = 0; t < lengths.Length; t++)
        {
            arrays[t] = GC.AllocateUninitializedArray<float>(lengths[t]);
            if (zero)
            {
                Array.Clear(arrays[t]);
            }
            else
            {
                Fill(arrays[t], seed + t);
            }
        }

        return arrays;
    }
}
