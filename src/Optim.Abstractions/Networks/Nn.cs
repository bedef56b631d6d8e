using System.Numerics;
using Optim.Kernels;

namespace Optim;

/// <summary>
/// The functions a <see cref="ForwardAttribute"/> method may call: activations, pooling, flattening and dropout, with PyTorch's semantics (<c>torch.nn.functional</c>).
/// The generator reads calls to them; called directly they compute eagerly (the reference).
/// </summary>
public static class Nn
{
    /// <summary>max(x, 0); its gradient at 0 is 0, as in PyTorch.</summary>
    public static Tensor<T> Relu<T>(Tensor<T> x)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => Apply(x, Activation.Relu, 0);

    /// <summary>x where x &gt; 0, else slope·x (PyTorch's default slope 0.01).</summary>
    public static Tensor<T> LeakyRelu<T>(Tensor<T> x, double negativeSlope = 0.01)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => Apply(x, Activation.LeakyRelu, negativeSlope);

    /// <summary>tanh(x).</summary>
    public static Tensor<T> Tanh<T>(Tensor<T> x)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => Apply(x, Activation.Tanh, 0);

    /// <summary>1 / (1 + e^−x).</summary>
    public static Tensor<T> Sigmoid<T>(Tensor<T> x)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => Apply(x, Activation.Sigmoid, 0);

    /// <summary>x·Φ(x), Φ the standard normal CDF (the erf form, PyTorch's default).</summary>
    public static Tensor<T> Gelu<T>(Tensor<T> x)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => Apply(x, Activation.Gelu, 0);

    /// <summary>0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (PyTorch's <c>approximate='tanh'</c>).</summary>
    public static Tensor<T> GeluTanh<T>(Tensor<T> x)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => Apply(x, Activation.GeluTanh, 0);

    /// <summary>x·sigmoid(x).</summary>
    public static Tensor<T> Silu<T>(Tensor<T> x)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => Apply(x, Activation.Silu, 0);

    /// <summary>The maximum of each kernel × kernel window (stride kernel, no padding, floor) of [batch, c, h, w].</summary>
    public static Tensor<T> MaxPool2d<T>(Tensor<T> x, int kernelSize)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => Pool(x, kernelSize, max: true);

    /// <summary>The mean of each kernel × kernel window (stride kernel, no padding, floor) of [batch, c, h, w].</summary>
    public static Tensor<T> AvgPool2d<T>(Tensor<T> x, int kernelSize)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => Pool(x, kernelSize, max: false);

    /// <summary>[batch, d₁, d₂, …] as [batch, d₁·d₂·…], values in the same order.</summary>
    public static Tensor<T> Flatten<T>(Tensor<T> x)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        System.ArgumentNullException.ThrowIfNull(x);
        return new Tensor<T>((T[])x.Values.Clone(), x.Batch, x.PerExample);
    }

    /// <summary>
    /// Dropout with probability <paramref name="p"/>: in <c>TrainStep</c> each value is zeroed with probability p and the rest
    /// scaled by 1/(1 − p), from the model's seeded generator; in <c>Predict</c>, <c>Evaluate</c> and when called directly it
    /// passes values through unchanged (inference).
    /// </summary>
    public static Tensor<T> Dropout<T>(Tensor<T> x, double p)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        System.ArgumentNullException.ThrowIfNull(x);
        return x.With((T[])x.Values.Clone());
    }

    private static Tensor<T> Pool<T>(Tensor<T> x, int kernelSize, bool max)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        System.ArgumentNullException.ThrowIfNull(x);
        if (x.Shape.Length != 4 || kernelSize < 1 || x.Shape[2] < kernelSize || x.Shape[3] < kernelSize)
        {
            throw new System.ArgumentException($"Pooling with a {kernelSize} × {kernelSize} window takes [batch, c, h, w] with h and w at least {kernelSize}.", nameof(x));
        }

        int batch = x.Shape[0], channels = x.Shape[1], height = x.Shape[2], width = x.Shape[3];
        Tensor<T> y = Tensor<T>.Create(new[] { batch, channels, height / kernelSize, width / kernelSize });
        if (max)
        {
            var argmax = new int[y.Values.Length];
            Pooling.MaxForward<T>(x.Values, y.Values, argmax, batch, channels, height, width, kernelSize);
        }
        else
        {
            Pooling.AvgForward<T>(x.Values, y.Values, batch, channels, height, width, kernelSize);
        }

        return y;
    }

    private static Tensor<T> Apply<T>(Tensor<T> x, Activation kind, double slope)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        System.ArgumentNullException.ThrowIfNull(x);
        var y = new T[x.Values.Length];
        Activations.Forward<T>(kind, slope, x.Values, y);
        return x.With(y);
    }
}
