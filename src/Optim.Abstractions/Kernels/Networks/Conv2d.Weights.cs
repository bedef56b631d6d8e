using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Optim.Kernels;

public static partial class Conv2d
{
    /// <summary>
    /// Patch rows (input channels · k²) below which the weight gradient runs in <see cref="ChannelLanes{T}"/> instead of
    /// the GEMM, when one image's product is too small for the GEMM to split across threads. There the GEMM packs the
    /// patch matrix transposed into micro-panels mostly of padding (a one-channel 3 × 3 convolution has 9 rows, against
    /// panels of 32 floats at 512 bits), after building it. Measured on Fashion-MNIST's CNN: both layers (9 and 72 rows)
    /// gain; larger layers were not measured and keep the GEMM.
    /// </summary>
    private const int ChannelLanesMaxRows = 128;

    /// <summary>
    /// dW += dy·colᵀ for an unpadded convolution with few patch rows, with the output channels in the lanes of a vector
    /// instead of a packed product, and the patch values read from the image (no patch matrix): per image, dy is
    /// transposed (dyᵀ[p, co]), and dWᵀ[r, ·] += col[r, p]·dyᵀ[p, ·] for p ascending,
    /// a block of rows at a time with its sums held in registers. Every weight's chain is the GEMM's (it continues the
    /// value dW holds, then one multiply and one add per term, p ascending, images in order), so the bits are the same;
    /// lanes never exchange values, so they are the same at every vector width. dWᵀ (rows × channels padded to whole
    /// vectors) and dyᵀ are thread-static scratch, grown on a thread's first call of a size: no allocation after that.
    /// </summary>
    private sealed class ChannelLanes<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        [ThreadStatic]
        private static ChannelLanes<T>? _onThisThread;

        private T[] _dyT = [];
        private T[] _dWT = [];

        /// <summary>Where patch row r = (c, i, j) starts in an image: c·h·w + i·w + j.</summary>
        private int[] _offsets = [];

        /// <summary>Elements of a dWᵀ or dyᵀ row: the output channels padded to whole vectors.</summary>
        private int _stride;

        /// <summary>The patch rows this scratch holds: [_first, _first + _rows) of the layer's.</summary>
        private int _first;
        private int _rows;

        /// <summary>
        /// Whether the weight gradient runs here rather than in the GEMM: 256-bit vectors, fewer patch rows than
        /// <see cref="ChannelLanesMaxRows"/>, no padding (whose zeros the patch matrix holds and the image does not), and an
        /// image's product too small for the GEMM's own threads.
        /// </summary>
        public static bool Apply(in Shape s) =>
            Vector256.IsHardwareAccelerated && s.Rows < ChannelLanesMaxRows && s.Padding == 0
            && (long)s.OutChannels * s.Rows * s.Positions < Gemm.AutomaticParallelSize;

        /// <summary>
        /// This thread's scratch with patch rows [<paramref name="first"/>, <paramref name="first"/> +
        /// <paramref name="rows"/>) of dWᵀ loaded from <paramref name="dWeight"/>: each row's chains are its own, so a
        /// layer's rows may be shared between threads with the same bits.
        /// </summary>
        public static ChannelLanes<T> Start(ReadOnlySpan<T> dWeight, in Shape s, int first, int rows)
        {
            ChannelLanes<T> lanes = _onThisThread ??= new ChannelLanes<T>();
            lanes.Load(dWeight, s, first, rows);
            return lanes;
        }

