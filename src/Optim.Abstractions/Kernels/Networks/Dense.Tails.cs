using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Optim.Kernels;

/// <summary>
/// The weight gradient of a small float layer with 9 or 10 in features (the seed's Linear(10, 5)): each W row is eight
/// features in one vector and a tail of one or two. <see cref="WeightBlock{T, TW, TV, TRows, TBias, TInput}"/> covers
/// the tail with a second vector over the row's last eight features, so a row costs two multiplies and two adds per
/// example; here the tails of several rows share one vector instead (eight rows' single features, or four rows' pairs),
/// and the bias sums one more, which takes about a third fewer operations per example (the seed's weight gradient alone:
/// 54 → 48 ns, its training step about 10 ns faster, on Zen 5 at both vector settings). Every weight keeps its chain
/// (its value, then + dy·x per example, examples ascending, one multiply and one add each), so the bits are the same.
/// </summary>
public static partial class Dense
{
    /// <summary>Whether <see cref="TailBlock{TRows, TBias, TPairs}"/> takes a layer: float, 256-bit vectors, 9 or 10 in features.</summary>
    private static bool PackedTails<T>(int inFeatures) =>
        typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated && inFeatures - Vector256<float>.Count is 1 or 2;

    /// <summary>The layer's outputs in the blocks <see cref="BlockRows"/> gives.</summary>
    private static void TailBlocks(ref float dy, ref float x, ref float dW, ref float dB, bool hasBias, int batch, int inFeatures, int outFeatures)
    {
        switch ((hasBias, inFeatures == 10))
        {
        case (true, true): TailBlocks<WithBias, TwoTailFeatures>(ref dy, ref x, ref dW, ref dB, batch, outFeatures); break;
        case (true, false): TailBlocks<WithBias, OneTailFeature>(ref dy, ref x, ref dW, ref dB, batch, outFeatures); break;
        case (false, true): TailBlocks<WithoutBias, TwoTailFeatures>(ref dy, ref x, ref dW, ref dB, batch, outFeatures); break;
        default: TailBlocks<WithoutBias, OneTailFeature>(ref dy, ref x, ref dW, ref dB, batch, outFeatures); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TailBlocks<TBias, TPairs>(ref float dy, ref float x, ref float dW, ref float dB, int batch, int outFeatures)
        where TBias : struct, IFlag
        where TPairs : struct, IFlag
    {
        for (int o = 0; o < outFeatures;)
        {
            int rows = BlockRows(outFeatures - o);
            switch (rows)
            {
            case 1: TailBlock<Rows1, TBias, TPairs>(ref dy, ref x, ref dW, ref dB, o, batch, outFeatures); break;
            case 2: TailBlock<Rows2, TBias, TPairs>(ref dy, ref x, ref dW, ref dB, o, batch, outFeatures); break;
            case 3: TailBlock<Rows3, TBias, TPairs>(ref dy, ref x, ref dW, ref dB, o, batch, outFeatures); break;
            case 4: TailBlock<Rows4, TBias, TPairs>(ref dy, ref x, ref dW, ref dB, o, batch, outFeatures); break;
            case 5: TailBlock<Rows5, TBias, TPairs>(ref dy, ref x, ref dW, ref dB, o, batch, outFeatures); break;
            default: TailBlock<Rows6, TBias, TPairs>(ref dy, ref x, ref dW, ref dB, o, batch, outFeatures); break;
            }

            o += rows;
        }
    }

    /// <summary>
    /// Outputs [o, o + TRows.Count) of the weight gradient (and their bias sums with TBias), one pass over the batch:
    /// lanes [0, 8) of each W row in its own vector, the tails (features 8 and 9) of rows 0–3 (or 0–7 with one tail
    /// feature) in one vector and of rows 4–5 in a second. A tail vector's lanes are each one weight's chain; lanes of
    /// rows past the block compute values that are never stored. TPairs (10 in features, else 9) is a type, so that the
    /// row length is a constant and the loop keeps its pointers in registers.
    /// </summary>
    [SkipLocalsInit]
    private static void TailBlock<TRows, TBias, TPairs>(ref float dy, ref float x, ref float dW, ref float dB, int o, int batch, int outFeatures)
        where TRows : struct, IRowCount
        where TBias : struct, IFlag
        where TPairs : struct, IFlag
    {
        int rows = TRows.Count;
        bool pairs = TPairs.Value;
        int inFeatures = pairs ? 10 : 9;
        bool second = pairs && rows > 4;
        bool hasBias = TBias.Value;
        ref float r0 = ref Unsafe.Add(ref dW, o * inFeatures);
        Vector256<float> h0 = Vector256.LoadUnsafe(ref r0), h1 = default, h2 = default, h3 = default, h4 = default, h5 = default;
        h1 = rows > 1 ? Vector256.LoadUnsafe(ref r0, (nuint)inFeatures) : h1;
        h2 = rows > 2 ? Vector256.LoadUnsafe(ref r0, (nuint)(2 * inFeatures)) : h2;
        h3 = rows > 3 ? Vector256.LoadUnsafe(ref r0, (nuint)(3 * inFeatures)) : h3;
        h4 = rows > 4 ? Vector256.LoadUnsafe(ref r0, (nuint)(4 * inFeatures)) : h4;
        h5 = rows > 5 ? Vector256.LoadUnsafe(ref r0, (nuint)(5 * inFeatures)) : h5;

        // Tail lanes: with pairs, lanes 2j and 2j + 1 hold features 8 and 9 of row j (rows 4 and 5 in the second
        // vector); with one tail feature, lane j holds feature 8 of row j. Built in registers (a vector load of values
        // just stored one by one would wait for the stores to reach the cache).
        Vector256<float> t0 = pairs ? Pairs(ref r0, inFeatures, rows, 0) : Singles(ref r0, inFeatures, rows);
        Vector256<float> t1 = second ? Pairs(ref r0, inFeatures, rows, 4) : default;

        ref float bias = ref Unsafe.Add(ref dB, hasBias ? o : 0);
        // The bias sums in lanes 0 … rows − 1, each its output's chain (the lanes past them add the next example's values).
        Vector256<float> sums = hasBias ? Leading(ref bias, rows) : default;
        ref float d = ref Unsafe.Add(ref dy, o);
        ref float xb = ref x;

        // Example b's dy values load as one vector while the eight from the block's first stay inside dy (b below
        // whole); the last examples build it from the block's values alone.
        int room = (batch * outFeatures) - o - 8;
        int whole = room < 0 ? 0 : Math.Min(batch, (room / outFeatures) + 1);

        for (int b = 0; b < batch; b++)
        {
            Vector256<float> dv = b < whole ? Vector256.LoadUnsafe(ref d) : Leading(ref d, rows);
            Vector256<float> head = Vector256.LoadUnsafe(ref xb);
            Vector256<float> s = Vector256.Create(d);
            h0 += s * head;
            if (rows > 1) { s = Vector256.Create(Unsafe.Add(ref d, 1)); h1 += s * head; }
            if (rows > 2) { s = Vector256.Create(Unsafe.Add(ref d, 2)); h2 += s * head; }
            if (rows > 3) { s = Vector256.Create(Unsafe.Add(ref d, 3)); h3 += s * head; }
            if (rows > 4) { s = Vector256.Create(Unsafe.Add(ref d, 4)); h4 += s * head; }
            if (rows > 5) { s = Vector256.Create(Unsafe.Add(ref d, 5)); h5 += s * head; }
            if (pairs)
            {
                // Features 8 and 9 in every lane pair, and each row's dy in its pair.
                Vector256<float> end = Vector256.Create(Unsafe.ReadUnaligned<double>(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref xb, 8)))).AsSingle();
                t0 += Vector256.Shuffle(dv, Vector256.Create(0, 0, 1, 1, 2, 2, 3, 3)) * end;
                if (second)
                {
                    // Row 4 (and 5) in lanes 0–1 (and 2–3): with five rows, s is already row 4's dy in every lane.
                    t1 += (rows == 5 ? s : Vector256.Shuffle(dv, Vector256.Create(4, 4, 5, 5, 6, 6, 7, 7))) * end;
                }
            }
            else
            {
                t0 += dv * Vector256.Create(Unsafe.Add(ref xb, 8));
            }

            if (hasBias)
            {
                sums += dv;
            }

            xb = ref Unsafe.Add(ref xb, inFeatures);
            d = ref Unsafe.Add(ref d, outFeatures);
        }

        // Lanes [0, 8) of each row, then its tail from the tail lanes.
        h0.StoreUnsafe(ref r0);
        if (rows > 1) { h1.StoreUnsafe(ref r0, (nuint)inFeatures); }
        if (rows > 2) { h2.StoreUnsafe(ref r0, (nuint)(2 * inFeatures)); }
        if (rows > 3) { h3.StoreUnsafe(ref r0, (nuint)(3 * inFeatures)); }
        if (rows > 4) { h4.StoreUnsafe(ref r0, (nuint)(4 * inFeatures)); }
        if (rows > 5) { h5.StoreUnsafe(ref r0, (nuint)(5 * inFeatures)); }
        if (pairs)
        {
            StorePairs(t0, ref r0, inFeatures, rows, 0);
            if (second)
            {
                StorePairs(t1, ref r0, inFeatures, rows, 4);
            }
        }
        else
        {
            for (int j = 0; j < rows; j++)
            {
                Unsafe.Add(ref r0, (j * inFeatures) + 8) = t0.GetElement(j);
            }
        }

        if (hasBias)
        {
            KernelMath.StoreLeading(sums, ref bias, rows);
        }
    }

