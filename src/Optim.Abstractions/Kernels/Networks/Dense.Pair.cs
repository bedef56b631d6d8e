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

        Pair(ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(x)), ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(weight1)), ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(bias1)),
            !bias1.IsEmpty, ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(hidden)), activation1, (float)slope1,
            ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(weight2)), ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(bias2)), !bias2.IsEmpty,
            ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(y)), activation2, (float)slope2, batch, inFeatures, hiddenFeatures, outFeatures);
    }

    /// <summary>
    /// The float pair once the spans are checked (a method of its own, so that the caller's inlining budget is not spent
    /// on it): blocks of rows in vectors, then the last rows one scalar chain at a time, the same chains.
    /// </summary>
    private static void Pair(ref float x, ref float weight1, ref float bias1, bool hasBias1, ref float hidden, GemmOptions activation1, float slope1,
        ref float weight2, ref float bias2, bool hasBias2, ref float y, GemmOptions activation2, float slope2, int batch, int inFeatures, int hiddenFeatures, int outFeatures)
    {
        var first = new PairLayer(ref weight1, ref bias1, hasBias1, new FusedActivation<float>(activation1, slope1), inFeatures, hiddenFeatures);
        var second = new PairLayer(ref weight2, ref bias2, hasBias2, new FusedActivation<float>(activation2, slope2), hiddenFeatures, outFeatures);
        int full = batch - (batch % 8);
        PairRows(ref x, ref hidden, ref y, first, second, full, batch);
        if (full < batch)
        {
            ForwardRows(ref x, ref weight1, hasBias1 ? MemoryMarshal.CreateReadOnlySpan(ref bias1, hiddenFeatures) : default, ref hidden, full, batch, inFeatures, hiddenFeatures, first.Activation);
            ForwardRows(ref hidden, ref weight2, hasBias2 ? MemoryMarshal.CreateReadOnlySpan(ref bias2, outFeatures) : default, ref y, full, batch, hiddenFeatures, outFeatures, second.Activation);
        }
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
    /// Sixteen rows at a time, as two blocks of eight whose chains interleave (while one block's add waits, the other's
    /// runs) and share each broadcast weight: every hidden unit's chain runs in its own register, all of them in one loop
    /// over the features (each column loaded once); the second layer then reads the units from those registers. A last
    /// block of eight runs as both blocks (the same values computed twice and stored twice).
    /// </summary>
    [SkipLocalsInit]
    private static void PairRows<TUnits>(ref float x, ref float h, ref float y, in PairLayer first, in PairLayer second, int end, int batch)
        where TUnits : IRowCount
    {
        // columnsA[i], columnsB[i]: feature i of each block's eight rows (and, once the hidden units are done, its outputs).
        Unsafe.SkipInit(out VectorTile<float> bufferA);
        Unsafe.SkipInit(out VectorTile<float> bufferB);
        ref Vector256<float> columnsA = ref Unsafe.As<VectorTile<float>, Vector256<float>>(ref bufferA);
        ref Vector256<float> columnsB = ref Unsafe.As<VectorTile<float>, Vector256<float>>(ref bufferB);
        int inputs = first.Inputs, outputs = second.Outputs, units = TUnits.Count;
        ref float w = ref first.Weight;
        for (int a = 0; a < end; a += 16)
        {
            int b = a + 8 < end ? a + 8 : a;
            Columns(ref Unsafe.Add(ref x, a * inputs), inputs, ref columnsA);
            Columns(ref Unsafe.Add(ref x, b * inputs), inputs, ref columnsB);

            Vector256<float> ca = columnsA, cb = columnsB, zero = Vector256<float>.Zero, v;
            v = Vector256.Create(w);
            Vector256<float> a0 = ca * v, b0 = cb * v;
            v = units > 1 ? Vector256.Create(Unsafe.Add(ref w, inputs)) : zero;
            Vector256<float> a1 = units > 1 ? ca * v : zero, b1 = units > 1 ? cb * v : zero;
            v = units > 2 ? Vector256.Create(Unsafe.Add(ref w, 2 * inputs)) : zero;
            Vector256<float> a2 = units > 2 ? ca * v : zero, b2 = units > 2 ? cb * v : zero;
            v = units > 3 ? Vector256.Create(Unsafe.Add(ref w, 3 * inputs)) : zero;
            Vector256<float> a3 = units > 3 ? ca * v : zero, b3 = units > 3 ? cb * v : zero;
            v = units > 4 ? Vector256.Create(Unsafe.Add(ref w, 4 * inputs)) : zero;
            Vector256<float> a4 = units > 4 ? ca * v : zero, b4 = units > 4 ? cb * v : zero;
            v = units > 5 ? Vector256.Create(Unsafe.Add(ref w, 5 * inputs)) : zero;
            Vector256<float> a5 = units > 5 ? ca * v : zero, b5 = units > 5 ? cb * v : zero;
            v = units > 6 ? Vector256.Create(Unsafe.Add(ref w, 6 * inputs)) : zero;
            Vector256<float> a6 = units > 6 ? ca * v : zero, b6 = units > 6 ? cb * v : zero;
            v = units > 7 ? Vector256.Create(Unsafe.Add(ref w, 7 * inputs)) : zero;
            Vector256<float> a7 = units > 7 ? ca * v : zero, b7 = units > 7 ? cb * v : zero;
            for (int i = 1; i < inputs; i++)
            {
                ca = Unsafe.Add(ref columnsA, i);
                cb = Unsafe.Add(ref columnsB, i);
                ref float wi = ref Unsafe.Add(ref w, i);
                v = Vector256.Create(wi);
                a0 += ca * v;
                b0 += cb * v;
                if (units > 1) { v = Vector256.Create(Unsafe.Add(ref wi, inputs)); a1 += ca * v; b1 += cb * v; }
                if (units > 2) { v = Vector256.Create(Unsafe.Add(ref wi, 2 * inputs)); a2 += ca * v; b2 += cb * v; }
                if (units > 3) { v = Vector256.Create(Unsafe.Add(ref wi, 3 * inputs)); a3 += ca * v; b3 += cb * v; }
                if (units > 4) { v = Vector256.Create(Unsafe.Add(ref wi, 4 * inputs)); a4 += ca * v; b4 += cb * v; }
                if (units > 5) { v = Vector256.Create(Unsafe.Add(ref wi, 5 * inputs)); a5 += ca * v; b5 += cb * v; }
                if (units > 6) { v = Vector256.Create(Unsafe.Add(ref wi, 6 * inputs)); a6 += ca * v; b6 += cb * v; }
                if (units > 7) { v = Vector256.Create(Unsafe.Add(ref wi, 7 * inputs)); a7 += ca * v; b7 += cb * v; }
            }

            a0 = first.Finish(a0, 0);
            b0 = first.Finish(b0, 0);
            if (units > 1) { a1 = first.Finish(a1, 1); b1 = first.Finish(b1, 1); }
            if (units > 2) { a2 = first.Finish(a2, 2); b2 = first.Finish(b2, 2); }
            if (units > 3) { a3 = first.Finish(a3, 3); b3 = first.Finish(b3, 3); }
            if (units > 4) { a4 = first.Finish(a4, 4); b4 = first.Finish(b4, 4); }
            if (units > 5) { a5 = first.Finish(a5, 5); b5 = first.Finish(b5, 5); }
            if (units > 6) { a6 = first.Finish(a6, 6); b6 = first.Finish(b6, 6); }
            if (units > 7) { a7 = first.Finish(a7, 7); b7 = first.Finish(b7, 7); }
            // The second layer: output k is the chain over the units, in order. It runs before the hidden values are
            // stored: their transposes then take the units' registers instead of spilling around them.
            for (int k = 0; k < outputs; k++)
            {
                ref float u = ref Unsafe.Add(ref second.Weight, k * units);
                v = Vector256.Create(u);
                Vector256<float> sumA = a0 * v, sumB = b0 * v;
                if (units > 1) { v = Vector256.Create(Unsafe.Add(ref u, 1)); sumA += a1 * v; sumB += b1 * v; }
                if (units > 2) { v = Vector256.Create(Unsafe.Add(ref u, 2)); sumA += a2 * v; sumB += b2 * v; }
                if (units > 3) { v = Vector256.Create(Unsafe.Add(ref u, 3)); sumA += a3 * v; sumB += b3 * v; }
                if (units > 4) { v = Vector256.Create(Unsafe.Add(ref u, 4)); sumA += a4 * v; sumB += b4 * v; }
                if (units > 5) { v = Vector256.Create(Unsafe.Add(ref u, 5)); sumA += a5 * v; sumB += b5 * v; }
                if (units > 6) { v = Vector256.Create(Unsafe.Add(ref u, 6)); sumA += a6 * v; sumB += b6 * v; }
                if (units > 7) { v = Vector256.Create(Unsafe.Add(ref u, 7)); sumA += a7 * v; sumB += b7 * v; }
                Unsafe.Add(ref columnsA, k) = second.Finish(sumA, k);
                Unsafe.Add(ref columnsB, k) = second.Finish(sumB, k);
            }

            StoreRows(a0, a1, a2, a3, a4, a5, a6, a7, ref h, a, units, batch);
            StoreRows(b0, b1, b2, b3, b4, b5, b6, b7, ref h, b, units, batch);
            StoreOutputs(ref columnsA, ref y, a, outputs, batch);
            StoreOutputs(ref columnsB, ref y, b, outputs, batch);
        }
    }

    /// <summary>A block's outputs (columns[k]: output k of its eight rows, from row <paramref name="b"/>) to their rows of y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreOutputs(ref Vector256<float> columns, ref float y, int b, int outputs, int batch)
    {
        if (outputs == 1)
        {
            columns.StoreUnsafe(ref y, (nuint)b);
            return;
        }

        StoreRows(columns, Unsafe.Add(ref columns, 1), Unsafe.Add(ref columns, 2), Unsafe.Add(ref columns, 3),
            Unsafe.Add(ref columns, 4), Unsafe.Add(ref columns, 5), Unsafe.Add(ref columns, 6), Unsafe.Add(ref columns, 7), ref y, b, outputs, batch);
    }

    /// <summary>
    /// Features in − 8 … in − 1 of eight rows, then features 0–7 (which rewrite the overlap with the same values):
    /// columns[i] holds feature i of the eight rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns(ref float rows, int inputs, ref Vector256<float> columns)
    {
        Gemm.Transpose8(ref Unsafe.Add(ref rows, inputs - 8), inputs, ref Unsafe.As<Vector256<float>, float>(ref Unsafe.Add(ref columns, inputs - 8)), 8);
        Gemm.Transpose8(ref rows, inputs, ref Unsafe.As<Vector256<float>, float>(ref columns), 8);
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
        Gemm.Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
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
}