        /// <summary>
        /// dWᵀ += (one image's dy)·colᵀ, as the GEMM would add it to dW, with col[r, p] read from the image itself: without
        /// padding, patch row r = (c, i, j) at position p = (oh, ow) is pixel (c, oh·stride + i, ow·stride + j).
        /// </summary>
        public void Accumulate(ReadOnlySpan<T> dy, ReadOnlySpan<T> image, in Shape s)
        {
            int positions = s.Positions, channels = s.OutChannels, stride = _stride;
            ref T dyT = ref MemoryMarshal.GetArrayDataReference(_dyT);
            ref T source = ref MemoryMarshal.GetReference(dy);
            int co = 0, p0 = 0;
            if (typeof(T) == typeof(float) && Avx.IsSupported)
            {
                // Blocks of 8 channels × 8 positions in registers; the rest of the positions, and channels past the last
                // whole block, one element at a time below.
                p0 = positions & ~7;
                for (; co + 8 <= channels; co += 8)
                {
                    for (int p = 0; p < p0; p += 8)
                    {
                        Gemm.Transpose8(ref Unsafe.As<T, float>(ref Unsafe.Add(ref source, (co * positions) + p)), positions,
                            ref Unsafe.As<T, float>(ref Unsafe.Add(ref dyT, (p * stride) + co)), stride);
                    }
                }
            }

            for (int c = 0; c < channels; c++)
            {
                ref T row = ref Unsafe.Add(ref source, c * positions);
                for (int p = c < co ? p0 : 0; p < positions; p++)
                {
                    Unsafe.Add(ref dyT, (p * stride) + c) = Unsafe.Add(ref row, p);
                }
            }

            ref T x = ref MemoryMarshal.GetReference(image);
            ref T dWT = ref MemoryMarshal.GetArrayDataReference(_dWT);
            ref int offsets = ref MemoryMarshal.GetArrayDataReference(_offsets);
            int rows = _rows, paired = 0;
            if (stride == Vector512<T>.Count && Gemm.KernelVectorBits == 512 && rows != 9)
            {
                // Where the GEMM runs 512-bit vectors, a row of channels (9 to 16 floats) is one of them: twelve rows at
                // a time share each image row of dyᵀ.
                for (; paired + 12 <= rows; paired += 12)
                {
                    WideBlock(ref x, ref Unsafe.Add(ref offsets, paired), ref dyT, ref Unsafe.Add(ref dWT, paired * stride), s);
                }
            }

            if (stride == 2 * Vector256<T>.Count && rows != 9)
            {
                // Two vectors of channels (9 to 16 floats): six rows at a time share each patch value between them.
                for (; paired + 6 <= rows; paired += 6)
                {
                    PairBlock(ref x, ref Unsafe.Add(ref offsets, paired), ref dyT, ref Unsafe.Add(ref dWT, paired * stride), s);
                }
            }

            for (int v = 0; v < stride; v += Vector256<T>.Count)
            {
                int r = paired;
                if (rows - r == 9)
                {
                    // A one-channel 3 × 3 convolution: its nine chains in one block (the ninth alone would wait on its adds).
                    Block<Rows9>(ref x, ref Unsafe.Add(ref offsets, r), ref Unsafe.Add(ref dyT, v), ref Unsafe.Add(ref dWT, (r * stride) + v), s, stride);
                    continue;
                }

                for (; r + 8 <= rows; r += 8)
                {
                    Block<Rows8>(ref x, ref Unsafe.Add(ref offsets, r), ref Unsafe.Add(ref dyT, v), ref Unsafe.Add(ref dWT, (r * stride) + v), s, stride);
                }

                for (; r + 4 <= rows; r += 4)
                {
                    Block<Rows4>(ref x, ref Unsafe.Add(ref offsets, r), ref Unsafe.Add(ref dyT, v), ref Unsafe.Add(ref dWT, (r * stride) + v), s, stride);
                }

                for (; r < rows; r++)
                {
                    Block<Rows1>(ref x, ref Unsafe.Add(ref offsets, r), ref Unsafe.Add(ref dyT, v), ref Unsafe.Add(ref dWT, (r * stride) + v), s, stride);
                }
            }
        }

        /// <summary>dW = dWᵀ transposed back (this scratch's rows): the chains end where the GEMM's would.</summary>
        public void Finish(Span<T> dWeight, in Shape s)
        {
            for (int co = 0; co < s.OutChannels; co++)
            {
                for (int r = 0; r < _rows; r++)
                {
                    dWeight[(co * s.Rows) + _first + r] = _dWT[(r * _stride) + co];
                }
            }
        }

