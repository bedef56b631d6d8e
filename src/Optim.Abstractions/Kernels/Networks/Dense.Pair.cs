using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Optim.Kernels;

/// <summary>
/// Two small layers in a row (the seed's 10 → 5 → 1: Linear, Relu, Linear) in one pass over the batch. Eight rows of the
/// batch share each vector: their features are transposed into columns in registers, the hidden layer is one vector
/// chain per hidden unit, and the second layer reads the hidden values from the registers they were computed in, so no
/// feature or hidden value is gathered lane by lane. The hidden values are transposed back to their rows as they are
/// stored. Every output keeps the chain of <see cref="Forward{T}"/> (terms in ascending order, one multiply and one add
/// each, then the bias, then the activation), so the results have the same bits as the two calls.
/// </summary>
public static partial class Dense
{
    /// <summary>
    /// hidden = activation1(x·W1ᵀ + b1), then y = activation2(hidden·W2ᵀ + b2): the same bits as
    /// <see cref="Forward{T}"/> for the first layer into <paramref name="hidden"/> and then for the second into
    /// <paramref name="y"/>, which is what runs unless both layers are small (float, 8 to 15 in features, at most 8
    /// hidden units and outputs, 256-bit vectors).
    /// </summary>
    public static void ForwardPair<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight1, ReadOnlySpan<T> bias1, Span<T> hidden, GemmOptions activation1, double slope1,
        ReadOnlySpan<T> weight2, ReadOnlySpan<T> bias2, Span<T> y, GemmOptions activation2, double slope2, int batch, int inFeatures, int hiddenFeatures, int outFeatures, int maxThreads = 1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckForward(x.Length, weight1.Length, bias1.Length, hidden.Length, batch, inFeatures, hiddenFeatures, activation1, nameof(x), nameof(weight1), nameof(bias1), nameof(hidden), nameof(activation1));
        CheckForward(hidden.Length, weight2.Length, bias2.Length, y.Length, batch, hiddenFeatures, outFeatures, activation2, nameof(hidden), nameof(weight2), nameof(bias2), nameof(y), nameof(activation2));
        if (typeof(T) != typeof(float) || !Avx.IsSupported || !Vector256.IsHardwareAccelerated || inFeatures < 8 || inFeatures >= Lanes.Line<T>()
            || hiddenFeatures > 8 || outFeatures > 8 || batch < 8)
        {
            Forward(x, weight1, bias1, hidden, batch, inFeatures, hiddenFeatures, activation1, slope1, maxThreads);
            Forward(hidden, weight2, bias2, y, batch, hiddenFeatures, outFeatures, activation2, slope2, maxThreads);
            return;
        }

