using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Optim.Kernels;

/// <summary>
/// Max and average pooling over k × k windows with stride k, no padding, floor mode (rows and columns past the last
/// whole window are ignored), NCHW: x [batch, channels, h, w], y [batch, channels, h/k, w/k]. Loops in a fixed order
/// (windows row-major), so every machine gives the same bits; 2 × 2 float max pooling takes four windows per vector.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class Pooling
{
    /// <summary>Output size of one dimension: ⌊size / kernel⌋.</summary>
    public static int OutputSize(int size, int kernel) => size / kernel;

    /// <summary>
    /// y = the max of each window; <paramref name="argmax"/> receives, per output, the index of the chosen input within its
    /// channel's plane (ih·w + iw, PyTorch's indices). Ties: the first maximum in row-major window order; a NaN wins
    /// (as in PyTorch, the last NaN of the window).
    /// </summary>
    public static void MaxForward<T>(ReadOnlySpan<T> x, Span<T> y, Span<int> argmax, int batch, int channels, int height, int width, int kernel, int maxThreads = 1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var (planes, oh, ow) = Check(x.Length, y.Length, batch, channels, height, width, kernel, nameof(x), nameof(y));
        Guard.Fits(argmax.Length, (long)planes * oh * ow, nameof(argmax));
        int threads = Threads(maxThreads, batch, (long)planes * height * width);
        if (threads > 1)
        {
            Images<T>.Run(Images<T>.Op.MaxForward, x, y, argmax, default, batch, channels, height, width, kernel, GemmOptions.None, 0, threads);
            return;
        }

        if (PairsInVectors<T>(kernel, ow))
        {
            MaxPairs(ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(x)), ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(y)),
                ref MemoryMarshal.GetReference(argmax), planes, height, width, oh, ow);
            return;
        }

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

    /// <summary>
    /// Whether 2 × 2 windows take the vector loops: float, 256-bit vectors, and at least four windows a row (the last
    /// four of a row overlap the ones before them; a window's result does not depend on its neighbours).
    /// </summary>
    private static bool PairsInVectors<T>(int kernel, int ow) =>
        kernel == 2 && typeof(T) == typeof(float) && ow >= 4 && Vector256.IsHardwareAccelerated;

    /// <summary>
    /// 2 × 2 float max pooling of every plane, four windows at a time: eight inputs of each of the window's two rows in
    /// one vector, split into even and odd columns, then the scalar loop's steps in its order (the window's four values
    /// row-major, each taken when it beats the maximum so far or is NaN) in every lane. A maximum is exact, so these are
    /// the scalar loop's values and indices. The last four windows of a row overlap the ones before them.
    /// </summary>
    private static void MaxPairs(ref float x, ref float y, ref int argmax, int planes, int height, int width, int oh, int ow)
    {
        Vector256<int> split = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
        for (int p = 0; p < planes; p++)
        {
            for (int i = 0; i < oh; i++)
            {
                ref float top = ref Unsafe.Add(ref x, (p * height * width) + (2 * i * width));
                ref float bottom = ref Unsafe.Add(ref top, width);
                for (int j = 0; ; j = Math.Min(j + 4, ow - 4))
                {
                    Vector128<int> first = Vector128.Create(0, 2, 4, 6) + Vector128.Create((2 * i * width) + (2 * j));
                    Vector256<float> upper = Vector256.Shuffle(Vector256.LoadUnsafe(ref top, (nuint)(2 * j)), split);
                    Vector256<float> lower = Vector256.Shuffle(Vector256.LoadUnsafe(ref bottom, (nuint)(2 * j)), split);
                    Vector128<float> max = upper.GetLower();
                    Vector128<int> best = first;
                    Take(upper.GetUpper(), first + Vector128<int>.One, ref max, ref best);
                    Take(lower.GetLower(), first + Vector128.Create(width), ref max, ref best);
                    Take(lower.GetUpper(), first + Vector128.Create(width + 1), ref max, ref best);
                    max.StoreUnsafe(ref y, (nuint)j);
                    best.StoreUnsafe(ref argmax, (nuint)j);
                    if (j == ow - 4)
                    {
                        break;
                    }
                }

                y = ref Unsafe.Add(ref y, ow);
                argmax = ref Unsafe.Add(ref argmax, ow);
            }
        }
    }

    /// <summary>In each lane: the value and its index replace the maximum so far when the value is greater or NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(Vector128<float> value, Vector128<int> index, ref Vector128<float> max, ref Vector128<int> best)
    {
        Vector128<float> take = Vector128.GreaterThan(value, max) | ~Vector128.Equals(value, value);
        max = Vector128.ConditionalSelect(take, value, max);
        best = Vector128.ConditionalSelect(take.AsInt32(), index, best);
    }

    /// <summary>
    /// dx = 0, then each output's gradient goes to the input its window chose (dx overwritten). When the pooled values
    /// are a Relu's or LeakyRelu's output (<paramref name="inputActivation"/>, <paramref name="input"/> that output,
    /// <paramref name="slope"/> ≥ 0), dx goes on back through it, as <see cref="Activations.Backward{T}"/> would: dx is
    /// then the gradient of the activation's input (input ≤ 0 ? 0 : dx, or input &gt; 0 ? dx : slope·dx). Windows do not
    /// overlap, so only the chosen inputs can differ from zero, and only they are gated.
    /// </summary>
    public static void MaxBackward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<int> argmax, Span<T> dx, int batch, int channels, int height, int width, int kernel,
        GemmOptions inputActivation = GemmOptions.None, ReadOnlySpan<T> input = default, double slope = 0, int maxThreads = 1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var (planes, oh, ow) = Check(dx.Length, dy.Length, batch, channels, height, width, kernel, nameof(dx), nameof(dy));
        Guard.Fits(argmax.Length, (long)planes * oh * ow, nameof(argmax));
        int plane = height * width;
        Dense.CheckInputActivation(planes, plane, inputActivation, input, slope);
        int threads = Threads(maxThreads, batch, (long)planes * plane);
        if (threads > 1)
        {
            Images<T>.Run(Images<T>.Op.MaxBackward, dy, dx, argmax, input, batch, channels, height, width, kernel,
                inputActivation, slope, threads);
            return;
        }

        var gate = new Dense.FusedActivation<T>(inputActivation, T.CreateTruncating(slope));
        dx[..(planes * plane)].Clear();
        for (int p = 0, o = 0; p < planes; p++)
        {
            Span<T> target = dx.Slice(p * plane, plane);
            if (gate.IsNone)
            {
                for (int q = 0; q < oh * ow; q++, o++)
                {
                    target[argmax[o]] += dy[o];
                }

                continue;
            }

            ReadOnlySpan<T> values = input.Slice(p * plane, plane);
            for (int q = 0; q < oh * ow; q++, o++)
            {
                // The same operations as the two passes: the add onto the cleared input, then the gate, as a select (a
                // branch on the sign of a Relu's output mispredicts half the time).
                int chosen = argmax[o];
                target[chosen] = gate.Backward(Vector128.CreateScalarUnsafe(values[chosen]), Vector128.CreateScalarUnsafe(T.Zero + dy[o])).ToScalar();
            }
        }
    }

    /// <summary>y = the mean of each window: its k² values added row-major, then divided by k².</summary>
    public static void AvgForward<T>(ReadOnlySpan<T> x, Span<T> y, int batch, int channels, int height, int width, int kernel, int maxThreads = 1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var (planes, oh, ow) = Check(x.Length, y.Length, batch, channels, height, width, kernel, nameof(x), nameof(y));
        int threads = Threads(maxThreads, batch, (long)planes * height * width);
        if (threads > 1)
        {
            Images<T>.Run(Images<T>.Op.AvgForward, x, y, default, default, batch, channels, height, width, kernel, GemmOptions.None, 0, threads);
            return;
        }

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
    public static void AvgBackward<T>(ReadOnlySpan<T> dy, Span<T> dx, int batch, int channels, int height, int width, int kernel, int maxThreads = 1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var (planes, oh, ow) = Check(dx.Length, dy.Length, batch, channels, height, width, kernel, nameof(dx), nameof(dy));
        int threads = Threads(maxThreads, batch, (long)planes * height * width);
        if (threads > 1)
        {
            Images<T>.Run(Images<T>.Op.AvgBackward, dy, dx, default, default, batch, channels, height, width, kernel, GemmOptions.None, 0, threads);
            return;
        }

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
