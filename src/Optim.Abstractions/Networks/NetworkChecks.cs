using System;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Batch(int batch, int maxBatch)
    {
        if (batch < 1 || batch > maxBatch)
        {
            BatchOutOfRange(batch, maxBatch);
        }
    }

    /// <summary>Throws unless a span of <paramref name="length"/> values holds <paramref name="batch"/> examples of <paramref name="perExample"/> values.</summary>
    /// <exception cref="ArgumentException">The span is too short.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Length(int length, int batch, int perExample, string name)
    {
        if (length < (long)batch * perExample)
        {
            TooShort(length, batch, perExample, name);
        }
    }

    // The throws live in methods of their own, so that the checks above inline into every generated member.
    [DoesNotReturn]
    private static void BatchOutOfRange(int batch, int maxBatch) =>
        throw new ArgumentOutOfRangeException(nameof(batch), batch, $"The batch size is {batch}; this network accepts 1 to MaxBatch = {maxBatch} examples (raise [Forward(MaxBatch = …)] for larger batches).");

    [DoesNotReturn]
    private static void TooShort(int length, int batch, int perExample, string name) =>
        throw new ArgumentException($"'{name}' holds {length} values; a batch of {batch} needs {(long)batch * perExample} ({batch} × {perExample}).", name);

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