        var first = new PairLayer(ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(weight1)), ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(bias1)), !bias1.IsEmpty,
            new FusedActivation<float>(activation1, (float)slope1), inFeatures, hiddenFeatures);
        var second = new PairLayer(ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(weight2)), ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(bias2)), !bias2.IsEmpty,
            new FusedActivation<float>(activation2, (float)slope2), hiddenFeatures, outFeatures);
        ref float xr = ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(x));
        ref float hr = ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(hidden));
        ref float yr = ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(y));
        int full = batch - (batch % 8);
        PairRows(ref xr, ref hr, ref yr, first, second, full, batch);

        // The last rows one scalar chain at a time, the same chains.
        ForwardRows(ref xr, ref first.Weight, first.HasBias ? MemoryMarshal.CreateReadOnlySpan(ref first.Bias, hiddenFeatures) : default, ref hr, full, batch, inFeatures, hiddenFeatures, first.Activation);
        ForwardRows(ref hr, ref second.Weight, second.HasBias ? MemoryMarshal.CreateReadOnlySpan(ref second.Bias, outFeatures) : default, ref yr, full, batch, hiddenFeatures, outFeatures, second.Activation);
    }

    /// <summary>One layer of a pair: W [outputs, inputs], its bias and activation.</summary>
    private readonly ref struct PairLayer(ref float weight, ref float bias, bool hasBias, FusedActivation<float> activation, int inputs, int outputs)
    {
        public readonly ref float Weight = ref weight;
        public readonly ref float Bias = ref bias;
        public readonly bool HasBias = hasBias;
        public readonly FusedActivation<float> Activation = activation;
        public readonly int Inputs = inputs;
        public readonly int Outputs = outputs;

        /// <summary>The bias of output o (if any), then the activation: the end of every chain.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Finish(Vector256<float> sum, int o) => Activation.Apply(HasBias ? sum + Vector256.Create(Unsafe.Add(ref Bias, o)) : sum);
    }

    /// <summary>Rows [0, <paramref name="end"/>) in blocks of eight, compiled for the hidden layer's width; <paramref name="batch"/> bounds the stores.</summary>
    private static void PairRows(ref float x, ref float h, ref float y, in PairLayer first, in PairLayer second, int end, int batch)
    {
        switch (first.Outputs)
        {
            case 1: PairRows<Rows1>(ref x, ref h, ref y, first, second, end, batch); break;
            case 2: PairRows<Rows2>(ref x, ref h, ref y, first, second, end, batch); break;
            case 3: PairRows<Rows3>(ref x, ref h, ref y, first, second, end, batch); break;
            case 4: PairRows<Rows4>(ref x, ref h, ref y, first, second, end, batch); break;
            case 5: PairRows<Rows5>(ref x, ref h, ref y, first, second, end, batch); break;
            case 6: PairRows<Rows6>(ref x, ref h, ref y, first, second, end, batch); break;
            case 7: PairRows<Rows7>(ref x, ref h, ref y, first, second, end, batch); break;
            default: PairRows<Rows8>(ref x, ref h, ref y, first, second, end, batch); break;
        }
    }

    /// <summary>
    /// Every hidden unit's chain runs in its own register, all of them in one loop over the features (each column loaded
    /// once), so their adds overlap; the second layer then reads the units from those registers.
    /// </summary>
    [SkipLocalsInit]
    private static void PairRows<TUnits>(ref float x, ref float h, ref float y, in PairLayer first, in PairLayer second, int end, int batch)
        where TUnits : IRowCount
    {
        // columns[i]: feature i of the block's eight rows (and, once the hidden units are done, the block's outputs).
        Unsafe.SkipInit(out VectorTile<float> columnBuffer);
        ref Vector256<float> columns = ref Unsafe.As<VectorTile<float>, Vector256<float>>(ref columnBuffer);
        int inputs = first.Inputs, outputs = second.Outputs, units = TUnits.Count;
        ref float w = ref first.Weight;
        for (int b = 0; b < end; b += 8)
        {
            // Features in − 8 … in − 1 of the eight rows, then features 0–7 (which rewrite the overlap with the same values):
            // columns[i] holds feature i.
            ref float rows = ref Unsafe.Add(ref x, b * inputs);
            Transpose8(ref Unsafe.Add(ref rows, inputs - 8), inputs, ref Unsafe.As<Vector256<float>, float>(ref Unsafe.Add(ref columns, inputs - 8)), 8);
            Transpose8(ref rows, inputs, ref Unsafe.As<Vector256<float>, float>(ref columns), 8);

            Vector256<float> c = columns, zero = Vector256<float>.Zero;
            Vector256<float> s0 = c * Vector256.Create(w);
            Vector256<float> s1 = units > 1 ? c * Vector256.Create(Unsafe.Add(ref w, inputs)) : zero;
            Vector256<float> s2 = units > 2 ? c * Vector256.Create(Unsafe.Add(ref w, 2 * inputs)) : zero;
            Vector256<float> s3 = units > 3 ? c * Vector256.Create(Unsafe.Add(ref w, 3 * inputs)) : zero;
            Vector256<float> s4 = units > 4 ? c * Vector256.Create(Unsafe.Add(ref w, 4 * inputs)) : zero;
            Vector256<float> s5 = units > 5 ? c * Vector256.Create(Unsafe.Add(ref w, 5 * inputs)) : zero;
            Vector256<float> s6 = units > 6 ? c * Vector256.Create(Unsafe.Add(ref w, 6 * inputs)) : zero;
            Vector256<float> s7 = units > 7 ? c * Vector256.Create(Unsafe.Add(ref w, 7 * inputs)) : zero;
            for (int i = 1; i < inputs; i++)
            {
                c = Unsafe.Add(ref columns, i);
                ref float wi = ref Unsafe.Add(ref w, i);
                s0 += c * Vector256.Create(wi);
                if (units > 1) s1 += c * Vector256.Create(Unsafe.Add(ref wi, inputs));
                if (units > 2) s2 += c * Vector256.Create(Unsafe.Add(ref wi, 2 * inputs));
                if (units > 3) s3 += c * Vector256.Create(Unsafe.Add(ref wi, 3 * inputs));
                if (units > 4) s4 += c * Vector256.Create(Unsafe.Add(ref wi, 4 * inputs));
                if (units > 5) s5 += c * Vector256.Create(Unsafe.Add(ref wi, 5 * inputs));
                if (units > 6) s6 += c * Vector256.Create(Unsafe.Add(ref wi, 6 * inputs));
                if (units > 7) s7 += c * Vector256.Create(Unsafe.Add(ref wi, 7 * inputs));
            }

            s0 = first.Finish(s0, 0);
            if (units > 1) s1 = first.Finish(s1, 1);
            if (units > 2) s2 = first.Finish(s2, 2);
            if (units > 3) s3 = first.Finish(s3, 3);
            if (units > 4) s4 = first.Finish(s4, 4);
            if (units > 5) s5 = first.Finish(s5, 5);
            if (units > 6) s6 = first.Finish(s6, 6);
            if (units > 7) s7 = first.Finish(s7, 7);
            StoreRows(s0, s1, s2, s3, s4, s5, s6, s7, ref h, b, units, batch);

            // The second layer: output k is the chain over the units, in order.
            for (int k = 0; k < outputs; k++)
            {
                ref float v = ref Unsafe.Add(ref second.Weight, k * units);
                Vector256<float> sum = s0 * Vector256.Create(v);
                if (units > 1) sum += s1 * Vector256.Create(Unsafe.Add(ref v, 1));
                if (units > 2) sum += s2 * Vector256.Create(Unsafe.Add(ref v, 2));
                if (units > 3) sum += s3 * Vector256.Create(Unsafe.Add(ref v, 3));
                if (units > 4) sum += s4 * Vector256.Create(Unsafe.Add(ref v, 4));
                if (units > 5) sum += s5 * Vector256.Create(Unsafe.Add(ref v, 5));
                if (units > 6) sum += s6 * Vector256.Create(Unsafe.Add(ref v, 6));
                if (units > 7) sum += s7 * Vector256.Create(Unsafe.Add(ref v, 7));
                Unsafe.Add(ref columns, k) = second.Finish(sum, k);
            }

            if (outputs == 1)
            {
                columns.StoreUnsafe(ref y, (nuint)b);
                continue;
            }

            StoreRows(columns, Unsafe.Add(ref columns, 1), Unsafe.Add(ref columns, 2), Unsafe.Add(ref columns, 3),
                Unsafe.Add(ref columns, 4), Unsafe.Add(ref columns, 5), Unsafe.Add(ref columns, 6), Unsafe.Add(ref columns, 7), ref y, b, outputs, batch);
        }
    }

    /// <summary>
    /// The 8 × 8 block at <paramref name="source"/> (rows <paramref name="from"/> apart) transposed to
    /// <paramref name="target"/> (rows <paramref name="to"/> apart), in registers; also Conv2d's weight gradient's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose8(ref float source, int from, ref float target, int to)
    {
        Vector256<float> r0 = Vector256.LoadUnsafe(ref source), r1 = Vector256.LoadUnsafe(ref source, (nuint)from);
        Vector256<float> r2 = Vector256.LoadUnsafe(ref source, (nuint)(2 * from)), r3 = Vector256.LoadUnsafe(ref source, (nuint)(3 * from));
        Vector256<float> r4 = Vector256.LoadUnsafe(ref source, (nuint)(4 * from)), r5 = Vector256.LoadUnsafe(ref source, (nuint)(5 * from));
        Vector256<float> r6 = Vector256.LoadUnsafe(ref source, (nuint)(6 * from)), r7 = Vector256.LoadUnsafe(ref source, (nuint)(7 * from));
        Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        r0.StoreUnsafe(ref target);
        r1.StoreUnsafe(ref target, (nuint)to);
        r2.StoreUnsafe(ref target, (nuint)(2 * to));
        r3.StoreUnsafe(ref target, (nuint)(3 * to));
        r4.StoreUnsafe(ref target, (nuint)(4 * to));
        r5.StoreUnsafe(ref target, (nuint)(5 * to));
        r6.StoreUnsafe(ref target, (nuint)(6 * to));
        r7.StoreUnsafe(ref target, (nuint)(7 * to));
    }

    /// <summary>
    /// The eight vectors r0 … r7 (lane l: row b + l; vectors past <paramref name="count"/> are ignored) to rows b … b + 7 of a
    /// [batch, count] matrix: transposed, then each row stored whole where its eight lanes stay inside the matrix (the
    /// lanes past <paramref name="count"/> land on the next row, which is stored after it), else value by value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRows(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, ref float target, int b, int count, int batch)
    {
        Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        int total = batch * count;
        StoreRow(r0, ref target, b * count, count, total);
        StoreRow(r1, ref target, (b + 1) * count, count, total);
        StoreRow(r2, ref target, (b + 2) * count, count, total);
        StoreRow(r3, ref target, (b + 3) * count, count, total);
        StoreRow(r4, ref target, (b + 4) * count, count, total);
        StoreRow(r5, ref target, (b + 5) * count, count, total);
        StoreRow(r6, ref target, (b + 6) * count, count, total);
        StoreRow(r7, ref target, (b + 7) * count, count, total);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(Vector256<float> row, ref float target, int at, int count, int total)
    {
        if (at + 8 <= total)
        {
            row.StoreUnsafe(ref target, (nuint)at);
            return;
        }

        for (int k = 0; k < count; k++)
        {
            Unsafe.Add(ref target, at + k) = row.GetElement(k);
        }
    }

    /// <summary>An 8 × 8 float transpose in registers: pairs of rows interleaved, then quadruples, then the 128-bit halves exchanged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2, ref Vector256<float> r3,
        ref Vector256<float> r4, ref Vector256<float> r5, ref Vector256<float> r6, ref Vector256<float> r7)
    {
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        r0 = Avx.Permute2x128(u0, u4, 0x20);
        r1 = Avx.Permute2x128(u1, u5, 0x20);
        r2 = Avx.Permute2x128(u2, u6, 0x20);
        r3 = Avx.Permute2x128(u3, u7, 0x20);
        r4 = Avx.Permute2x128(u0, u4, 0x31);
        r5 = Avx.Permute2x128(u1, u5, 0x31);
        r6 = Avx.Permute2x128(u2, u6, 0x31);
        r7 = Avx.Permute2x128(u3, u7, 0x31);
    }
}
