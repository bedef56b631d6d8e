using System;
using System.ComponentModel;

namespace Optim.Kernels;

/// <summary>
/// The run-time checks of a generated network's public members, made before any kernel touches memory: each failure is
/// an exception naming the value and its bound.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class NetworkChecks
{
    /// <summary>Throws unless 1 ≤ <paramref name="batch"/> ≤ <paramref name="maxBatch"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The batch is out of range.</exception>
    public static void Batch(int batch, int maxBatch)
    {
        if (batch < 1 || batch > maxBatch)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"The batch size is {batch}; this network accepts 1 to MaxBatch = {maxBatch} examples (raise [Forward(MaxBatch = …)] for larger batches).");
        }
    }

    /// <summary>Throws unless a span of <paramref name="length"/> values holds <paramref name="batch"/> examples of <paramref name="perExample"/> values.</summary>
    /// <exception cref="ArgumentException">The span is too short.</exception>
    public static void Length(int length, int batch, int perExample, string name)
    {
        long needed = (long)batch * perExample;
        if (length < needed)
        {
            throw new ArgumentException($"'{name}' holds {length} values; a batch of {batch} needs {needed} ({batch} × {perExample}).", name);
        }
    }

    /// <summary>Throws unless every index is in [0, <paramref name="count"/>) (an embedding's rows).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    public static void Indices(ReadOnlySpan<int> indices, int count, string name)
    {
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)count)
            {
                throw new ArgumentOutOfRangeException(name, indices[i], $"Index {indices[i]} at position {i} of '{name}' is outside [0, {count}) (the embedding's rows).");
            }
        }
    }

    /// <summary>Throws unless every class index is in [0, <paramref name="classes"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A class index is out of range.</exception>
    public static void Classes(ReadOnlySpan<int> target, int classes)
    {
        for (int i = 0; i < target.Length; i++)
        {
            if ((uint)target[i] >= (uint)classes)
            {
                throw new ArgumentOutOfRangeException(nameof(target), target[i], $"Class index {target[i]} at position {i} of 'target' is outside [0, {classes}).");
            }
        }
    }
}
