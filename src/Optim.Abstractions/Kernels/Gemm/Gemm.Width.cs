using System;
using System.Globalization;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Optim.Kernels;

// Which micro-kernel width Multiply runs. Every width gives the same bits, so this is a choice of speed only.
public static partial class Gemm
{
    /// <summary>The environment variable that overrides the kernel width: 512 or 256 (read once, at the first product).</summary>
    public const string VectorBitsVariable = "OPTIM_GEMM_VECTOR_BITS";

    /// <summary>
    /// The vector width, in bits, of the micro-kernel <see cref="Multiply{T}"/> runs for float on this machine: 512, 256,
    /// 128, or 0 for the scalar kernel. The widest width the runtime accelerates, except that a core which splits 512-bit
    /// operations into two 256-bit halves (AMD Zen 4) runs the 256-bit kernel: it does as many multiply-adds per cycle
    /// and reaches more of them (measured on Zen 4: 93–102 GFLOP/s against 72–75, docs/benchmarks.md).
    /// <see cref="VectorBitsVariable"/> = 512 or 256 overrides that choice where the width is accelerated.
    /// </summary>
    public static int KernelVectorBits => Width.Bits;

    /// <summary>
    /// Whether this core executes a 512-bit operation as two 256-bit halves (AMD family 19h with AVX-512, Zen 4), so that
    /// 512-bit vectors do no more arithmetic per cycle than 256-bit ones.
    /// </summary>
    public static bool SplitsWideOperations => Width.Split;

    /// <summary>The choice, made at the first product (a bad setting throws there, not in a type initializer).</summary>
    private static class Width
    {
        private static int s_bits = -1;

        public static int Bits
        {
            get
            {
                int bits = s_bits;
                if (bits < 0)
                {
                    s_bits = bits = Choose(Environment.GetEnvironmentVariable(VectorBitsVariable));
                }

                return bits;
            }
        }

        /// <summary>Whether the 512-bit kernel runs.</summary>
        public static bool Wide => Bits == 512;

        public static readonly bool Split = Vector512.IsHardwareAccelerated && IsZen4();

        private static int Choose(string? setting)
        {
            int widest = Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : Vector128.IsHardwareAccelerated ? 128 : 0;
            if (string.IsNullOrEmpty(setting))
            {
                return widest == 512 && Split ? 256 : widest;
            }

            if (!int.TryParse(setting, NumberStyles.None, CultureInfo.InvariantCulture, out int bits) || (bits != 512 && bits != 256))
            {
                throw new InvalidOperationException($"{VectorBitsVariable} is '{setting}'; it takes 512 or 256 (or is unset: the fastest width for this CPU).");
            }

            // A width the runtime does not accelerate (turned off by DOTNET_EnableAVX512=0, or absent) is not forced on.
            return Math.Min(bits, widest);
        }

        /// <summary>
        /// AMD family 19h with AVX-512 is Zen 4, which executes a 512-bit operation as two 256-bit halves (Zen 3, the same
        /// family, has no AVX-512; Zen 5, family 1Ah, has full-width units in its desktop and server parts).
        /// </summary>
        private static bool IsZen4()
        {
            if (!X86Base.IsSupported)
            {
                return false;
            }

            (_, int ebx, int ecx, int edx) = X86Base.CpuId(0, 0);
            bool amd = ebx == 0x68747541 && edx == 0x69746E65 && ecx == 0x444D4163; // "Auth" "enti" "cAMD"
            if (!amd)
            {
                return false;
            }

            int eax = X86Base.CpuId(1, 0).Eax;
            int family = (eax >> 8) & 0xF;
            if (family == 0xF)
            {
                family += (eax >> 20) & 0xFF;
            }

            return family == 0x19;
        }
    }
}