        private void Load(ReadOnlySpan<T> dWeight, in Shape s, int first, int rows)
        {
            int lanes = Vector256<T>.Count;
            (_first, _rows) = (first, rows);
            _stride = (s.OutChannels + lanes - 1) / lanes * lanes;
            Grow(ref _dyT, s.Positions * _stride);
            Grow(ref _dWT, rows * _stride);
            Grow(ref _offsets, rows);
            for (int r = 0; r < rows; r++)
            {
                int row = first + r;
                int c = row / (s.Kernel * s.Kernel), i = row / s.Kernel % s.Kernel, j = row % s.Kernel;
                _offsets[r] = (c * s.Height * s.Width) + (i * s.Width) + j;
            }

            // The padding lanes stay zero: they add 0·col to sums that are never read back.
            for (int r = 0; r < rows; r++)
            {
                for (int co = 0; co < _stride; co++)
                {
                    _dWT[(r * _stride) + co] = co < s.OutChannels ? dWeight[(co * s.Rows) + first + r] : T.Zero;
                }
            }

            for (int p = 0; p < s.Positions; p++)
            {
                _dyT.AsSpan((p * _stride) + s.OutChannels, _stride - s.OutChannels).Clear();
            }
        }

        private static void Grow<TElement>(ref TElement[] buffer, int length)
        {
            if (buffer.Length < length)
            {
                buffer = new TElement[length];
            }
        }

        /// <summary>
        /// Six rows of dWᵀ with two vectors of channels each (a row of dWᵀ is exactly two vectors): sum[r, h] +=
        /// x[offset[r] + p's pixel]·dyᵀ[p, h] for p ascending, twelve sums in registers for the whole image.
        /// </summary>
        private static void PairBlock(ref T image, ref int offsets, ref T dyT, ref T dWT, in Shape s)
        {
            int lanes = Vector256<T>.Count, stride = 2 * lanes;
            int o0 = offsets, o1 = Unsafe.Add(ref offsets, 1), o2 = Unsafe.Add(ref offsets, 2), o3 = Unsafe.Add(ref offsets, 3), o4 = Unsafe.Add(ref offsets, 4), o5 = Unsafe.Add(ref offsets, 5);
            Vector256<T> a0 = Vector256.LoadUnsafe(ref dWT), b0 = Vector256.LoadUnsafe(ref dWT, (nuint)lanes);
            Vector256<T> a1 = Vector256.LoadUnsafe(ref dWT, (nuint)stride), b1 = Vector256.LoadUnsafe(ref dWT, (nuint)(stride + lanes));
            Vector256<T> a2 = Vector256.LoadUnsafe(ref dWT, (nuint)(2 * stride)), b2 = Vector256.LoadUnsafe(ref dWT, (nuint)((2 * stride) + lanes));
            Vector256<T> a3 = Vector256.LoadUnsafe(ref dWT, (nuint)(3 * stride)), b3 = Vector256.LoadUnsafe(ref dWT, (nuint)((3 * stride) + lanes));
            Vector256<T> a4 = Vector256.LoadUnsafe(ref dWT, (nuint)(4 * stride)), b4 = Vector256.LoadUnsafe(ref dWT, (nuint)((4 * stride) + lanes));
            Vector256<T> a5 = Vector256.LoadUnsafe(ref dWT, (nuint)(5 * stride)), b5 = Vector256.LoadUnsafe(ref dWT, (nuint)((5 * stride) + lanes));
            int step = s.Stride, outWidth = s.OutWidth;
            ref T d = ref dyT;
            for (int oh = 0; oh < s.OutHeight; oh++)
            {
                ref T pixel = ref Unsafe.Add(ref image, oh * step * s.Width);
                for (int ow = 0; ow < outWidth; ow++, pixel = ref Unsafe.Add(ref pixel, step), d = ref Unsafe.Add(ref d, stride))
                {
                    Vector256<T> g = Vector256.LoadUnsafe(ref d), h = Vector256.LoadUnsafe(ref d, (nuint)lanes);
                    Vector256<T> x0 = Vector256.Create(Unsafe.Add(ref pixel, o0));
                    a0 += x0 * g;
                    b0 += x0 * h;
                    Vector256<T> x1 = Vector256.Create(Unsafe.Add(ref pixel, o1));
                    a1 += x1 * g;
                    b1 += x1 * h;
                    Vector256<T> x2 = Vector256.Create(Unsafe.Add(ref pixel, o2));
                    a2 += x2 * g;
                    b2 += x2 * h;
                    Vector256<T> x3 = Vector256.Create(Unsafe.Add(ref pixel, o3));
                    a3 += x3 * g;
                    b3 += x3 * h;
                    Vector256<T> x4 = Vector256.Create(Unsafe.Add(ref pixel, o4));
                    a4 += x4 * g;
                    b4 += x4 * h;
                    Vector256<T> x5 = Vector256.Create(Unsafe.Add(ref pixel, o5));
                    a5 += x5 * g;
                    b5 += x5 * h;
                }
            }

            a0.StoreUnsafe(ref dWT);
            b0.StoreUnsafe(ref dWT, (nuint)lanes);
            a1.StoreUnsafe(ref dWT, (nuint)stride);
            b1.StoreUnsafe(ref dWT, (nuint)(stride + lanes));
            a2.StoreUnsafe(ref dWT, (nuint)(2 * stride));
            b2.StoreUnsafe(ref dWT, (nuint)((2 * stride) + lanes));
            a3.StoreUnsafe(ref dWT, (nuint)(3 * stride));
            b3.StoreUnsafe(ref dWT, (nuint)((3 * stride) + lanes));
            a4.StoreUnsafe(ref dWT, (nuint)(4 * stride));
            b4.StoreUnsafe(ref dWT, (nuint)((4 * stride) + lanes));
            a5.StoreUnsafe(ref dWT, (nuint)(5 * stride));
            b5.StoreUnsafe(ref dWT, (nuint)((5 * stride) + lanes));
        }

