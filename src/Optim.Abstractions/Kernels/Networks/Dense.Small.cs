using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Optim.Kernels;

/// <summary>
/// The three products of a layer with fewer in features than one 64-byte line (the seed's 10 → 5 → 1 MLP, any small
/// head), where packing for the GEMM costs more than the product. Each output keeps the chain the GEMM gives it (terms in
/// ascending order, one multiply and one add each), so these loops only choose which independent chains share a vector:
/// <list type="bullet">
/// <item>forward: the batch. A block of rows is transposed into a scratch tile so that lane l holds row l's feature i,
/// and every output is one vector chain over i;</item>
/// <item>both backward products: the in features, in two (overlapping) vectors, with the accumulators held in
/// registers across the whole batch instead of stored and reloaded after every row. Two 256-bit vectors always cover
/// a row shorter than a line; where only 128-bit vectors run (or none), longer rows take the scalar loops. A float
/// weight gradient with 9 or 10 in features packs the rows' tails into shared vectors instead (Dense.Tails.cs).</item>
/// </list>
/// Lanes never exchange values, so the results have the same bits as the scalar loops at every vector width.
/// </summary>
public static partial class Dense
{
    /// <summary>
    /// Forward of a small layer: y[b, o] = (Σ_i x[b, i]·W[o, i]) + bias[o]. Outputs share a vector when there are at least
    /// half a vector of them; narrower layers (a regression head) put rows of the batch in the lanes instead.
    /// </summary>
    private static void ForwardSmall<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, int batch, int inFeatures, int outFeatures, FusedActivation<T> activation)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            ForwardRows(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(weight), bias, ref MemoryMarshal.GetReference(y), 0, batch, inFeatures, outFeatures, activation);
        }
        else if (2 * outFeatures >= Vector256<T>.Count)
        {
            ForwardByOutputs(x, weight, bias, y, batch, inFeatures, outFeatures, activation);
        }
        else
        {
            ForwardByRows(x, weight, bias, y, batch, inFeatures, outFeatures, activation);
        }
    }

    /// <summary>
    /// Outputs in lanes: a transposed, zero-padded tile of W holds in lane l the weights of output c + l, and each row of
    /// the batch is one vector chain over i of x[b, i]·tile[i].
    /// </summary>
    [SkipLocalsInit]
    private static void ForwardByOutputs<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, int batch, int inFeatures, int outFeatures, FusedActivation<T> activation)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T w = ref MemoryMarshal.GetReference(weight);
        ref T yr = ref MemoryMarshal.GetReference(y);
        bool hasBias = !bias.IsEmpty;
        int lanes = Vector256<T>.Count;
        // tile[i] holds in lane l the weight W[c + l, i], built in registers: a vector load of values just stored one by
        // one would wait for each store to retire. Lanes past a partial chunk repeat its last output and are never kept.
        // Left uninitialised (zeroing 512 bytes per call costs more than a small layer's product): every element read
        // is written first.
        Unsafe.SkipInit(out VectorTile<T> tileBuffer);
        Unsafe.SkipInit(out Offsets rowBuffer);
        Unsafe.SkipInit(out LaneValues<T> laneBuffer);
        Span<Vector256<T>> tile = tileBuffer;
        Span<int> rows = rowBuffer;
        Span<T> lane = laneBuffer;
        ref Vector256<T> t = ref MemoryMarshal.GetReference(tile);
        ref T o = ref MemoryMarshal.GetReference(lane);
        int total = batch * outFeatures;
        for (int chunk = 0; chunk < outFeatures; chunk += lanes)
        {
            // The last chunk ends at the last output, overlapping the one before it: the outputs computed twice get the
            // same operations both times. A layer narrower than a vector has one partial chunk.
            int c = Math.Min(chunk, Math.Max(0, outFeatures - lanes));
            int width = Math.Min(lanes, outFeatures - c);
            for (int l = 0; l < lanes; l++)
            {
                rows[l] = (c + Math.Min(l, width - 1)) * inFeatures;
            }

            for (int i = 0; i < inFeatures; i++)
            {
                Unsafe.Add(ref t, i) = Gather(ref Unsafe.Add(ref w, i), rows);
            }

            Vector256<T> b0 = Vector256<T>.Zero;
            if (hasBias)
            {
                for (int l = 0; l < lanes; l++)
                {
                    rows[l] = c + Math.Min(l, width - 1);
                }

                b0 = Gather(ref MemoryMarshal.GetReference(bias), rows);
            }
            int b = 0;
            for (; b + 4 <= batch; b += 4)
            {
                // Four rows at once: four independent chains hide the adds' latency and share each tile vector.
                ref T x0 = ref Unsafe.Add(ref xr, b * inFeatures);
                Vector256<T> ti = t;
                Vector256<T> s0 = Vector256.Create(x0) * ti;
                Vector256<T> s1 = Vector256.Create(Unsafe.Add(ref x0, inFeatures)) * ti;
                Vector256<T> s2 = Vector256.Create(Unsafe.Add(ref x0, 2 * inFeatures)) * ti;
                Vector256<T> s3 = Vector256.Create(Unsafe.Add(ref x0, 3 * inFeatures)) * ti;
                for (int i = 1; i < inFeatures; i++)
                {
                    ti = Unsafe.Add(ref t, i);
                    ref T xi = ref Unsafe.Add(ref x0, i);
                    s0 += Vector256.Create(xi) * ti;
                    s1 += Vector256.Create(Unsafe.Add(ref xi, inFeatures)) * ti;
                    s2 += Vector256.Create(Unsafe.Add(ref xi, 2 * inFeatures)) * ti;
                    s3 += Vector256.Create(Unsafe.Add(ref xi, 3 * inFeatures)) * ti;
                }

                if (hasBias)
                {
                    s0 += b0;
                    s1 += b0;
                    s2 += b0;
                    s3 += b0;
                }

                s0 = activation.Apply(s0);
                s1 = activation.Apply(s1);
                s2 = activation.Apply(s2);
                s3 = activation.Apply(s3);
                int at = (b * outFeatures) + c;
                StoreOutputs(s0, ref yr, at, width, total, ref o);
                StoreOutputs(s1, ref yr, at + outFeatures, width, total, ref o);
                StoreOutputs(s2, ref yr, at + (2 * outFeatures), width, total, ref o);
                StoreOutputs(s3, ref yr, at + (3 * outFeatures), width, total, ref o);
            }

            for (; b < batch; b++)
            {
                ref T xb = ref Unsafe.Add(ref xr, b * inFeatures);
                Vector256<T> sum = Vector256.Create(xb) * t;
                for (int i = 1; i < inFeatures; i++)
                {
                    sum += Vector256.Create(Unsafe.Add(ref xb, i)) * Unsafe.Add(ref t, i);
                }

                if (hasBias)
                {
                    sum += b0;
                }

                StoreOutputs(activation.Apply(sum), ref yr, (b * outFeatures) + c, width, total, ref o);
            }
        }
    }

    /// <summary>
    /// The first <paramref name="width"/> lanes of <paramref name="sum"/> to y[at …]. A partial vector (a layer narrower
    /// than a vector) is stored whole when it stays inside y's <paramref name="total"/> elements: its extra lanes land on
    /// the next rows, which are written after this one; the last rows go lane by lane through <paramref name="scratch"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreOutputs<T>(Vector256<T> sum, ref T y, int at, int width, int total, ref T scratch)
        where T : unmanaged
    {
        if (width == Vector256<T>.Count || at + Vector256<T>.Count <= total)
        {
            sum.StoreUnsafe(ref y, (nuint)at);
            return;
        }

        sum.StoreUnsafe(ref scratch);
        for (int l = 0; l < width; l++)
        {
            Unsafe.Add(ref y, at + l) = Unsafe.Add(ref scratch, l);
        }
    }

    /// <summary>Rows of the batch in lanes: lane l computes row b + l, its features gathered into vectors in registers.</summary>
    [SkipLocalsInit]
    private static void ForwardByRows<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, int batch, int inFeatures, int outFeatures, FusedActivation<T> activation)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T w = ref MemoryMarshal.GetReference(weight);
        ref T yr = ref MemoryMarshal.GetReference(y);
        bool hasBias = !bias.IsEmpty;
        int lanes = Vector256<T>.Count;

        // column[i] = x[b + l, i] in lane l, built in registers (a vector load of values just stored one by one would
        // wait for each store); lane[l] = one output's lanes before they go to their rows.
        Unsafe.SkipInit(out VectorTile<T> columnBuffer);
        Unsafe.SkipInit(out LaneValues<T> laneBuffer);
        Span<Vector256<T>> column = columnBuffer;
        Span<T> lane = laneBuffer;
        ref Vector256<T> c = ref MemoryMarshal.GetReference(column);
        ref T o = ref MemoryMarshal.GetReference(lane);
        int b = 0;
        for (; b + lanes <= batch; b += lanes)
        {
            ref T block = ref Unsafe.Add(ref xr, b * inFeatures);
            for (int i = 0; i < inFeatures; i++)
            {
                Unsafe.Add(ref c, i) = Strided(ref Unsafe.Add(ref block, i), inFeatures);
            }

            for (int output = 0; output < outFeatures; output++)
            {
                ref T wo = ref Unsafe.Add(ref w, output * inFeatures);
                Vector256<T> sum = c * Vector256.Create(wo);
                for (int i = 1; i < inFeatures; i++)
                {
                    sum += Unsafe.Add(ref c, i) * Vector256.Create(Unsafe.Add(ref wo, i));
                }

                if (hasBias)
                {
                    sum += Vector256.Create(bias[output]);
                }

                sum = activation.Apply(sum);

                if (outFeatures == 1)
                {
                    sum.StoreUnsafe(ref yr, (nuint)b);
                    continue;
                }

                sum.StoreUnsafe(ref o);
                for (int l = 0; l < lanes; l++)
                {
                    Unsafe.Add(ref yr, ((b + l) * outFeatures) + output) = Unsafe.Add(ref o, l);
                }
            }
        }

        ForwardRows(ref xr, ref w, bias, ref yr, b, batch, inFeatures, outFeatures, activation);
    }

    /// <summary>The vector of source[offsets[l]] for each lane l (float or double).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Gather<T>(ref T source, ReadOnlySpan<int> offsets)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            ref float f = ref Unsafe.As<T, float>(ref source);
            return Vector256.Create(
                Unsafe.Add(ref f, offsets[0]), Unsafe.Add(ref f, offsets[1]), Unsafe.Add(ref f, offsets[2]), Unsafe.Add(ref f, offsets[3]),
                Unsafe.Add(ref f, offsets[4]), Unsafe.Add(ref f, offsets[5]), Unsafe.Add(ref f, offsets[6]), Unsafe.Add(ref f, offsets[7])).As<float, T>();
        }

        if (typeof(T) == typeof(double))
        {
            ref double d = ref Unsafe.As<T, double>(ref source);
            return Vector256.Create(Unsafe.Add(ref d, offsets[0]), Unsafe.Add(ref d, offsets[1]), Unsafe.Add(ref d, offsets[2]), Unsafe.Add(ref d, offsets[3])).As<double, T>();
        }

        throw new NotSupportedException($"Network kernels run on float and double, not {typeof(T).Name}.");
    }

    /// <summary>The vector of source[l·stride] for each lane l (float or double).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Strided<T>(ref T source, int stride)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            ref float f = ref Unsafe.As<T, float>(ref source);
            return Vector256.Create(
                f, Unsafe.Add(ref f, stride), Unsafe.Add(ref f, 2 * stride), Unsafe.Add(ref f, 3 * stride),
                Unsafe.Add(ref f, 4 * stride), Unsafe.Add(ref f, 5 * stride), Unsafe.Add(ref f, 6 * stride), Unsafe.Add(ref f, 7 * stride)).As<float, T>();
        }

        if (typeof(T) == typeof(double))
        {
            ref double d = ref Unsafe.As<T, double>(ref source);
            return Vector256.Create(d, Unsafe.Add(ref d, stride), Unsafe.Add(ref d, 2 * stride), Unsafe.Add(ref d, 3 * stride)).As<double, T>();
        }

        throw new NotSupportedException($"Network kernels run on float and double, not {typeof(T).Name}.");
    }

    /// <summary>Rows [from, to) of <see cref="ForwardSmall{T}"/> one scalar chain at a time.</summary>
    private static void ForwardRows<T>(ref T xr, ref T w, ReadOnlySpan<T> bias, ref T yr, int from, int to, int inFeatures, int outFeatures, FusedActivation<T> activation)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        bool hasBias = !bias.IsEmpty;
        for (int b = from; b < to; b++)
        {
            ref T row = ref Unsafe.Add(ref xr, b * inFeatures);
            ref T target = ref Unsafe.Add(ref yr, b * outFeatures);
            for (int output = 0; output < outFeatures; output++)
            {
                ref T wo = ref Unsafe.Add(ref w, output * inFeatures);
                T sum = row * wo;
                for (int i = 1; i < inFeatures; i++)
                {
                    sum += Unsafe.Add(ref row, i) * Unsafe.Add(ref wo, i);
                }

                Unsafe.Add(ref target, output) = activation.Apply(hasBias ? sum + bias[output] : sum);
            }
        }
    }

    /// <summary>
    /// dW[o, ·] += Σ_b dy[b, o]·x[b, ·] and, when <paramref name="hasBias"/>, dB[o] += Σ_b dy[b, o], for a row shorter than
    /// a line, b ascending. Each W row sits in at most two overlapping vectors (lanes [0, v) and [n − v, n)), held in
    /// registers for the whole batch. A layer of up to six outputs is one pass over the batch with every chain of the
    /// layer in flight, its weight rows and its bias sums, so that their add latencies overlap instead of following one
    /// another; wider layers go four outputs to a pass.
    /// </summary>
    private static void BackwardWeightsSmall<T>(ref T dy, ref T x, ref T dW, ref T dB, bool hasBias, int batch, int inFeatures, int outFeatures)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (PackedTails<T>(inFeatures))
        {
            TailBlocks(ref Unsafe.As<T, float>(ref dy), ref Unsafe.As<T, float>(ref x), ref Unsafe.As<T, float>(ref dW), ref Unsafe.As<T, float>(ref dB), hasBias, batch, inFeatures, outFeatures);
        }
        else if (Vector256.IsHardwareAccelerated && inFeatures >= Vector256<T>.Count)
        {
            WeightBlocks<T, Width256<T>, Vector256<T>, WithoutInput>(ref dy, ref x, ref dW, ref dB, hasBias, batch, inFeatures, outFeatures, default);
        }
        else if (Vector128.IsHardwareAccelerated && inFeatures >= Vector128<T>.Count && inFeatures <= 2 * Vector128<T>.Count)
        {
            WeightBlocks<T, Width128<T>, Vector128<T>, WithoutInput>(ref dy, ref x, ref dW, ref dB, hasBias, batch, inFeatures, outFeatures, default);
        }
        else
        {
            for (int o = 0; o < outFeatures; o++)
            {
                ref T target = ref Unsafe.Add(ref dW, o * inFeatures);
                for (int i = 0; i < inFeatures; i++)
                {
                    T sum = Unsafe.Add(ref target, i);
                    for (int b = 0; b < batch; b++)
                    {
                        sum += Unsafe.Add(ref dy, (b * outFeatures) + o) * Unsafe.Add(ref x, (b * inFeatures) + i);
                    }

                    Unsafe.Add(ref target, i) = sum;
                }
            }

            if (hasBias)
            {
                BiasGradient(ref dy, ref dB, batch, outFeatures);
            }
        }
    }

    /// <summary>
    /// Both backward products of a small layer of at most six outputs in one pass (one weight block holds the layer), when
    /// a vector width covers its rows as <see cref="BackwardWeightsSmall{T}"/> and <see cref="BackwardInputSmall{T}"/>
    /// would use it; false (nothing written) otherwise.
    /// </summary>
    private static bool BackwardSmall<T>(ref T dy, ref T x, ref T dW, ref T dB, bool hasBias, int batch, int inFeatures, int outFeatures, in InputGradient<T> input)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (Vector256.IsHardwareAccelerated && inFeatures >= Vector256<T>.Count)
        {
            WeightBlocks<T, Width256<T>, Vector256<T>, WithInput>(ref dy, ref x, ref dW, ref dB, hasBias, batch, inFeatures, outFeatures, input);
            return true;
        }

        if (Vector128.IsHardwareAccelerated && inFeatures >= Vector128<T>.Count && inFeatures <= 2 * Vector128<T>.Count)
        {
            WeightBlocks<T, Width128<T>, Vector128<T>, WithInput>(ref dy, ref x, ref dW, ref dB, hasBias, batch, inFeatures, outFeatures, input);
            return true;
        }

        return false;
    }

    private static void WeightBlocks<T, TW, TV, TInput>(ref T dy, ref T x, ref T dW, ref T dB, bool hasBias, int batch, int inFeatures, int outFeatures, in InputGradient<T> input)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TW : struct, IWidth<T, TV>
        where TV : struct
        where TInput : struct, IFlag
    {
        if (hasBias)
        {
            WeightBlocks<T, TW, TV, WithBias, TInput>(ref dy, ref x, ref dW, ref dB, batch, inFeatures, outFeatures, input);
        }
        else
        {
            WeightBlocks<T, TW, TV, WithoutBias, TInput>(ref dy, ref x, ref dW, ref dB, batch, inFeatures, outFeatures, input);
        }
    }

    private static void WeightBlocks<T, TW, TV, TBias, TInput>(ref T dy, ref T x, ref T dW, ref T dB, int batch, int inFeatures, int outFeatures, in InputGradient<T> input)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TW : struct, IWidth<T, TV>
        where TV : struct
        where TBias : struct, IFlag
        where TInput : struct, IFlag
    {
        int o = 0;
        while (o < outFeatures)
        {
            int rows = BlockRows(outFeatures - o);
            switch (rows)
            {
            case 1:
                WeightBlock<T, TW, TV, Rows1, TBias, TInput>(ref dy, ref x, ref dW, ref dB, o, batch, inFeatures, outFeatures, input);
                break;
            case 2:
                WeightBlock<T, TW, TV, Rows2, TBias, TInput>(ref dy, ref x, ref dW, ref dB, o, batch, inFeatures, outFeatures, input);
                break;
            case 3:
                WeightBlock<T, TW, TV, Rows3, TBias, TInput>(ref dy, ref x, ref dW, ref dB, o, batch, inFeatures, outFeatures, input);
                break;
            case 4:
                WeightBlock<T, TW, TV, Rows4, TBias, TInput>(ref dy, ref x, ref dW, ref dB, o, batch, inFeatures, outFeatures, input);
                break;
            case 5:
                WeightBlock<T, TW, TV, Rows5, TBias, TInput>(ref dy, ref x, ref dW, ref dB, o, batch, inFeatures, outFeatures, input);
                break;
            case 6:
                WeightBlock<T, TW, TV, Rows6, TBias, TInput>(ref dy, ref x, ref dW, ref dB, o, batch, inFeatures, outFeatures, input);
                break;
            }

            o += rows;
        }
    }

    /// <summary>
    /// How many of the <paramref name="remaining"/> outputs a weight pass takes at once: all of them up to six (every
    /// chain of the layer in flight), else four.
    /// </summary>
    private static int BlockRows(int remaining) => remaining <= 6 ? remaining : 4;

    /// <summary>
    /// Outputs [o, o + TRows.Count) of <see cref="BackwardWeightsSmall{T}"/> in one pass over the batch (TRows is a
    /// compile-time count: the JIT drops the accumulators a block does not use). The block's bias sums run in two
    /// overlapping 128-bit vectors when it has at least as many outputs as one holds, else one scalar chain per output
    /// (TBias is compile-time too, so that the loop carries only the sums it needs: with 16 vector registers, unused
    /// ones spilled on every row).
    /// </summary>
    /// With TInput, the block is the whole layer and the same pass also writes the input's gradient
    /// dx[b, ·] = Σ_o dy[b, o]·W[o, ·] (o ascending, from +0, then through the input's activation), as
    /// <see cref="InputRows{T, TW, TV}"/> computes it.
    [SkipLocalsInit]
    private static void WeightBlock<T, TW, TV, TRows, TBias, TInput>(ref T dy, ref T x, ref T dW, ref T dB, int o, int batch, int inFeatures, int outFeatures, in InputGradient<T> input)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TW : struct, IWidth<T, TV>
        where TV : struct
        where TRows : struct, IRowCount
        where TBias : struct, IFlag
        where TInput : struct, IFlag
    {
        bool withInput = TInput.Value;
        ref T w = ref input.Weight;
        ref T dx = ref input.Dx;
        ref T y = ref input.Values;
        FusedActivation<T> activation = input.Activation;
        bool hasBias = TBias.Value;
        TW width = default;
        Width128<T> narrow = default;
        int rows = TRows.Count;
        bool vectorBias = hasBias && rows >= Vector128<T>.Count && rows <= 2 * Vector128<T>.Count;
        bool scalarBias = hasBias && !vectorBias;
        nuint tail = (nuint)(inFeatures - width.Count);
        nuint biasTail = (nuint)(rows - Vector128<T>.Count);
        ref T r0 = ref Unsafe.Add(ref dW, o * inFeatures);
        ref T r1 = ref Unsafe.Add(ref r0, rows > 1 ? 1 * inFeatures : 0);
        ref T r2 = ref Unsafe.Add(ref r0, rows > 2 ? 2 * inFeatures : 0);
        ref T r3 = ref Unsafe.Add(ref r0, rows > 3 ? 3 * inFeatures : 0);
        ref T r4 = ref Unsafe.Add(ref r0, rows > 4 ? 4 * inFeatures : 0);
        ref T r5 = ref Unsafe.Add(ref r0, rows > 5 ? 5 * inFeatures : 0);
        TV h0 = width.Load(ref r0, 0), e0 = width.Load(ref r0, tail);
        TV h1 = default, e1 = default, h2 = default, e2 = default, h3 = default, e3 = default, h4 = default, e4 = default, h5 = default, e5 = default;
        if (rows > 1)
        {
            h1 = width.Load(ref r1, 0);
            e1 = width.Load(ref r1, tail);
        }

        if (rows > 2)
        {
            h2 = width.Load(ref r2, 0);
            e2 = width.Load(ref r2, tail);
        }

        if (rows > 3)
        {
            h3 = width.Load(ref r3, 0);
            e3 = width.Load(ref r3, tail);
        }

        if (rows > 4)
        {
            h4 = width.Load(ref r4, 0);
            e4 = width.Load(ref r4, tail);
        }

        if (rows > 5)
        {
            h5 = width.Load(ref r5, 0);
            e5 = width.Load(ref r5, tail);
        }

        ref T bias = ref Unsafe.Add(ref dB, hasBias ? o : 0);
        Vector128<T> biasHead = vectorBias ? narrow.Load(ref bias, 0) : default, biasEnd = vectorBias ? narrow.Load(ref bias, biasTail) : default;
        T b0 = scalarBias ? bias : T.Zero;
        T b1 = scalarBias && rows > 1 ? Unsafe.Add(ref bias, 1) : T.Zero;
        T b2 = scalarBias && rows > 2 ? Unsafe.Add(ref bias, 2) : T.Zero;
        T b3 = scalarBias && rows > 3 ? Unsafe.Add(ref bias, 3) : T.Zero;
        T b4 = scalarBias && rows > 4 ? Unsafe.Add(ref bias, 4) : T.Zero;
        T b5 = scalarBias && rows > 5 ? Unsafe.Add(ref bias, 5) : T.Zero;
        ref T xb = ref x;
        ref T d = ref Unsafe.Add(ref dy, o);
        ref T gate = ref y;
        ref T dxb = ref dx;
        for (int b = 0; b < batch; b++)
        {
            TV head = width.Load(ref xb, 0), end = width.Load(ref xb, tail);
            TV s = width.Broadcast(d);
            h0 = width.AddProduct(h0, s, head);
            e0 = width.AddProduct(e0, s, end);
            TV gh = withInput ? width.AddProduct(width.Zero, s, width.Load(ref w, 0)) : default;
            TV ge = withInput ? width.AddProduct(width.Zero, s, width.Load(ref w, tail)) : default;
            if (scalarBias)
            {
                b0 += d;
            }
            if (rows > 1)
            {
                s = width.Broadcast(Unsafe.Add(ref d, 1));
                h1 = width.AddProduct(h1, s, head);
                e1 = width.AddProduct(e1, s, end);
                if (withInput)
                {
                    gh = width.AddProduct(gh, s, width.Load(ref Unsafe.Add(ref w, 1 * inFeatures), 0));
                    ge = width.AddProduct(ge, s, width.Load(ref Unsafe.Add(ref w, 1 * inFeatures), tail));
                }
                if (scalarBias)
                {
                    b1 += Unsafe.Add(ref d, 1);
                }
            }

            if (rows > 2)
            {
                s = width.Broadcast(Unsafe.Add(ref d, 2));
                h2 = width.AddProduct(h2, s, head);
                e2 = width.AddProduct(e2, s, end);
                if (withInput)
                {
                    gh = width.AddProduct(gh, s, width.Load(ref Unsafe.Add(ref w, 2 * inFeatures), 0));
                    ge = width.AddProduct(ge, s, width.Load(ref Unsafe.Add(ref w, 2 * inFeatures), tail));
                }
                if (scalarBias)
                {
                    b2 += Unsafe.Add(ref d, 2);
                }
            }

            if (rows > 3)
            {
                s = width.Broadcast(Unsafe.Add(ref d, 3));
                h3 = width.AddProduct(h3, s, head);
                e3 = width.AddProduct(e3, s, end);
                if (withInput)
                {
                    gh = width.AddProduct(gh, s, width.Load(ref Unsafe.Add(ref w, 3 * inFeatures), 0));
                    ge = width.AddProduct(ge, s, width.Load(ref Unsafe.Add(ref w, 3 * inFeatures), tail));
                }
                if (scalarBias)
                {
                    b3 += Unsafe.Add(ref d, 3);
                }
            }

            if (rows > 4)
            {
                s = width.Broadcast(Unsafe.Add(ref d, 4));
                h4 = width.AddProduct(h4, s, head);
                e4 = width.AddProduct(e4, s, end);
                if (withInput)
                {
                    gh = width.AddProduct(gh, s, width.Load(ref Unsafe.Add(ref w, 4 * inFeatures), 0));
                    ge = width.AddProduct(ge, s, width.Load(ref Unsafe.Add(ref w, 4 * inFeatures), tail));
                }
                if (scalarBias)
                {
                    b4 += Unsafe.Add(ref d, 4);
                }
            }

            if (rows > 5)
            {
                s = width.Broadcast(Unsafe.Add(ref d, 5));
                h5 = width.AddProduct(h5, s, head);
                e5 = width.AddProduct(e5, s, end);
                if (withInput)
                {
                    gh = width.AddProduct(gh, s, width.Load(ref Unsafe.Add(ref w, 5 * inFeatures), 0));
                    ge = width.AddProduct(ge, s, width.Load(ref Unsafe.Add(ref w, 5 * inFeatures), tail));
                }
                if (scalarBias)
                {
                    b5 += Unsafe.Add(ref d, 5);
                }
            }

            if (vectorBias)
            {
                biasHead = narrow.Add(biasHead, narrow.Load(ref d, 0));
                biasEnd = narrow.Add(biasEnd, narrow.Load(ref d, biasTail));
            }

            if (withInput)
            {
                if (!activation.IsNone)
                {
                    gh = width.Gate(activation.Kind, activation.Slope, width.Load(ref gate, 0), gh);
                    ge = width.Gate(activation.Kind, activation.Slope, width.Load(ref gate, tail), ge);
                }

                width.Store(gh, ref dxb, 0);
                width.Store(ge, ref dxb, tail);
                gate = ref Unsafe.Add(ref gate, inFeatures);
                dxb = ref Unsafe.Add(ref dxb, inFeatures);
            }

            xb = ref Unsafe.Add(ref xb, inFeatures);
            d = ref Unsafe.Add(ref d, outFeatures);
        }

        // The overlap of a row's two vectors holds the same values in both: the second store rewrites them unchanged.
        width.Store(h0, ref r0, 0);
        width.Store(e0, ref r0, tail);
        if (rows > 1)
        {
            width.Store(h1, ref r1, 0);
            width.Store(e1, ref r1, tail);
        }

        if (rows > 2)
        {
            width.Store(h2, ref r2, 0);
            width.Store(e2, ref r2, tail);
        }

        if (rows > 3)
        {
            width.Store(h3, ref r3, 0);
            width.Store(e3, ref r3, tail);
        }

        if (rows > 4)
        {
            width.Store(h4, ref r4, 0);
            width.Store(e4, ref r4, tail);
        }

        if (rows > 5)
        {
            width.Store(h5, ref r5, 0);
            width.Store(e5, ref r5, tail);
        }

        if (vectorBias)
        {
            narrow.Store(biasHead, ref bias, 0);
            narrow.Store(biasEnd, ref bias, biasTail);
        }
        else if (scalarBias)
        {
            bias = b0;
            SetIf(rows > 1, ref bias, 1, b1);
            SetIf(rows > 2, ref bias, 2, b2);
            SetIf(rows > 3, ref bias, 3, b3);
            SetIf(rows > 4, ref bias, 4, b4);
            SetIf(rows > 5, ref bias, 5, b5);
        }
    }

    /// <summary>
    /// Both backward products of a layer with one output and at most one vector of in features (a regression head such as
    /// the seed's Linear(5, 1)): a row of x, of the input's gate and of dx is one vector whose lanes past the row hold the
    /// next row's first values (read and ignored, or written and then rewritten by that row, rows ascending); the last
    /// rows, where a vector would pass the end, go one value at a time. Every value gets the operations of
    /// <see cref="WeightBlock{T, TW, TV, TRows, TBias, TInput}"/> (dW[i] + dy·x[i]; dB + dy; dx from +0 + dy·W[i], then the
    /// gate), so the bits are the same.
    /// </summary>
    private static void BackwardColumn<T>(ref T dy, ref T x, ref T dW, ref T dB, bool hasBias, int batch, int inFeatures, in InputGradient<T> input)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Vector256<T> w = Leading(ref input.Weight, inFeatures), sum = Leading(ref dW, inFeatures);
        T bias = hasBias ? dB : T.Zero;
        FusedActivation<T> activation = input.Activation;
        Width256<T> width = default;

        // Rows whose vector ends inside x: b·in + lanes ≤ batch·in.
        int vectorRows = Math.Max(0, batch - ((Vector256<T>.Count + inFeatures - 1) / inFeatures) + 1);
        int b = 0;
        for (; b < vectorRows; b++)
        {
            T d = Unsafe.Add(ref dy, b);
            Vector256<T> s = Vector256.Create(d);
            nuint at = (nuint)(b * inFeatures);
            sum += s * Vector256.LoadUnsafe(ref x, at);
            bias += d;
            Vector256<T> g = Vector256<T>.Zero + (s * w);
            if (!activation.IsNone)
            {
                g = width.Gate(activation.Kind, activation.Slope, Vector256.LoadUnsafe(ref input.Values, at), g);
            }

            g.StoreUnsafe(ref input.Dx, at);
        }

        // The sums' lanes inside the row back to dW, then the last rows' terms added to them there.
        KernelMath.StoreLeading(sum, ref dW, inFeatures);
        for (; b < batch; b++)
        {
            T d = Unsafe.Add(ref dy, b);
            bias += d;
            for (int i = 0; i < inFeatures; i++)
            {
                int at = (b * inFeatures) + i;
                Unsafe.Add(ref dW, i) += d * Unsafe.Add(ref x, at);
                T g = T.Zero;
                g += d * Unsafe.Add(ref input.Weight, i);
                Unsafe.Add(ref input.Dx, at) = activation.IsNone ? g : activation.Backward(Unsafe.Add(ref input.Values, at), g);
            }
        }

        if (hasBias)
        {
            dB = bias;
        }
    }

    /// <summary>
    /// The first <paramref name="count"/> values at <paramref name="source"/> (at most one vector of them) in a vector
    /// whose other lanes are 0, built in registers: nothing past them is read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Leading<T>(ref T source, int count)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            ref float f = ref Unsafe.As<T, float>(ref source);
            return Vector256.Create(f, count > 1 ? Unsafe.Add(ref f, 1) : 0f, count > 2 ? Unsafe.Add(ref f, 2) : 0f, count > 3 ? Unsafe.Add(ref f, 3) : 0f,
                count > 4 ? Unsafe.Add(ref f, 4) : 0f, count > 5 ? Unsafe.Add(ref f, 5) : 0f, count > 6 ? Unsafe.Add(ref f, 6) : 0f, count > 7 ? Unsafe.Add(ref f, 7) : 0f).As<float, T>();
        }

        ref double v = ref Unsafe.As<T, double>(ref source);
        return Vector256.Create(v, count > 1 ? Unsafe.Add(ref v, 1) : 0d, count > 2 ? Unsafe.Add(ref v, 2) : 0d, count > 3 ? Unsafe.Add(ref v, 3) : 0d).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SetIf<T>(bool condition, ref T target, int offset, T value)
    {
        if (condition)
        {
            Unsafe.Add(ref target, offset) = value;
        }
    }

    /// <summary>
    /// dx[b, ·] = Σ_o dy[b, o]·W[o, ·] (o ascending, from +0) for a row shorter than a line: each dx row in at most two
    /// overlapping vectors. With an <paramref name="activation"/>, each sum then goes back through it, gated by the
    /// activation's output <paramref name="input"/>[b, ·] (this layer's input).
    /// </summary>
    private static void BackwardInputSmall<T>(ref T dy, ref T w, ref T dx, int batch, int inFeatures, int outFeatures, FusedActivation<T> activation, ref T input)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (Vector256.IsHardwareAccelerated && inFeatures >= Vector256<T>.Count)
        {
            InputRows<T, Width256<T>, Vector256<T>>(default, ref dy, ref w, ref dx, batch, inFeatures, outFeatures, activation, ref input);
        }
        else if (Vector128.IsHardwareAccelerated && inFeatures >= Vector128<T>.Count && inFeatures <= 2 * Vector128<T>.Count)
        {
            InputRows<T, Width128<T>, Vector128<T>>(default, ref dy, ref w, ref dx, batch, inFeatures, outFeatures, activation, ref input);
        }
        else
        {
            for (int b = 0; b < batch; b++)
            {
                ref T d = ref Unsafe.Add(ref dy, b * outFeatures);
                for (int i = 0; i < inFeatures; i++)
                {
                    T sum = T.Zero;
                    for (int o = 0; o < outFeatures; o++)
                    {
                        sum += Unsafe.Add(ref d, o) * Unsafe.Add(ref w, (o * inFeatures) + i);
                    }

                    int at = (b * inFeatures) + i;
                    Unsafe.Add(ref dx, at) = activation.IsNone ? sum : activation.Backward(Unsafe.Add(ref input, at), sum);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputRows<T, TW, TV>(TW width, ref T dy, ref T w, ref T dx, int batch, int inFeatures, int outFeatures, FusedActivation<T> activation, ref T input)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TW : struct, IWidth<T, TV>
        where TV : struct
    {
        nuint tail = (nuint)(inFeatures - width.Count);
        for (int b = 0; b < batch; b++)
        {
            ref T d = ref Unsafe.Add(ref dy, b * outFeatures);
            TV head = width.Zero, end = width.Zero;
            for (int o = 0; o < outFeatures; o++)
            {
                ref T wo = ref Unsafe.Add(ref w, o * inFeatures);
                TV s = width.Broadcast(Unsafe.Add(ref d, o));
                head = width.AddProduct(head, s, width.Load(ref wo, 0));
                end = width.AddProduct(end, s, width.Load(ref wo, tail));
            }

            ref T target = ref Unsafe.Add(ref dx, b * inFeatures);
            if (!activation.IsNone)
            {
                ref T y = ref Unsafe.Add(ref input, b * inFeatures);
                head = width.Gate(activation.Kind, activation.Slope, width.Load(ref y, 0), head);
                end = width.Gate(activation.Kind, activation.Slope, width.Load(ref y, tail), end);
            }

            width.Store(head, ref target, 0);
            width.Store(end, ref target, tail);
        }
    }

    /// <summary>dB[o] += Σ_b dy[b, o], b ascending, for a row shorter than a line: the sums held in registers.</summary>
    private static void BiasSmall<T>(ref T dy, ref T dB, int batch, int outFeatures)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (Vector256.IsHardwareAccelerated && outFeatures >= Vector256<T>.Count)
        {
            ColumnSums<T, Width256<T>, Vector256<T>>(default, ref dy, ref dB, batch, outFeatures);
        }
        else if (Vector128.IsHardwareAccelerated && outFeatures >= Vector128<T>.Count && outFeatures <= 2 * Vector128<T>.Count)
        {
            ColumnSums<T, Width128<T>, Vector128<T>>(default, ref dy, ref dB, batch, outFeatures);
        }
        else
        {
            for (int o = 0; o < outFeatures; o++)
            {
                T sum = Unsafe.Add(ref dB, o);
                for (int b = 0; b < batch; b++)
                {
                    sum += Unsafe.Add(ref dy, (b * outFeatures) + o);
                }

                Unsafe.Add(ref dB, o) = sum;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ColumnSums<T, TW, TV>(TW width, ref T dy, ref T dB, int batch, int outFeatures)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TW : struct, IWidth<T, TV>
        where TV : struct
    {
        nuint tail = (nuint)(outFeatures - width.Count);
        TV head = width.Load(ref dB, 0), end = width.Load(ref dB, tail);
        for (int b = 0; b < batch; b++)
        {
            ref T row = ref Unsafe.Add(ref dy, b * outFeatures);
            head = width.Add(head, width.Load(ref row, 0));
            end = width.Add(end, width.Load(ref row, tail));
        }

        width.Store(head, ref dB, 0);
        width.Store(end, ref dB, tail);
    }

    /// <summary>
    /// The activation a small layer applies before it stores (none, Relu or LeakyRelu), with
    /// <see cref="Activations"/>' operations: x ≤ 0 ? 0 : x, and x &gt; 0 ? x : slope·x.
    /// </summary>
    internal readonly struct FusedActivation<T>(GemmOptions kind, T slope)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public GemmOptions Kind => kind;

        public T Slope => slope;

        public bool IsNone => kind == GemmOptions.None;

        public T Apply(T v) => kind switch
        {
            GemmOptions.Relu => v <= T.Zero ? T.Zero : v,
            GemmOptions.LeakyRelu => v > T.Zero ? v : v * slope,
            _ => v,
        };

        public Vector256<T> Apply(Vector256<T> v) => kind switch
        {
            GemmOptions.Relu => Vector256.ConditionalSelect(Vector256.LessThanOrEqual(v, Vector256<T>.Zero), Vector256<T>.Zero, v),
            GemmOptions.LeakyRelu => Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<T>.Zero), v, v * Vector256.Create(slope)),
            _ => v,
        };

        /// <summary>The gradient of the activation's input from its output <paramref name="y"/> (valid for slope ≥ 0): y ≤ 0 ? 0 : g, and y &gt; 0 ? g : slope·g.</summary>
        public T Backward(T y, T g) => kind switch
        {
            GemmOptions.Relu => y <= T.Zero ? T.Zero : g,
            GemmOptions.LeakyRelu => y > T.Zero ? g : g * slope,
            _ => g,
        };

        /// <summary><see cref="Backward(T, T)"/> in each lane, as selects instead of branches.</summary>
        public Vector128<T> Backward(Vector128<T> y, Vector128<T> g) => kind switch
        {
            GemmOptions.Relu => Vector128.ConditionalSelect(Vector128.LessThanOrEqual(y, Vector128<T>.Zero), Vector128<T>.Zero, g),
            GemmOptions.LeakyRelu => Vector128.ConditionalSelect(Vector128.GreaterThan(y, Vector128<T>.Zero), g, g * Vector128.Create(slope)),
            _ => g,
        };
    }

    /// <summary>What a weight pass needs to write the input's gradient too: W, dx, and the input activation's gate.</summary>
    private readonly ref struct InputGradient<T>(ref T weight, ref T dx, ref T values, FusedActivation<T> activation)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public readonly ref T Weight = ref weight;
        public readonly ref T Dx = ref dx;
        public readonly ref T Values = ref values;
        public readonly FusedActivation<T> Activation = activation;
    }

    private readonly struct WithInput : IFlag
    {
        public static bool Value => true;
    }

    private readonly struct WithoutInput : IFlag
    {
        public static bool Value => false;
    }

    /// <summary>A yes or no as a type, so that code under a no is compiled out.</summary>
    private interface IFlag
    {
        static abstract bool Value { get; }
    }

    private readonly struct WithBias : IFlag
    {
        public static bool Value => true;
    }

    private readonly struct WithoutBias : IFlag
    {
        public static bool Value => false;
    }

    /// <summary>One vector per in feature of a small layer (fewer than 16), on the stack.</summary>
    [InlineArray(16)]
    private struct VectorTile<T>
        where T : unmanaged
    {
        private Vector256<T> _element;
    }

    /// <summary>One offset per lane of a Vector256 of floats (or doubles), on the stack.</summary>
    [InlineArray(8)]
    private struct Offsets
    {
        private int _element;
    }

    /// <summary>One value per lane of a Vector256 of floats (or doubles), on the stack.</summary>
    [InlineArray(8)]
    private struct LaneValues<T>
        where T : unmanaged
    {
        private T _element;
    }

    /// <summary>One vector width for the small-layer loops, so that each loop is written once for 256 and 128 bits.</summary>
    private interface IWidth<T, TV>
        where T : unmanaged
        where TV : struct
    {
        int Count { get; }

        TV Zero { get; }

        TV Load(ref T source, nuint offset);

        void Store(TV value, ref T target, nuint offset);

        TV Broadcast(T value);

        /// <summary>sum + s·v: one multiply, then one add (never fused).</summary>
        TV AddProduct(TV sum, TV s, TV v);

        TV Add(TV a, TV b);

        /// <summary>g through Relu or LeakyRelu, gated by the activation's output y: y ≤ 0 ? 0 : g, or y &gt; 0 ? g : slope·g.</summary>
        TV Gate(GemmOptions kind, T slope, TV y, TV g);
    }

    private readonly struct Width256<T> : IWidth<T, Vector256<T>>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public int Count => Vector256<T>.Count;

        public Vector256<T> Zero => Vector256<T>.Zero;

        public Vector256<T> Load(ref T source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);

        public void Store(Vector256<T> value, ref T target, nuint offset) => value.StoreUnsafe(ref target, offset);

        public Vector256<T> Broadcast(T value) => Vector256.Create(value);

        public Vector256<T> AddProduct(Vector256<T> sum, Vector256<T> s, Vector256<T> v) => sum + (s * v);

        public Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;

        public Vector256<T> Gate(GemmOptions kind, T slope, Vector256<T> y, Vector256<T> g) => kind == GemmOptions.Relu
            ? Vector256.ConditionalSelect(Vector256.LessThanOrEqual(y, Vector256<T>.Zero), Vector256<T>.Zero, g)
            : Vector256.ConditionalSelect(Vector256.GreaterThan(y, Vector256<T>.Zero), g, g * Vector256.Create(slope));
    }

    private readonly struct Width128<T> : IWidth<T, Vector128<T>>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public int Count => Vector128<T>.Count;

        public Vector128<T> Zero => Vector128<T>.Zero;

        public Vector128<T> Load(ref T source, nuint offset) => Vector128.LoadUnsafe(ref source, offset);

        public void Store(Vector128<T> value, ref T target, nuint offset) => value.StoreUnsafe(ref target, offset);

        public Vector128<T> Broadcast(T value) => Vector128.Create(value);

        public Vector128<T> AddProduct(Vector128<T> sum, Vector128<T> s, Vector128<T> v) => sum + (s * v);

        public Vector128<T> Add(Vector128<T> a, Vector128<T> b) => a + b;

        public Vector128<T> Gate(GemmOptions kind, T slope, Vector128<T> y, Vector128<T> g) => kind == GemmOptions.Relu
            ? Vector128.ConditionalSelect(Vector128.LessThanOrEqual(y, Vector128<T>.Zero), Vector128<T>.Zero, g)
            : Vector128.ConditionalSelect(Vector128.GreaterThan(y, Vector128<T>.Zero), g, g * Vector128.Create(slope));
    }
}
