using System;
using System.ComponentModel;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Optim.Kernels;

/// <summary>
/// A lookup table, PyTorch's Embedding: weight [num, dim]; index k of the input selects row indices[k]. The caller
/// validates the indices (each in [0, num)); Debug builds assert it.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Embedding
{
    /// <summary>y[k, :] = weight[indices[k], :] for k below <paramref name="count"/>.</summary>
    public static void Forward<T>(ReadOnlySpan<int> indices, ReadOnlySpan<T> weight, Span<T> y, int count, int dim)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(indices.Length, y.Length, count, dim, nameof(y));
        for (int k = 0; k < count; k++)
        {
            int index = indices[k];
            Debug.Assert((uint)index < (uint)(weight.Length / dim), $"embedding index {index} outside [0, {weight.Length / dim})");
            weight.Slice(index * dim, dim).CopyTo(y.Slice(k * dim, dim));
        }
    }

    /// <summary>dWeight[indices[k], :] += dy[k, :] for k ascending (a row used twice gets both contributions).</summary>
    public static void Backward<T>(ReadOnlySpan<int> indices, ReadOnlySpan<T> dy, Span<T> dWeight, int count, int dim)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(indices.Length, dy.Length, count, dim, nameof(dy));
        ref T d = ref MemoryMarshal.GetReference(dy);
        for (int k = 0; k < count; k++)
        {
            int index = indices[k];
            Debug.Assert((uint)index < (uint)(dWeight.Length / dim), $"embedding index {index} outside [0, {dWeight.Length / dim})");
            Span<T> row = dWeight.Slice(index * dim, dim);
            ref T r = ref MemoryMarshal.GetReference(row);
            Lanes.Map(default(Sum2<T>), ref r, ref Unsafe.Add(ref d, k * dim), ref r, ref r, dim);
        }
    }

    private static void Check(int indices, int values, int count, int dim, string valuesName)
    {
        Guard.Positive(dim, nameof(dim));
        Guard.Fits(indices, count, "indices");
        Guard.Fits(values, (long)count * dim, valuesName);
    }
}