        /// <summary>
        /// Twelve rows of dWᵀ whose channels fill one 512-bit vector: sum[r] += x[offset[r] + p's pixel]·dyᵀ[p] for p
        /// ascending, the twelve sums in registers for the whole image. Each lane's chain is <see cref="PairBlock"/>'s.
        /// </summary>
        private static void WideBlock(ref T image, ref int offsets, ref T dyT, ref T dWT, in Shape s)
        {
            int stride = Vector512<T>.Count;
            int o0 = offsets, o1 = Unsafe.Add(ref offsets, 1), o2 = Unsafe.Add(ref offsets, 2), o3 = Unsafe.Add(ref offsets, 3), o4 = Unsafe.Add(ref offsets, 4), o5 = Unsafe.Add(ref offsets, 5);
            int o6 = Unsafe.Add(ref offsets, 6), o7 = Unsafe.Add(ref offsets, 7), o8 = Unsafe.Add(ref offsets, 8), o9 = Unsafe.Add(ref offsets, 9), o10 = Unsafe.Add(ref offsets, 10), o11 = Unsafe.Add(ref offsets, 11);
            Vector512<T> a0 = Vector512.LoadUnsafe(ref dWT), a1 = Vector512.LoadUnsafe(ref dWT, (nuint)stride);
            Vector512<T> a2 = Vector512.LoadUnsafe(ref dWT, (nuint)(2 * stride)), a3 = Vector512.LoadUnsafe(ref dWT, (nuint)(3 * stride));
            Vector512<T> a4 = Vector512.LoadUnsafe(ref dWT, (nuint)(4 * stride)), a5 = Vector512.LoadUnsafe(ref dWT, (nuint)(5 * stride));
            Vector512<T> a6 = Vector512.LoadUnsafe(ref dWT, (nuint)(6 * stride)), a7 = Vector512.LoadUnsafe(ref dWT, (nuint)(7 * stride));
            Vector512<T> a8 = Vector512.LoadUnsafe(ref dWT, (nuint)(8 * stride)), a9 = Vector512.LoadUnsafe(ref dWT, (nuint)(9 * stride));
            Vector512<T> a10 = Vector512.LoadUnsafe(ref dWT, (nuint)(10 * stride)), a11 = Vector512.LoadUnsafe(ref dWT, (nuint)(11 * stride));
            int step = s.Stride, outWidth = s.OutWidth;
            ref T d = ref dyT;
            for (int oh = 0; oh < s.OutHeight; oh++)
            {
                ref T pixel = ref Unsafe.Add(ref image, oh * step * s.Width);
                for (int ow = 0; ow < outWidth; ow++, pixel = ref Unsafe.Add(ref pixel, step), d = ref Unsafe.Add(ref d, stride))
                {
                    Vector512<T> g = Vector512.LoadUnsafe(ref d);
                    a0 += Vector512.Create(Unsafe.Add(ref pixel, o0)) * g;
                    a1 += Vector512.Create(Unsafe.Add(ref pixel, o1)) * g;
                    a2 += Vector512.Create(Unsafe.Add(ref pixel, o2)) * g;
                    a3 += Vector512.Create(Unsafe.Add(ref pixel, o3)) * g;
                    a4 += Vector512.Create(Unsafe.Add(ref pixel, o4)) * g;
                    a5 += Vector512.Create(Unsafe.Add(ref pixel, o5)) * g;
                    a6 += Vector512.Create(Unsafe.Add(ref pixel, o6)) * g;
                    a7 += Vector512.Create(Unsafe.Add(ref pixel, o7)) * g;
                    a8 += Vector512.Create(Unsafe.Add(ref pixel, o8)) * g;
                    a9 += Vector512.Create(Unsafe.Add(ref pixel, o9)) * g;
                    a10 += Vector512.Create(Unsafe.Add(ref pixel, o10)) * g;
                    a11 += Vector512.Create(Unsafe.Add(ref pixel, o11)) * g;
                }
            }

            a0.StoreUnsafe(ref dWT);
            a1.StoreUnsafe(ref dWT, (nuint)stride);
            a2.StoreUnsafe(ref dWT, (nuint)(2 * stride));
            a3.StoreUnsafe(ref dWT, (nuint)(3 * stride));
            a4.StoreUnsafe(ref dWT, (nuint)(4 * stride));
            a5.StoreUnsafe(ref dWT, (nuint)(5 * stride));
            a6.StoreUnsafe(ref dWT, (nuint)(6 * stride));
            a7.StoreUnsafe(ref dWT, (nuint)(7 * stride));
            a8.StoreUnsafe(ref dWT, (nuint)(8 * stride));
            a9.StoreUnsafe(ref dWT, (nuint)(9 * stride));
            a10.StoreUnsafe(ref dWT, (nuint)(10 * stride));
            a11.StoreUnsafe(ref dWT, (nuint)(11 * stride));
        }