    /// <summary>Two tail features (10 in features).</summary>
    private readonly struct TwoTailFeatures : IFlag
    {
        public static bool Value => true;
    }

    /// <summary>One tail feature (9 in features).</summary>
    private readonly struct OneTailFeature : IFlag
    {
        public static bool Value => false;
    }

    /// <summary>Features 8 and 9 of rows first … first + 3 (those below <paramref name="rows"/>; 0 for the others) as four lane pairs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Pairs(ref float r0, int inFeatures, int rows, int first) =>
        Vector256.Create(
            Vector128.Create(Pair(ref r0, inFeatures, rows, first), Pair(ref r0, inFeatures, rows, first + 1)),
            Vector128.Create(Pair(ref r0, inFeatures, rows, first + 2), Pair(ref r0, inFeatures, rows, first + 3))).AsSingle();

    /// <summary>Features 8 and 9 of row j as one double's bits, or 0 past the block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Pair(ref float r0, int inFeatures, int rows, int j) =>
        j < rows ? Unsafe.ReadUnaligned<double>(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref r0, (j * inFeatures) + 8))) : 0d;

    /// <summary>Lane pairs back to features 8 and 9 of rows first … first + 3 (those below <paramref name="rows"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePairs(Vector256<float> t, ref float r0, int inFeatures, int rows, int first)
    {
        Vector256<double> pairs = t.AsDouble();
        for (int j = first; j < rows && j < first + 4; j++)
        {
            Unsafe.WriteUnaligned(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref r0, (j * inFeatures) + 8)), pairs.GetElement(j - first));
        }
    }

    /// <summary>Feature 8 of rows 0 … 7 (those below <paramref name="rows"/>; 0 for the others), row j in lane j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Singles(ref float r0, int inFeatures, int rows) =>
        Vector256.Create(Single(ref r0, inFeatures, rows, 0), Single(ref r0, inFeatures, rows, 1), Single(ref r0, inFeatures, rows, 2), Single(ref r0, inFeatures, rows, 3),
            Single(ref r0, inFeatures, rows, 4), Single(ref r0, inFeatures, rows, 5), Single(ref r0, inFeatures, rows, 6), Single(ref r0, inFeatures, rows, 7));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Single(ref float r0, int inFeatures, int rows, int j) => j < rows ? Unsafe.Add(ref r0, (j * inFeatures) + 8) : 0f;
}
