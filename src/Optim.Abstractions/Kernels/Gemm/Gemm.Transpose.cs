using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Optim.Kernels;

// 8 × 8 float transposes in 256-bit registers, shared by the kernels that turn rows into columns: Gemm's packing
// (Interleave8), the small layers' feature columns (Dense.Pair.cs), Conv2d's weight gradient (Conv2d.Weights.cs).
public static partial class Gemm
{
    /// <summary>
    /// The 8 × 8 block at <paramref name="source"/> (rows <paramref name="from"/> apart) transposed to
    /// <paramref name="target"/> (rows <paramref name="to"/> apart), in registers: GEMM panels, the small layers' columns, Conv2d's weight gradient.
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

    /// <summary>An 8 × 8 float transpose in registers: pairs of rows interleaved, then quadruples, then the 128-bit halves exchanged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose(ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2, ref Vector256<float> r3,
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
