using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
using Optim.Kernels;

namespace Optim.Generators.Tests.Networks;

/// <summary>One parameter tensor of an interpreted network: PyTorch's name and shape, its values and its gradient.</summary>
internal sealed class NetworkParameter<T>(string name, int[] shape)
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public string Name { get; } = name;

    public int[] Shape { get; } = shape;

    public T[] Value { get; } = new T[shape.Aggregate(1, (a, b) => a * b)];

    public T[] Grad { get; } = new T[shape.Aggregate(1, (a, b) => a * b)];
}

/// <summary>
/// Runs a network string of tests/reference/networks.json ("linear:10:5,relu,linear:5:1", "res(linear:16:16;relu;…)",
/// "conv2d:CIN:COUT:K:STRIDE:PAD", "embedding:NUM:DIM", …, plus "dropout:P:SEED" for the probe) on the network kernels:
/// forward, a loss and its gradient, backward into the parameters' gradients. What a generated network will do, written
/// by hand: every buffer is allocated when the network is built, so a training step allocates nothing.
/// </summary>
internal sealed class Network<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly Layer[] _layers;
    private readonly T[][] _values;
    private readonly T[][] _grads;
    private readonly int[] _indices;

    /// <param name="spec">The network string.</param>
    /// <param name="inputShape">The input's shape, batch first (integer indices [batch, n] for an embedding network).</param>
    public Network(string spec, int[] inputShape)
    {
        var parameters = new List<NetworkParameter<T>>();
        var shapes = new List<int[]> { inputShape };
        _layers = Build(spec, "", inputShape, parameters, shapes);
        Parameters = parameters;
        _values = shapes.Select(s => new T[Size(s)]).ToArray();
        _grads = shapes.Select(s => new T[Size(s)]).ToArray();
        _indices = new int[Size(inputShape)];
        OutputShape = shapes[^1];
        for (int i = 0; i < _layers.Length; i++)
        {
            _layers[i].Bind(_values[i], _values[i + 1], _grads[i], _grads[i + 1], _indices);
        }
    }

    public IReadOnlyList<NetworkParameter<T>> Parameters { get; }

    public int[] OutputShape { get; }

    /// <summary>The network's input (float values; see <see cref="Indices"/> for an embedding network).</summary>
    public Span<T> Input => _values[0];

    /// <summary>The integer input of an embedding network.</summary>
    public Span<int> Indices => _indices;

    public ReadOnlySpan<T> Output => _values[^1];

    /// <summary>d loss / d output, written by <see cref="Loss"/>.</summary>
    public Span<T> OutputGrad => _grads[^1];

    public NetworkParameter<T> this[string name] => Parameters.Single(p => p.Name == name);

    public void ZeroGrad()
    {
        for (int i = 0; i < Parameters.Count; i++)
        {
            Array.Clear(Parameters[i].Grad);
        }
    }

    public void Forward()
    {
        for (int i = 0; i < _layers.Length; i++)
        {
            _layers[i].Forward();
        }
    }

    public void Backward()
    {
        for (int i = _layers.Length - 1; i >= 0; i--)
        {
            _layers[i].Backward();
        }
    }

    /// <summary>The loss (mse, l1, smooth_l1, bce_logits with <paramref name="target"/>; cross_entropy with <paramref name="classes"/>); writes <see cref="OutputGrad"/>.</summary>
    public double Loss(string kind, ReadOnlySpan<T> target, ReadOnlySpan<int> classes) => kind switch
    {
        "mse" => Losses.MeanSquared(Output, target, OutputGrad),
        "l1" => Losses.L1(Output, target, OutputGrad),
        "smooth_l1" => Losses.SmoothL1(Output, target, OutputGrad),
        "bce_logits" => Losses.BinaryCrossEntropyWithLogits(Output, target, OutputGrad),
        "cross_entropy" => Losses.CrossEntropy(Output, classes, OutputGrad, OutputShape[0], OutputShape[^1]),
        _ => throw new NotSupportedException("loss " + kind),
    };

    private static int Size(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    /// <summary>The layers of <paramref name="spec"/>, each output shape appended to <paramref name="shapes"/>.</summary>
    private static Layer[] Build(string spec, string prefix, int[] shape, List<NetworkParameter<T>> parameters, List<int[]> shapes)
    {
        var layers = new List<Layer>();
        foreach (string op in NetworkStrings.SplitTop(spec, ','))
        {
            string name = prefix + layers.Count.ToString(CultureInfo.InvariantCulture) + ".";
            Layer layer = Create(op, name, shape, parameters);
            layers.Add(layer);
            shape = layer.OutShape;
            shapes.Add(shape);
        }

        return layers.ToArray();
    }

    private static Layer Create(string op, string name, int[] shape, List<NetworkParameter<T>> parameters)
    {
        if (op.StartsWith("res(", StringComparison.Ordinal))
        {
            return new Residual(op[4..^1].Replace(';', ','), name, shape, parameters);
        }

        string[] part = op.Split(':');
        int Arg(int i) => int.Parse(part[i], CultureInfo.InvariantCulture);
        NetworkParameter<T> Param(string suffix, params int[] s)
        {
            var p = new NetworkParameter<T>(name + suffix, s);
            parameters.Add(p);
            return p;
        }

        return part[0] switch
        {
            "linear" => new Linear(shape, Arg(1), Arg(2), Param("weight", Arg(2), Arg(1)), Param("bias", Arg(2))),
            "conv2d" => new Convolution(shape, Arg(1), Arg(2), Arg(3), Arg(4), Arg(5), Param("weight", Arg(2), Arg(1), Arg(3), Arg(3)), Param("bias", Arg(2))),
            "max_pool2d" => new MaxPool(shape, Arg(1)),
            "avg_pool2d" => new AvgPool(shape, Arg(1)),
            "flatten" => new Flatten(shape),
            "embedding" => new EmbeddingLayer(shape, Arg(2), Param("weight", Arg(1), Arg(2))),
            "layer_norm" => new Norm(shape, Arg(1), Param("weight", Arg(1)), Param("bias", Arg(1))),
            "dropout" => new DropoutLayer(shape, double.Parse(part[1], CultureInfo.InvariantCulture), ulong.Parse(part[2], CultureInfo.InvariantCulture)),
            "relu" => new Act(shape, Activation.Relu, 0),
            "leaky_relu" => new Act(shape, Activation.LeakyRelu, double.Parse(part[1], CultureInfo.InvariantCulture)),
            "tanh" => new Act(shape, Activation.Tanh, 0),
            "sigmoid" => new Act(shape, Activation.Sigmoid, 0),
            "gelu" => new Act(shape, Activation.Gelu, 0),
            "gelu_tanh" => new Act(shape, Activation.GeluTanh, 0),
            "silu" => new Act(shape, Activation.Silu, 0),
            _ => throw new NotSupportedException("op " + op),
        };
    }

    /// <summary>One op: reads X (and its integer input), writes Y; backward reads DY, writes DX and adds to its parameters' gradients.</summary>
    private abstract class Layer(int[] outShape)
    {
        public int[] OutShape { get; } = outShape;

        protected T[] X { get; private set; } = [];

        protected T[] Y { get; private set; } = [];

        protected T[] DX { get; private set; } = [];

        protected T[] DY { get; private set; } = [];

        protected int[] Indices { get; private set; } = [];

        public void Bind(T[] x, T[] y, T[] dx, T[] dy, int[] indices) => (X, Y, DX, DY, Indices) = (x, y, dx, dy, indices);

        public abstract void Forward();

        public abstract void Backward();
    }

    private sealed class Linear(int[] shape, int inFeatures, int outFeatures, NetworkParameter<T> weight, NetworkParameter<T> bias)
        : Layer([.. shape[..^1], outFeatures])
    {
        private readonly int _rows = Size(shape) / inFeatures;

        public override void Forward() => Dense.Forward<T>(X, weight.Value, bias.Value, Y, _rows, inFeatures, outFeatures);

        public override void Backward()
        {
            Dense.BackwardWeights<T>(DY, X, weight.Grad, bias.Grad, _rows, inFeatures, outFeatures);
            Dense.BackwardInput<T>(DY, weight.Value, DX, _rows, inFeatures, outFeatures);
        }
    }

    private sealed class Convolution(int[] shape, int cin, int cout, int k, int stride, int pad, NetworkParameter<T> weight, NetworkParameter<T> bias)
        : Layer([shape[0], cout, Conv2d.OutputSize(shape[2], k, stride, pad), Conv2d.OutputSize(shape[3], k, stride, pad)])
    {
        private readonly T[] _workspace = new T[Conv2d.WorkspaceLength(cin, shape[2], shape[3], k, stride, pad)];

        public override void Forward() => Conv2d.Forward<T>(X, weight.Value, bias.Value, Y, _workspace, shape[0], cin, shape[2], shape[3], cout, k, stride, pad);

        public override void Backward()
        {
            Conv2d.BackwardWeights<T>(DY, X, weight.Grad, bias.Grad, _workspace, shape[0], cin, shape[2], shape[3], cout, k, stride, pad);
            Conv2d.BackwardInput<T>(DY, weight.Value, DX, _workspace, shape[0], cin, shape[2], shape[3], cout, k, stride, pad);
        }
    }

    private sealed class MaxPool(int[] shape, int k) : Layer([shape[0], shape[1], shape[2] / k, shape[3] / k])
    {
        private readonly int[] _argmax = new int[shape[0] * shape[1] * (shape[2] / k) * (shape[3] / k)];

        public override void Forward() => Pooling.MaxForward<T>(X, Y, _argmax, shape[0], shape[1], shape[2], shape[3], k);

        public override void Backward() => Pooling.MaxBackward<T>(DY, _argmax, DX, shape[0], shape[1], shape[2], shape[3], k);
    }

    private sealed class AvgPool(int[] shape, int k) : Layer([shape[0], shape[1], shape[2] / k, shape[3] / k])
    {
        public override void Forward() => Pooling.AvgForward<T>(X, Y, shape[0], shape[1], shape[2], shape[3], k);

        public override void Backward() => Pooling.AvgBackward<T>(DY, DX, shape[0], shape[1], shape[2], shape[3], k);
    }

    private sealed class Flatten(int[] shape) : Layer([shape[0], Size(shape) / shape[0]])
    {
        public override void Forward() => X.CopyTo(Y, 0);

        public override void Backward() => DY.CopyTo(DX, 0);
    }

    private sealed class EmbeddingLayer(int[] shape, int dim, NetworkParameter<T> weight) : Layer([.. shape, dim])
    {
        public override void Forward() => Embedding.Forward<T>(Indices, weight.Value, Y, Size(shape), dim);

        public override void Backward() => Embedding.Backward<T>(Indices, DY, weight.Grad, Size(shape), dim);
    }

    private sealed class Norm(int[] shape, int features, NetworkParameter<T> gamma, NetworkParameter<T> beta) : Layer(shape)
    {
        private readonly int _rows = Size(shape) / features;
        private readonly T[] _mean = new T[Size(shape) / features];
        private readonly T[] _rstd = new T[Size(shape) / features];

        public override void Forward() => LayerNorm.Forward<T>(X, gamma.Value, beta.Value, Y, _mean, _rstd, _rows, features);

        public override void Backward() => LayerNorm.Backward<T>(DY, X, gamma.Value, _mean, _rstd, DX, gamma.Grad, beta.Grad, _rows, features);
    }

    private sealed class DropoutLayer(int[] shape, double p, ulong seed) : Layer(shape)
    {
        private readonly T[] _mask = new T[Size(shape)];
        private ulong _state = seed;

        public override void Forward() => Dropout.Forward<T>(X, Y, _mask, p, ref _state);

        public override void Backward() => Dropout.Backward<T>(DY, _mask, DX, p);
    }

    private sealed class Act(int[] shape, Activation kind, double slope) : Layer(shape)
    {
        public override void Forward() => Activations.Forward<T>(kind, slope, X, Y);

        public override void Backward() => Activations.Backward<T>(kind, slope, X, Y, DY, DX);
    }

    /// <summary>y = x + f(x): f's own buffers; dx = dy + (the gradient through f).</summary>
    private sealed class Residual : Layer
    {
        private readonly Layer[] _inner;
        private readonly T[][] _values;
        private readonly T[][] _grads;

        public Residual(string spec, string prefix, int[] shape, List<NetworkParameter<T>> parameters)
            : base(shape)
        {
            var shapes = new List<int[]> { shape };
            _inner = Build(spec, prefix, shape, parameters, shapes);
            _values = shapes.Select(s => new T[Size(s)]).ToArray();
            _grads = shapes.Select(s => new T[Size(s)]).ToArray();
            for (int i = 0; i < _inner.Length; i++)
            {
                _inner[i].Bind(_values[i], _values[i + 1], _grads[i], _grads[i + 1], []);
            }
        }

        public override void Forward()
        {
            X.CopyTo(_values[0], 0);
            foreach (Layer layer in _inner)
            {
                layer.Forward();
            }

            Elementwise.Add<T>(X, _values[^1], Y);
        }

        public override void Backward()
        {
            DY.CopyTo(_grads[^1], 0);
            for (int i = _inner.Length - 1; i >= 0; i--)
            {
                _inner[i].Backward();
            }

            Elementwise.Add<T>(DY, _grads[0], DX);
        }
    }
}

