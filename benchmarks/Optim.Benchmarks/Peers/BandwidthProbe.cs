using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Optim.Benchmarks.Peers;

/// <summary>
/// The physical limit: a STREAM-style kernel that moves exactly the bytes a step must move (reads of θ, g and
/// each state buffer; writes of θ and each state buffer) with one add per stream, over one contiguous aligned
/// arena like the generated code's. What it reaches in GB/s is the memory bandwidth this access pattern gets.
/// </summary>
public sealed class BandwidthProbe : IPeer
{
    private readonly Arena<float> _arena;
    private readonly int _stride;
    private readonly int _states;

    /// <param name="size">Parameters.</param>
    /// <param name="states">State buffers (SGD with momentum and heavy ball: 1, Adam: 2).</param>
    public BandwidthProbe(int size, int states)
    {
        _stride = (size + 15) / 16 * 16;
        _states = states;
        _arena = new Arena<float>((2 + states) * _stride);
        Tensors.Fill(_arena.Span, 7);
    }

    /// <summary>Bytes moved per parameter: reads θ, g and the states; writes θ and the states.</summary>
    public static int BytesPerParameter(int states) => sizeof(float) * ((2 + states) + (1 + states));

    public void Step()
    {
        ref float p = ref _arena.Origin;
        ref float g = ref Unsafe.Add(ref p, _stride);
        ref float s1 = ref Unsafe.Add(ref p, 2 * _stride);
        ref float s2 = ref Unsafe.Add(ref p, _states > 1 ? 3 * _stride : 2 * _stride);
        nuint n = (nuint)_stride;
        for (nuint i = 0; i < n; i += (nuint)Vector256<float>.Count)
        {
            var gv = Vector256.LoadUnsafe(ref g, i);
            Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref p, i) + gv, ref p, i);
            Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref s1, i) + gv, ref s1, i);
            if (_states > 1)
            {
                Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref s2, i) + gv, ref s2, i);
            }
        }
    }

    /// <summary>The memset limit for ZeroGrad: clears as many bytes as the gradient section.</summary>
    public void Clear() => MemoryMarshal.CreateSpan(ref Unsafe.Add(ref _arena.Origin, _stride), _stride).Clear();
}
