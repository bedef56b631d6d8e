using System;
using System.Numerics;

namespace Optim;

/// <summary>
/// A 2-D convolution declared with <see cref="Conv2dAttribute"/>: a view of its weight [out, in, k, k] and bias [out] in
/// the model's arena. In a <see cref="ForwardAttribute"/> method, <c>layer.Forward(x)</c> takes [batch, in, h, w] and gives
/// [batch, out, (h + 2·padding − k) / stride + 1, (w + 2·padding − k) / stride + 1].
/// </summary>
/// <typeparam name="T">The model's element type.</typeparam>
public readonly struct Conv2d<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly Arena<T> _arena;
    private readonly int _weight;
    private readonly int _bias;

    /// <summary>Used by generated code: the layer whose weight and bias (−1: none) start at these offsets of <paramref name="arena"/>.</summary>
    public Conv2d(Arena<T> arena, int weight, int bias, int inChannels, int outChannels, int kernelSize, int stride, int padding)
    {
        _arena = arena;
        _weight = weight;
        _bias = bias;
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
    }

    /// <summary>Channels of the input.</summary>
    public int InChannels { get; }

    /// <summary>Channels of the output.</summary>
    public int OutChannels { get; }

    /// <summary>The kernel's height and width.</summary>
    public int KernelSize { get; }

    /// <summary>The step between windows.</summary>
    public int Stride { get; }

    /// <summary>Zeros added on every side.</summary>
    public int Padding { get; }

    /// <summary>The weight, [OutChannels, InChannels, KernelSize, KernelSize] row-major.</summary>
    public Span<T> Weight => _arena.Slice(_weight, OutChannels * InChannels * KernelSize * KernelSize);

    /// <summary>The bias, [OutChannels]; empty when the layer has none.</summary>
    public Span<T> Bias => _bias < 0 ? Span<T>.Empty : _arena.Slice(_bias, OutChannels);

    /// <summary>The convolution of <paramref name="x"/> [batch, InChannels, h, w], computed now (the eager reference).</summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not [batch, InChannels, h, w] with room for one window.</exception>
    public Tensor<T> Forward(Tensor<T> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Shape.Length != 4 || x.Shape[1] != InChannels)
        {
            throw new ArgumentException($"Conv2d({InChannels}, {OutChannels}, {KernelSize}) takes [batch, {InChannels}, h, w]; it was given [{string.Join(", ", x.Shape.ToArray())}].", nameof(x));
        }

        int batch = x.Shape[0], height = x.Shape[2], width = x.Shape[3];
        int outHeight = Kernels.Conv2d.OutputSize(height, KernelSize, Stride, Padding);
        int outWidth = Kernels.Conv2d.OutputSize(width, KernelSize, Stride, Padding);
        if (outHeight < 1 || outWidth < 1)
        {
            throw new ArgumentException($"A {KernelSize} × {KernelSize} kernel with padding {Padding} does not fit a {height} × {width} input.", nameof(x));
        }

        Tensor<T> y = Tensor<T>.Create(new[] { batch, OutChannels, outHeight, outWidth });
        var workspace = new T[Kernels.Conv2d.WorkspaceLength(InChannels, height, width, KernelSize, Stride, Padding)];
        Kernels.Conv2d.Forward<T>(x.Values, Weight, Bias, y.Values, workspace, batch, InChannels, height, width, OutChannels, KernelSize, Stride, Padding);
        return y;
    }
}