        /// <summary>
        /// TRows rows of dWᵀ, one vector of channels each: sum[r] += x[offset[r] + p's pixel]·dyᵀ[p] for p = (oh, ow)
        /// ascending, the sums in registers for the whole image (TRows is a compile-time count: the JIT drops the sums a
        /// block does not use).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Block<TRows>(ref T image, ref int offsets, ref T dyT, ref T dWT, in Shape s, int stride)
            where TRows : IRowCount
        {
            int n = TRows.Count;
            int o0 = offsets, o1 = n > 1 ? Unsafe.Add(ref offsets, 1) : 0, o2 = n > 2 ? Unsafe.Add(ref offsets, 2) : 0, o3 = n > 2 ? Unsafe.Add(ref offsets, 3) : 0;
            int o4 = n > 4 ? Unsafe.Add(ref offsets, 4) : 0, o5 = n > 4 ? Unsafe.Add(ref offsets, 5) : 0, o6 = n > 4 ? Unsafe.Add(ref offsets, 6) : 0, o7 = n > 4 ? Unsafe.Add(ref offsets, 7) : 0;
            int o8 = n > 8 ? Unsafe.Add(ref offsets, 8) : 0;
            Vector256<T> s0 = Vector256.LoadUnsafe(ref dWT);
            Vector256<T> s1 = n > 1 ? Vector256.LoadUnsafe(ref dWT, (nuint)stride) : default;
            Vector256<T> s2 = n > 2 ? Vector256.LoadUnsafe(ref dWT, (nuint)(2 * stride)) : default;
            Vector256<T> s3 = n > 2 ? Vector256.LoadUnsafe(ref dWT, (nuint)(3 * stride)) : default;
            Vector256<T> s4 = n > 4 ? Vector256.LoadUnsafe(ref dWT, (nuint)(4 * stride)) : default;
            Vector256<T> s5 = n > 4 ? Vector256.LoadUnsafe(ref dWT, (nuint)(5 * stride)) : default;
            Vector256<T> s6 = n > 4 ? Vector256.LoadUnsafe(ref dWT, (nuint)(6 * stride)) : default;
            Vector256<T> s7 = n > 4 ? Vector256.LoadUnsafe(ref dWT, (nuint)(7 * stride)) : default;
            Vector256<T> s8 = n > 8 ? Vector256.LoadUnsafe(ref dWT, (nuint)(8 * stride)) : default;
            int step = s.Stride, outWidth = s.OutWidth;
            ref T d = ref dyT;
            for (int oh = 0; oh < s.OutHeight; oh++)
            {
                ref T pixel = ref Unsafe.Add(ref image, oh * step * s.Width);
                for (int ow = 0; ow < outWidth; ow++, pixel = ref Unsafe.Add(ref pixel, step), d = ref Unsafe.Add(ref d, stride))
                {
                    Vector256<T> g = Vector256.LoadUnsafe(ref d);
                    s0 += Vector256.Create(Unsafe.Add(ref pixel, o0)) * g;
                    if (n > 1)
                    {
                        s1 += Vector256.Create(Unsafe.Add(ref pixel, o1)) * g;
                    }

                    if (n > 2)
                    {
                        s2 += Vector256.Create(Unsafe.Add(ref pixel, o2)) * g;
                        s3 += Vector256.Create(Unsafe.Add(ref pixel, o3)) * g;
                    }

                    if (n > 4)
                    {
                        s4 += Vector256.Create(Unsafe.Add(ref pixel, o4)) * g;
                        s5 += Vector256.Create(Unsafe.Add(ref pixel, o5)) * g;
                        s6 += Vector256.Create(Unsafe.Add(ref pixel, o6)) * g;
                        s7 += Vector256.Create(Unsafe.Add(ref pixel, o7)) * g;
                    }

                    if (n > 8)
                    {
                        s8 += Vector256.Create(Unsafe.Add(ref pixel, o8)) * g;
                    }
                }
            }

            s0.StoreUnsafe(ref dWT);
            if (n > 1)
            {
                s1.StoreUnsafe(ref dWT, (nuint)stride);
            }

            if (n > 2)
            {
                s2.StoreUnsafe(ref dWT, (nuint)(2 * stride));
                s3.StoreUnsafe(ref dWT, (nuint)(3 * stride));
            }

            if (n > 4)
            {
                s4.StoreUnsafe(ref dWT, (nuint)(4 * stride));
                s5.StoreUnsafe(ref dWT, (nuint)(5 * stride));
                s6.StoreUnsafe(ref dWT, (nuint)(6 * stride));
                s7.StoreUnsafe(ref dWT, (nuint)(7 * stride));
            }

            if (n > 8)
            {
                s8.StoreUnsafe(ref dWT, (nuint)(8 * stride));
            }
        }
    }
}
