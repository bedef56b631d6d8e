using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Optim.Kernels;

public static partial class Conv2d
{
    /// <summary>
    /// The forward pass of a one-channel 3 × 3 convolution without stride or padding (the usual first layer on grey
    /// images) straight from the image, without a patch matrix or a packed product: a vector of adjacent outputs of one
    /// output row holds, for each of the nine patch offsets, the image row's pixels at that offset, and each output
    /// channel is one vector chain over them. Each output's chain is the GEMM's (zero, then + W[co, r]·x for r
    /// ascending, one multiply and one add each, then + bias, then the activation), so the bits are the same. A row's
    /// last vector overlaps the one before it: the outputs computed twice get the same operations both times. False
    /// (nothing written) for any other layer, or with rows narrower than a vector, or unless the GEMM runs its 256-bit
    /// kernel (<see cref="Gemm.KernelVectorBits"/>): against the 512-bit kernel on full-width units the GEMM was faster
    /// (Fashion-MNIST's first layer, batch 64, Zen 5: 101 µs against 112); against the 256-bit one this is (Zen 5, AVX2:
    /// 121 µs against 198; Zen 4, where the GEMM runs 256 bits with AVX-512 on: 168 µs against 251).
    /// </summary>
    private static bool ForwardOneChannel<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, in Shape s, GemmOptions activation, double slope)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int lanes = Vector256<T>.Count;
        if (Gemm.KernelVectorBits != 256 || s.InChannels != 1 || s.Kernel != 3 || s.Stride != 1 || s.Padding != 0 || s.OutWidth < lanes)
        {
            return false;
        }

        var finish = new Dense.FusedActivation<T>(activation, T.CreateTruncating(slope));
        ref T w = ref MemoryMarshal.GetReference(weight);
        int width = s.Width, outWidth = s.OutWidth, last = outWidth - lanes;
        for (int b = 0; b < s.Batch; b++)
        {
            ref T image = ref Unsafe.Add(ref MemoryMarshal.GetReference(x), b * s.Image);
            ref T output = ref Unsafe.Add(ref MemoryMarshal.GetReference(y), b * s.OutImage);
            for (int oh = 0; oh < s.OutHeight; oh++)
            {
                for (int ow = 0; ; ow = Math.Min(ow + lanes, last))
                {
                    ref T top = ref Unsafe.Add(ref image, (oh * width) + ow);
                    Vector256<T> x0 = Vector256.LoadUnsafe(ref top), x1 = Vector256.LoadUnsafe(ref top, 1), x2 = Vector256.LoadUnsafe(ref top, 2);
                    Vector256<T> x3 = Vector256.LoadUnsafe(ref top, (nuint)width), x4 = Vector256.LoadUnsafe(ref top, (nuint)width + 1), x5 = Vector256.LoadUnsafe(ref top, (nuint)width + 2);
                    Vector256<T> x6 = Vector256.LoadUnsafe(ref top, (nuint)(2 * width)), x7 = Vector256.LoadUnsafe(ref top, (nuint)(2 * width) + 1), x8 = Vector256.LoadUnsafe(ref top, (nuint)(2 * width) + 2);
                    for (int co = 0; co < s.OutChannels; co++)
                    {
                        ref T wc = ref Unsafe.Add(ref w, co * 9);
                        Vector256<T> sum = Vector256<T>.Zero;
                        sum += Vector256.Create(wc) * x0;
                        sum += Vector256.Create(Unsafe.Add(ref wc, 1)) * x1;
                        sum += Vector256.Create(Unsafe.Add(ref wc, 2)) * x2;
                        sum += Vector256.Create(Unsafe.Add(ref wc, 3)) * x3;
                        sum += Vector256.Create(Unsafe.Add(ref wc, 4)) * x4;
                        sum += Vector256.Create(Unsafe.Add(ref wc, 5)) * x5;
                        sum += Vector256.Create(Unsafe.Add(ref wc, 6)) * x6;
                        sum += Vector256.Create(Unsafe.Add(ref wc, 7)) * x7;
                        sum += Vector256.Create(Unsafe.Add(ref wc, 8)) * x8;
                        if (!bias.IsEmpty)
                        {
                            sum += Vector256.Create(bias[co]);
                        }

                        finish.Apply(sum).StoreUnsafe(ref output, (nuint)((co * s.Positions) + (oh * outWidth) + ow));
                    }

                    if (ow == last)
                    {
                        break;
                    }
                }
            }
        }

        return true;
    }
}
