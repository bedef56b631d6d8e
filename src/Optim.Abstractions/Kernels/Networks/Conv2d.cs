using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Optim.Kernels;

/// <summary>
/// 2-D cross-correlation as PyTorch's Conv2d computes it: x [batch, cin, h, w] (NCHW), weight [cout, cin, k, k],
/// bias [cout], y [batch, cout, oh, ow], a square kernel, one stride and zero padding on every side.
/// <para>
/// im2col, one image at a time: the workspace receives the image's patches as a [cin·k·k, oh·ow] matrix (zeros where
/// a patch covers padding; runs of pixels copied whole where the stride is 1), and the convolution becomes <see cref="Gemm"/>
/// products. Forward: y = W·col, each output adding its cin·k·k terms in ascending order, then the bias (fused per row).
/// BackwardWeights: dW += dy·colᵀ, each weight adding its positions in ascending order, images in order.
/// BackwardInput: dcol = Wᵀ·dy (ascending output channels), then col2im adds each patch value back to its pixel, patch
/// rows and positions in ascending order. Every order is fixed, so every vector width and thread count gives the same bits.
/// With threads (Conv2d.Threads.cs), the forward pass and the input gradient share the batch's images between them, each
/// image computed whole by one thread with the code one thread runs, and the weight gradient its patch rows, each
/// thread running every image in order for its own rows.
/// (Multiplying a chunk of images in one wider product was measured and not kept: no faster at the Fashion-MNIST shapes,
/// and eight times slower for a one-channel input.)
/// </para>
/// <para>
/// Small layers skip the products where packing costs more than it saves, with the same chains and so the same bits:
/// the weight gradient of an unpadded layer with few patch rows puts the output channels in the lanes and reads the
/// patches from the image (Conv2d.Weights.cs), and where 256-bit vectors are the widest a one-channel 3 × 3 layer's
/// forward pass runs straight from the image (Conv2d.Direct.cs).
/// </para>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class Conv2d
{
    /// <summary>Output size of one spatial dimension: ⌊(size + 2·padding − kernel) / stride⌋ + 1.</summary>
    public static int OutputSize(int size, int kernel, int stride, int padding) => ((size + (2 * padding) - kernel) / stride) + 1;

    /// <summary>Elements of the workspace every call needs: cin·k·k·oh·ow (one image's patch matrix).</summary>
    public static int WorkspaceLength(int inChannels, int height, int width, int kernel, int stride, int padding) =>
        checked(inChannels * kernel * kernel * OutputSize(height, kernel, stride, padding) * OutputSize(width, kernel, stride, padding));

    /// <summary>
    /// y = conv(x, W) + b (<paramref name="bias"/> empty: no bias), then <paramref name="activation"/> (None, Relu or
    /// LeakyRelu with <paramref name="slope"/>) fused into the store; y overwritten.
    /// </summary>
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, Span<T> workspace,
        int batch, int inChannels, int height, int width, int outChannels, int kernel, int stride, int padding, int maxThreads = 1,
        GemmOptions activation = GemmOptions.None, double slope = 0)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var s = new Shape(batch, inChannels, height, width, outChannels, kernel, stride, padding);
        s.Check(x.Length, weight.Length, y.Length, workspace.Length, nameof(x), nameof(y));
        if (!bias.IsEmpty)
        {
            Guard.Fits(bias.Length, outChannels, nameof(bias));
        }

        if ((activation & ~(GemmOptions.Relu | GemmOptions.LeakyRelu)) != 0)
        {
            throw new ArgumentException($"A convolution's fused activation is Relu or LeakyRelu, not {activation}.", nameof(activation));
        }

        // Images split between threads run the product; one thread, unless a lone image's product is big enough for
        // threads of its own, may run a one-channel layer straight from the image.
        int threads = ImageThreads(maxThreads, s);
        if (threads == 1 && (maxThreads == 1 || (long)s.OutChannels * s.Rows * s.Positions < Gemm.AutomaticParallelSize)
            && ForwardOneChannel(x, weight, bias, y, s, activation, slope))
        {
            return;
        }

        GemmOptions options = activation | (bias.IsEmpty ? GemmOptions.None : GemmOptions.BiasPerRow);
        if (threads > 1)
        {
            Images<T>.Forward(x, weight, bias, y, workspace, s, options, slope, threads);
            return;
        }

        Span<T> col = workspace[..(s.Rows * s.Positions)];
        for (int b = 0; b < batch; b++)
        {
            Im2Col(x.Slice(b * s.Image, s.Image), col, s);
            Span<T> image = y.Slice(b * s.OutImage, s.OutImage);
            Gemm.Multiply(weight, col, image, outChannels, s.Positions, s.Rows, options, bias, slope, maxThreads);
        }
    }

    /// <summary>dx = the gradient of the convolution with respect to its input (dx overwritten).</summary>
    public static void BackwardInput<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> weight, Span<T> dx, Span<T> workspace,
        int batch, int inChannels, int height, int width, int outChannels, int kernel, int stride, int padding, int maxThreads = 1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var s = new Shape(batch, inChannels, height, width, outChannels, kernel, stride, padding);
        s.Check(dx.Length, weight.Length, dy.Length, workspace.Length, nameof(dx), nameof(dy));
        int threads = ImageThreads(maxThreads, s);
        if (threads > 1)
        {
            Images<T>.InputGradient(dy, weight, dx, workspace, s, threads);
            return;
        }

        Span<T> col = workspace[..(s.Rows * s.Positions)];
        for (int b = 0; b < batch; b++)
        {
            // dcol = Wᵀ·dy: dcol[r, p] = Σ over co, ascending, of W[co, r]·dy[co, p].
            Gemm.Multiply(weight, dy.Slice(b * s.OutImage, s.OutImage), col, s.Rows, s.Positions, outChannels, GemmOptions.TransposeA, default, 0, maxThreads);
            Col2Im(col, dx.Slice(b * s.Image, s.Image), s);
        }
    }

    /// <summary>dW += the gradient with respect to the weight, dB += Σ dy over images and positions (<paramref name="dBias"/> empty: no bias).</summary>
    public static void BackwardWeights<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, Span<T> dWeight, Span<T> dBias, Span<T> workspace,
        int batch, int inChannels, int height, int width, int outChannels, int kernel, int stride, int padding, int maxThreads = 1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var s = new Shape(batch, inChannels, height, width, outChannels, kernel, stride, padding);
        s.Check(x.Length, dWeight.Length, dy.Length, workspace.Length, nameof(x), nameof(dy));
        if (!dBias.IsEmpty)
        {
            Guard.Fits(dBias.Length, outChannels, nameof(dBias));
        }

        Span<T> col = workspace[..(s.Rows * s.Positions)];
        bool byChannels = ChannelLanes<T>.Apply(s);
        int threads = byChannels ? WeightRowThreads(maxThreads, s) : 1;
        if (threads > 1)
        {
            WeightRows<T>.Run(dy, x, dWeight, s, threads);
        }

        ChannelLanes<T>? lanes = byChannels && threads == 1 ? ChannelLanes<T>.Start(dWeight, s, 0, s.Rows) : null;
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<T> image = dy.Slice(b * s.OutImage, s.OutImage);

            // dW += dy·colᵀ: dW[co, r] gets dy[co, p]·col[r, p] for p ascending, images in order.
            if (lanes is not null)
            {
                lanes.Accumulate(image, x.Slice(b * s.Image, s.Image), s);
            }
            else if (!byChannels)
            {
                Im2Col(x.Slice(b * s.Image, s.Image), col, s);
                Gemm.Multiply(image, col, dWeight, outChannels, s.Rows, s.Positions, GemmOptions.TransposeB | GemmOptions.Accumulate, default, 0, maxThreads);
            }

            for (int co = 0; co < outChannels && !dBias.IsEmpty; co++)
            {
                ref T plane = ref MemoryMarshal.GetReference(image.Slice(co * s.Positions, s.Positions));
                dBias[co] += Lanes.Sum(default(Identity<T>), ref plane, ref plane, ref plane, s.Positions);
            }
        }

        lanes?.Finish(dWeight, s);
    }

    /// <summary>
    /// col[(c, i, j), (oh, ow)] = x[c, oh·stride + i − padding, ow·stride + j − padding], 0 outside the image, copied a
    /// run of pixels at a time where the stride is 1.
    /// </summary>
    private static void Im2Col<T>(ReadOnlySpan<T> image, Span<T> col, in Shape s)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (s.Stride == 1 && s.Padding == 0 && s.OutWidth >= Vector256<T>.Count && Vector256.IsHardwareAccelerated)
        {
            PatchLines<T, CopyLine>(ref MemoryMarshal.GetReference(image), ref MemoryMarshal.GetReference(col), s);
            return;
        }

        int row = 0;
        for (int c = 0; c < s.InChannels; c++)
        {
            ReadOnlySpan<T> plane = image.Slice(c * s.Height * s.Width, s.Height * s.Width);
            for (int i = 0; i < s.Kernel; i++)
            {
                for (int j = 0; j < s.Kernel; j++, row++)
                {
                    Span<T> target = col.Slice(row * s.Positions, s.Positions);
                    var (first, end) = s.Inside(j);
                    for (int oh = 0; oh < s.OutHeight; oh++)
                    {
                        Span<T> line = target.Slice(oh * s.OutWidth, s.OutWidth);
                        int ih = (oh * s.Stride) + i - s.Padding;
                        if ((uint)ih >= (uint)s.Height || first >= end)
                        {
                            line.Clear();
                            continue;
                        }

                        // Only padded convolutions have columns outside the image (a call to clear nothing costs
                        // as much as copying a short run).
                        if (first > 0)
                        {
                            line[..first].Clear();
                        }

                        if (end < line.Length)
                        {
                            line[end..].Clear();
                        }

                        ReadOnlySpan<T> source = plane.Slice(ih * s.Width, s.Width);
                        int iw = (first * s.Stride) + j - s.Padding;
                        if (s.Stride == 1)
                        {
                            CopyRun(source.Slice(iw, end - first), line[first..end]);
                            continue;
                        }

                        for (int ow = first; ow < end; ow++, iw += s.Stride)
                        {
                            line[ow] = source[iw];
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// image = 0, then image[c, ih, iw] += col[(c, i, j), (oh, ow)] for every patch value inside the image, in order.
    /// </summary>
    private static void Col2Im<T>(ReadOnlySpan<T> col, Span<T> image, in Shape s)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        image.Clear();
        if (s.Stride == 1 && s.Padding == 0)
        {
            PatchLines<T, AddLine>(ref MemoryMarshal.GetReference(image), ref MemoryMarshal.GetReference(col), s);
            return;
        }

        int row = 0;
        for (int c = 0; c < s.InChannels; c++)
        {
            Span<T> plane = image.Slice(c * s.Height * s.Width, s.Height * s.Width);
            for (int i = 0; i < s.Kernel; i++)
            {
                for (int j = 0; j < s.Kernel; j++, row++)
                {
                    ReadOnlySpan<T> source = col.Slice(row * s.Positions, s.Positions);
                    var (first, end) = s.Inside(j);
                    for (int oh = 0; oh < s.OutHeight && first < end; oh++)
                    {
                        int ih = (oh * s.Stride) + i - s.Padding;
                        if ((uint)ih >= (uint)s.Height)
                        {
                            continue;
                        }

                        ReadOnlySpan<T> line = source.Slice((oh * s.OutWidth) + first, end - first);
                        Span<T> pixels = plane.Slice(ih * s.Width, s.Width);
                        int iw = (first * s.Stride) + j - s.Padding;
                        if (s.Stride == 1)
                        {
                            // Each pixel gets one addition here: adding the run element-wise keeps every pixel's order.
                            AddRun(line, pixels.Slice(iw, line.Length));
                            continue;
                        }

                        for (int n = 0; n < line.Length; n++, iw += s.Stride)
                        {
                            pixels[iw] += line[n];
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Every line of the patch matrix of an unstrided, unpadded convolution (the sizes checked by the caller) with the
    /// run of ow pixels of one image row it covers: line (c, i, j, oh) is pixels (c, oh + i, j …). TLine copies the run
    /// into the line (im2col) or adds the line to the run (col2im, on a cleared image, in col's order as the general
    /// loop adds it). Lines of a small image (26 or 11 pixels in Fashion-MNIST's CNN) are too short to repay a call to
    /// the general copy or a slice per line.
    /// </summary>
    private static void PatchLines<T, TLine>(ref T image, ref T col, in Shape s)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TLine : IPatchLine
    {
        int outWidth = s.OutWidth;
        ref T line = ref col;
        for (int c = 0; c < s.InChannels; c++)
        {
            for (int i = 0; i < s.Kernel; i++)
            {
                for (int j = 0; j < s.Kernel; j++)
                {
                    ref T pixels = ref Unsafe.Add(ref image, (((c * s.Height) + i) * s.Width) + j);
                    for (int oh = 0; oh < s.OutHeight; oh++)
                    {
                        TLine.Run(ref pixels, ref line, outWidth);
                        line = ref Unsafe.Add(ref line, outWidth);
                        pixels = ref Unsafe.Add(ref pixels, s.Width);
                    }
                }
            }
        }
    }

    /// <summary>What <see cref="PatchLines{T, TLine}"/> does with each line and its run of pixels.</summary>
    private interface IPatchLine
    {
        static abstract void Run<T>(ref T pixels, ref T line, int length)
            where T : unmanaged, IBinaryFloatingPointIeee754<T>;
    }

    /// <summary>line = pixels, in vectors, the last one overlapping the one before it (runs of at least one vector).</summary>
    private readonly struct CopyLine : IPatchLine
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Run<T>(ref T pixels, ref T line, int length)
            where T : unmanaged, IBinaryFloatingPointIeee754<T>
        {
            int lanes = Vector256<T>.Count, last = length - lanes;
            for (int n = 0; n < last; n += lanes)
            {
                Vector256.LoadUnsafe(ref pixels, (nuint)n).StoreUnsafe(ref line, (nuint)n);
            }

            Vector256.LoadUnsafe(ref pixels, (nuint)last).StoreUnsafe(ref line, (nuint)last);
        }
    }

    /// <summary>pixels += line.</summary>
    private readonly struct AddLine : IPatchLine
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Run<T>(ref T pixels, ref T line, int length)
            where T : unmanaged, IBinaryFloatingPointIeee754<T> => AddRun(ref line, ref pixels, length);
    }

    /// <summary>
    /// A run of pixels (one row of a small image: 26 or 11 in Fashion-MNIST's CNN) copied in vectors, the last one
    /// overlapping the one before it, instead of a call to the general copy, whose call costs more than such a run.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRun<T>(ReadOnlySpan<T> run, Span<T> target)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!Vector256.IsHardwareAccelerated || run.Length < Vector256<T>.Count)
        {
            run.CopyTo(target);
            return;
        }

        CopyLine.Run(ref MemoryMarshal.GetReference(run), ref MemoryMarshal.GetReference(target[..run.Length]), run.Length);
    }

    /// <summary>target[n] += run[n]: a run of one image row, a few dozen values, added in vectors where they fit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRun<T>(ReadOnlySpan<T> run, Span<T> target)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        AddRun(ref MemoryMarshal.GetReference(run), ref MemoryMarshal.GetReference(target[..run.Length]), run.Length);

    /// <summary>
    /// target[n] += source[n] for n &lt; length: each pixel gets one addition, so vectors keep every pixel's order. A run
    /// of at least one vector ends with a vector overlapping the one before it, its sums taken from the values before
    /// any store (the overlap's lanes then hold the same sums in both), instead of a scalar tail.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRun<T>(ref T source, ref T destination, int length)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int lanes = Vector256<T>.Count;
        if (Vector256.IsHardwareAccelerated && length >= lanes)
        {
            nuint last = (nuint)(length - lanes);
            Vector256<T> end = Vector256.LoadUnsafe(ref destination, last) + Vector256.LoadUnsafe(ref source, last);
            for (nuint n = 0; n < last; n += (nuint)lanes)
            {
                (Vector256.LoadUnsafe(ref destination, n) + Vector256.LoadUnsafe(ref source, n)).StoreUnsafe(ref destination, n);
            }

            end.StoreUnsafe(ref destination, last);
            return;
        }

        for (int n = 0; n < length; n++)
        {
            Unsafe.Add(ref destination, n) += Unsafe.Add(ref source, n);
        }
    }

    /// <summary>One call's sizes, checked once.</summary>
    private readonly struct Shape
    {
        public Shape(int batch, int inChannels, int height, int width, int outChannels, int kernel, int stride, int padding)
        {
            Guard.Positive(batch, nameof(batch));
            Guard.Positive(inChannels, nameof(inChannels));
            Guard.Positive(height, nameof(height));
            Guard.Positive(width, nameof(width));
            Guard.Positive(outChannels, nameof(outChannels));
            Guard.Positive(kernel, nameof(kernel));
            Guard.Positive(stride, nameof(stride));
            if (padding < 0 || height + (2 * padding) < kernel || width + (2 * padding) < kernel)
            {
                throw new ArgumentOutOfRangeException(nameof(padding), padding, $"A {kernel} × {kernel} kernel with padding {padding} does not fit a {height} × {width} image.");
            }

            (Batch, InChannels, Height, Width, OutChannels, Kernel, Stride, Padding) = (batch, inChannels, height, width, outChannels, kernel, stride, padding);
            OutHeight = OutputSize(height, kernel, stride, padding);
            OutWidth = OutputSize(width, kernel, stride, padding);
        }

        public int Batch { get; }

        public int InChannels { get; }

        public int Height { get; }

        public int Width { get; }

        public int OutChannels { get; }

        public int Kernel { get; }

        public int Stride { get; }

        public int Padding { get; }

        public int OutHeight { get; }

        public int OutWidth { get; }

        /// <summary>The output columns [first, end) whose input column ow·stride + j − padding lies inside the image.</summary>
        public (int First, int End) Inside(int j)
        {
            int first = Math.Max(0, (Padding - j + Stride - 1) / Stride);
            int last = Width - 1 + Padding - j; // ow·stride ≤ last; negative: no ow
            int end = last < 0 ? 0 : Math.Min(OutWidth, (last / Stride) + 1);
            return (first, Math.Max(first, end));
        }

        /// <summary>Rows of the patch matrix: cin·k·k.</summary>
        public int Rows => InChannels * Kernel * Kernel;

        /// <summary>Output positions of one channel: oh·ow.</summary>
        public int Positions => OutHeight * OutWidth;

        public int Image => InChannels * Height * Width;

        public int OutImage => OutChannels * Positions;

        public void Check(int input, int weight, int output, int workspace, string inputName, string outputName)
        {
            Guard.Fits(input, (long)Batch * Image, inputName);
            Guard.Fits(weight, (long)OutChannels * Rows, nameof(weight));
            Guard.Fits(output, (long)Batch * OutImage, outputName);
            Guard.Fits(workspace, (long)Rows * Positions, nameof(workspace));
        }
    }
}
