using System;
using System.ComponentModel;
using System.Numerics;

namespace Optim.Kernels;

/// <summary>
/// Max and average pooling over k × k windows with stride k, no padding, floor mode (rows and columns past the last
/// whole window are ignored), NCHW: x [batch, channels, h, w], y [batch, channels, h/k, w/k]. Scalar loops in a fixed
/// order (windows row-major), so every machine gives the same bits.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Pooling
{
    /// <summary>Output size of one dimension: ⌊size / kernel⌋.</summary>
    public static int OutputSize(int size, int kernel) => size / kernel;

    /// <summary>
    /// y = the max of each window; <paramref name="argmax"/> receives, per output, the index of the chosen input within its
    /// channel's plane (ih·w + iw, PyTorch's indices). Ties: the first maximum in row-major window order; a NaN wins
    /// (as in PyTorch, the last NaN of the window).
    /// </summary>
    public static void MaxForward<T>(ReadOnlySpan<T> x, Span<T> y, Span<int> argmax, int batch, int channels, int height, int width, int kernel)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var (planes, oh, ow) = Check(x.Length, y.Length, batch, channels, height, width, kernel, nameof(x), nameof(y));
        Guard.Fits(argmax.Length, (long)planes * oh * ow, nameof(argmax));
        for (int p = 0, o = 0; p < planes; p++)
        {
            ReadOnlySpan<T> plane = x.Slice(p * height * width, height * width);
            for (int i = 0; i < oh; i++)
            {
                for (int j = 0; j < ow; j++, o++)
                {
                    // Without branches (which of four random values is largest mispredicts half the time): take is
                    // −1 when the value beats the maximum so far or is NaN, and selects the index by masks; the output
                    // is the value at the chosen index.
                    int first = (i * kernel * width) + (j * kernel);
                    int best = first;
                    T max = plane[first];
                    for (int a = 0; a < kernel; a++)
                    {
                        for (int b = a == 0 ? 1 : 0; b < kernel; b++)
                        {
                            int index = first + (a * width) + b;
                            T v = plane[index];
                            int take = -((v > max ? 1 : 0) | (T.IsNaN(v) ? 1 : 0));
                            best = (best & ~take) | (index & take);
                            max = plane[best];
                        }
                    }

                    y[o] = max;
                    argmax[o] = best;
                }
            }
        }
    }

    /// <summary>dx = 0, then each output's gradient goes to the input its window chose (dx overwritten).</summary>
    public static void MaxBackward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<int> argmax, Span<T> dx, int batch, int channels, int height, int width, int kernel)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var (planes, oh, ow) = Check(dx.Length, dy.Length, batch, channels, height, width, kernel, nameof(dx), nameof(dy));
        Guard.Fits(argmax.Length, (long)planes * oh * ow, nameof(argmax));
        int plane = height * width;
        dx[..(planes * plane)].Clear();
        for (int p = 0, o = 0; p < planes; p++)
        {
            Span<T> target = dx.Slice(p * plane, plane);
            for (int q = 0; q < oh * ow; q++, o++)
            {
                target[argmax[o]] += dy[o];
            }
        }
    }

    /// <summary>y = the mean of each window: its k² values added row-major, then divided by k².</summary>
    public static void AvgForward<T>(ReadOnlySpan<T> x, Span<T> y, int batch, int channels, int height, int width, int kernel)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var (planes, oh, ow) = Check(x.Length, y.Length, batch, channels, height, width, kernel, nameof(x), nameof(y));
        T count = T.CreateTruncating(kernel * kernel);
        for (int p = 0, o = 0; p < planes; p++)
        {
            ReadOnlySpan<T> plane = x.Slice(p * height * width, height * width);
            for (int i = 0; i < oh; i++)
            {
                for (int j = 0; j < ow; j++, o++)
                {
                    T sum = T.Zero;
                    for (int a = 0; a < kernel; a++)
                    {
                        for (int b = 0; b < kernel; b++)
                        {
                            sum += plane[(((i * kernel) + a) * width) + (j * kernel) + b];
                        }
                    }

                    y[o] = sum / count;
                }
            }
        }
    }

    /// <summary>dx = dy / k² on every input of each window, 0 on inputs no window covers (dx overwritten).</summary>
    public static void AvgBackward<T>(ReadOnlySpan<T> dy, Span<T> dx, int batch, int channels, int height, int width, int kernel)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var (planes, oh, ow) = Check(dx.Length, dy.Length, batch, channels, height, width, kernel, nameof(dx), nameof(dy));
        T count = T.CreateTruncating(kernel * kernel);
        int size = height * width;
        dx[..(planes * size)].Clear();
        for (int p = 0, o = 0; p < planes; p++)
        {
            Span<T> plane = dx.Slice(p * size, size);
            for (int i = 0; i < oh; i++)
            {
                for (int j = 0; j < ow; j++, o++)
                {
                    T share = dy[o] / count;
                    for (int a = 0; a < kernel; a++)
                    {
                        for (int b = 0; b < kernel; b++)
                        {
                            plane[(((i * kernel) + a) * width) + (j * kernel) + b] = share;
                        }
                    }
                }
            }
        }
    }

    private static (int Planes, int OutHeight, int OutWidth) Check(int input, int output, int batch, int channels, int height, int width, int kernel, string inputName, string outputName)
    {
        Guard.Positive(batch, nameof(batch));
        Guard.Positive(channels, nameof(channels));
        Guard.Positive(kernel, nameof(kernel));
        if (height < kernel || width < kernel)
        {
            throw new ArgumentOutOfRangeException(nameof(kernel), kernel, $"A {kernel} × {kernel} window does not fit a {height} × {width} plane.");
        }

        int planes = batch * channels;
        int oh = OutputSize(height, kernel), ow = OutputSize(width, kernel);
        Guard.Fits(input, (long)planes * height * width, inputName);
        Guard.Fits(output, (long)planes * oh * ow, outputName);
        return (planes, oh, ow);
    }
}