/// <summary>torch.optim.Adam with PyTorch's defaults (β = (0.9, 0.999), eps 1e-8), single-tensor path, written out for the tests.</summary>
internal sealed class PlainAdam<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly IReadOnlyList<NetworkParameter<T>> _parameters;
    private readonly T[][] _m;
    private readonly T[][] _v;
    private readonly double _lr;
    private int _step;

    public PlainAdam(IReadOnlyList<NetworkParameter<T>> parameters, double lr)
    {
        _parameters = parameters;
        _m = parameters.Select(p => new T[p.Value.Length]).ToArray();
        _v = parameters.Select(p => new T[p.Value.Length]).ToArray();
        _lr = lr;
    }

    public void Step()
    {
        _step++;
        const double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
        T b2 = T.CreateTruncating(beta2);
        T oneMinusB1 = T.CreateTruncating(1 - beta1), oneMinusB2 = T.CreateTruncating(1 - beta2);
        double correction1 = 1 - Math.Pow(beta1, _step);
        T stepSize = T.CreateTruncating(_lr / correction1);
        T sqrtCorrection2 = T.CreateTruncating(Math.Sqrt(1 - Math.Pow(beta2, _step)));
        T e = T.CreateTruncating(eps);
        for (int p = 0; p < _parameters.Count; p++)
        {
            T[] value = _parameters[p].Value, grad = _parameters[p].Grad, m = _m[p], v = _v[p];
            for (int i = 0; i < value.Length; i++)
            {
                T g = grad[i];
                m[i] += (g - m[i]) * oneMinusB1;
                v[i] = (v[i] * b2) + (oneMinusB2 * g * g);
                T denom = (T.Sqrt(v[i]) / sqrtCorrection2) + e;
                value[i] -= stepSize * (m[i] / denom);
            }
        }

    }
}

/// <summary>The network strings of tests/reference/networks.json ("linear:10:5,relu,res(linear:16:16;relu)").</summary>
internal static class NetworkStrings
{
    /// <summary>Splits at separators outside parentheses: the top-level ops (a residual block is one).</summary>
    public static IEnumerable<string> SplitTop(string spec, char separator)
    {
        int depth = 0, start = 0;
        for (int i = 0; i < spec.Length; i++)
        {
            depth += spec[i] == '(' ? 1 : spec[i] == ')' ? -1 : 0;
            if (spec[i] == separator && depth == 0)
            {
                yield return spec[start..i];
                start = i + 1;
            }
        }

        yield return spec[start..];
    }
}
