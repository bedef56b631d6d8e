using System;
using Optim;
using static Optim.Optimizer;

namespace Optim.SimdProbe;

// Sizes 1, 37, 1000 and 3 make every section length and tail shape show up.

[Optimize(Sgd, Lr = 0.1)]
internal sealed partial class SgdPlain
{
    [Parameter(1)] public partial Span<float> A { get; }
    [Parameter(37)] public partial Span<float> B { get; }
    [Parameter(10, 100)] public partial Span<float> C { get; }
    [Parameter(3)] public partial Span<float> D { get; }
}

[Optimize(Sgd, Lr = 0.01, Momentum = 0.8, Nesterov = true, WeightDecay = 1e-3, Maximize = true)]
internal sealed partial class SgdNesterov
{
    [Parameter(37)] public partial Span<float> A { get; }
    [Parameter(1000)] public partial Span<float> B { get; }
}

[Optimize(Sgd, Lr = 0.01, Momentum = 0.9, Dampening = 0.5)]
internal sealed partial class SgdDampening
{
    [Parameter(1041)] public partial Span<float> A { get; }
}

[Optimize(Momentum, Lr = 0.05, Beta = 0.5)]
internal sealed partial class HeavyBall
{
    [Parameter(5, 10)] public partial Span<float> A { get; }
    [Parameter(999)] public partial Span<float> B { get; }
}

[Optimize(Adam, Lr = 1e-3)]
internal sealed partial class AdamPlain
{
    [Parameter(1)] public partial Span<float> A { get; }
    [Parameter(1040)] public partial Span<float> B { get; }
}

[Optimize(Adam, Lr = 1e-3, WeightDecay = 0.01, Amsgrad = true, Maximize = true)]
internal sealed partial class AdamAmsgrad
{
    [Parameter(1041)] public partial Span<float> A { get; }
}

[Optimize(AdamW, Lr = 3e-3, WeightDecay = 0.1)]
internal sealed partial class AdamWPlain
{
    [Parameter(7, 149)] public partial Span<float> A { get; }
}

[Optimize(Adam, Lr = 0.01, Beta1 = 0.8, Beta2 = 0.99, Eps = 1e-6)]
internal sealed partial class AdamDouble
{
    [Parameter(37)] public partial Span<double> A { get; }
    [Parameter(1001)] public partial Span<double> B { get; }
}

[Optimize(Sgd, Lr = 0.01, Momentum = 0.9)]
internal sealed partial class SgdDouble
{
    [Parameter(1003)] public partial Span<double> A { get; }
}

[Optimize(RmsProp, Lr = 1e-3, Momentum = 0.9, Centered = true, WeightDecay = 1e-3)]
internal sealed partial class RmsPropCentered
{
    [Parameter(37)] public partial Span<float> A { get; }
    [Parameter(1000)] public partial Span<float> B { get; }
    [Parameter(3)] public partial Span<float> C { get; }
}

[Optimize(Adagrad, Lr = 0.1, LrDecay = 0.01, InitialAccumulatorValue = 0.1)]
internal sealed partial class AdagradInit
{
    [Parameter(37)] public partial Span<float> A { get; }
    [Parameter(1000)] public partial Span<float> B { get; }
    [Parameter(3)] public partial Span<float> C { get; }
}

[Optimize(Adadelta, WeightDecay = 0.01)]
internal sealed partial class AdadeltaPlain
{
    [Parameter(37)] public partial Span<float> A { get; }
    [Parameter(1000)] public partial Span<float> B { get; }
    [Parameter(3)] public partial Span<float> C { get; }
}

[Optimize(Adamax, Maximize = true)]
internal sealed partial class AdamaxPlain
{
    [Parameter(37)] public partial Span<float> A { get; }
    [Parameter(1000)] public partial Span<float> B { get; }
    [Parameter(3)] public partial Span<float> C { get; }
}

[Optimize(NAdam, WeightDecay = 0.01, DecoupledWeightDecay = true)]
internal sealed partial class NAdamDecoupled
{
    [Parameter(37)] public partial Span<float> A { get; }
    [Parameter(1000)] public partial Span<float> B { get; }
    [Parameter(3)] public partial Span<float> C { get; }
}

[Optimize(RAdam, Lr = 1e-2)]
internal sealed partial class RAdamPlain
{
    [Parameter(37)] public partial Span<float> A { get; }
    [Parameter(1000)] public partial Span<float> B { get; }
    [Parameter(3)] public partial Span<float> C { get; }
}

[Optimize(Rprop, Lr = 1e-2)]
internal sealed partial class RpropPlain
{
    [Parameter(37)] public partial Span<float> A { get; }
    [Parameter(1000)] public partial Span<float> B { get; }
    [Parameter(3)] public partial Span<float> C { get; }
}

[Optimize(Asgd, T0 = 10, Lambd = 1e-3)]
internal sealed partial class AsgdAveraging
{
    [Parameter(37)] public partial Span<float> A { get; }
    [Parameter(1000)] public partial Span<float> B { get; }
    [Parameter(3)] public partial Span<float> C { get; }
}

[Optimize(Lion, Lr = 3e-4, WeightDecay = 0.1)]
internal sealed partial class LionDecay
{
    [Parameter(37)] public partial Span<float> A { get; }
    [Parameter(1000)] public partial Span<float> B { get; }
    [Parameter(3)] public partial Span<float> C { get; }
}

[Optimize(Lamb, Lr = 1e-2, WeightDecay = 0.01)]
internal sealed partial class LambDecay
{
    [Parameter(37)] public partial Span<float> A { get; }
    [Parameter(10, 100)] public partial Span<float> B { get; }
    [Parameter(3)] public partial Span<float> C { get; }
}

[Optimize(Lamb, Lr = 1e-2)]
internal sealed partial class LambDouble
{
    [Parameter(37)] public partial Span<double> A { get; }
    [Parameter(1000)] public partial Span<double> B { get; }
}

[Optimize(Muon, Lr = 0.02)]
internal sealed partial class MuonHidden
{
    [Parameter(37, 20)] public partial Span<float> A { get; }
    [Parameter(9, 70)] public partial Span<float> B { get; }
}

[Optimize(Muon, Lr = 0.02, Nesterov = false, MatchRmsAdamW = true)]
internal sealed partial class MuonDouble
{
    [Parameter(13, 29)] public partial Span<double> A { get; }
}

[Optimize(Adafactor, WeightDecay = 0.01, Maximize = true)]
internal sealed partial class AdafactorMixed
{
    [Parameter(37, 20)] public partial Span<float> A { get; }
    [Parameter(70)] public partial Span<float> B { get; }
    [Parameter(1, 33)] public partial Span<float> C { get; }
    [Parameter(5, 10)] public partial Span<float> D { get; } // rows shorter than a line
}

[Optimize(Adafactor, Beta2Decay = -0.6, D = 2)]
internal sealed partial class AdafactorDouble
{
    [Parameter(13, 29)] public partial Span<double> A { get; }
    [Parameter(29)] public partial Span<double> B { get; }
}

// Custom [UpdateRule] rules: the probe also runs each method per element beside the generated Step() (Program.cs).

[Optimize(Custom, Lr = 1e-3)]
internal sealed partial class CustomAdam
{
    [Parameter(37, 20)] public partial Span<float> A { get; }
    [Parameter(7)] public partial Span<float> B { get; }

    [UpdateRule]
    public static void Adam(ref float param, float grad, ref float m, ref float v, float lr, long step)
    {
        const float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
        m = beta1 * m + (1 - beta1) * grad;
        v = beta2 * v + (1 - beta2) * grad * grad;
        float mHat = m / (1 - MathF.Pow(beta1, step));
        float vHat = v / (1 - MathF.Pow(beta2, step));
        param -= lr * mHat / (MathF.Sqrt(vHat) + eps);
    }
}

[Optimize(Custom, Lr = 1e-2)]
internal sealed partial class CustomSelects
{
    [Parameter(1001)] public partial Span<double> A { get; }

    [UpdateRule]
    public static void Rule(ref double param, double grad, ref double s, double lr, long step)
    {
        double clipped = Math.Clamp(grad, -0.5, 0.5);
        if (clipped >= 0 && !double.IsNaN(s) || step == 1)
        {
            s = Math.Max(s, Math.Abs(clipped));
        }
        else
        {
            s = Math.FusedMultiplyAdd(s, 0.5, clipped * -1);
        }

        param -= (step < 3 ? lr * 0.5 : lr) * Math.Sign(grad) / (Math.Sqrt(Math.Abs(s)) + 1e-3) + Math.Min(s, 0);
    }
}

[Optimize(Custom, Lr = 1e-2)]
internal sealed partial class CustomEdges
{
    [Parameter(77)] public partial Span<float> A { get; }

    [UpdateRule]
    public static void Edges(ref float param, float grad, ref float s)
    {
        float negativeZero = grad * -1;
        float nan = (grad - grad) / (grad - grad);
        float clamped = 1 / Math.Clamp(negativeZero, 0, 1) < 0 ? 1f : 0f;
        float maximum = 1 / MathF.Max(negativeZero, 0) < 0 ? 2f : 0f;
        float notANumber = float.IsNaN(nan) ? 8f : 0f;
        s = clamped + maximum + notANumber;
        param = param * 0.5f + s;
    }
}

// Initialize(seed) draws in scalar double code: its values must not depend on the vector width either.
[Optimize(Sgd, Lr = 0.1)]
internal sealed partial class Initialised
{
    [Parameter(37, 11, Init = Initialization.KaimingNormal)] public partial Span<float> A { get; }
    [Parameter(1000, Init = Initialization.Normal, Mean = 1, Std = 3)] public partial Span<float> B { get; }
    [Parameter(9, 5, Init = Initialization.XavierUniform)] public partial Span<float> C { get; }
}

// The gradient norm behind clipping is a reduction: its lane order must make it width-independent too.
[Optimize(Adam, Lr = 1e-2, ClipGradNorm = 0.05, SkipNonFinite = true)]
internal sealed partial class ClippedAdam
{
    [Parameter(1041)] public partial Span<float> A { get; }
    [Parameter(3, 7)] public partial Span<float> B { get; }
}

[Optimize(Lamb, Lr = 1e-2, ClipGradNorm = 0.05)]
internal sealed partial class ClippedLambDouble
{
    [Parameter(37)] public partial Span<double> A { get; }
    [Parameter(20, 50)] public partial Span<double> B { get; }
}

// Generated networks: every op's kernel, forward and backward, at sizes that leave vector tails; a float and a double
// network, trained by TrainStep (forward, loss, backward, Adam) on fixed data.
[Optimize(Adam, Lr = 1e-2)]
internal sealed partial class ConvNetwork
{
    [Conv2d(2, 5, 3, Stride = 2, Padding = 1)] public partial Conv2d<float> Conv { get; }
    [LayerNorm(45)] public partial LayerNorm<float> Norm { get; }
    [Linear(45, 37)] public partial Linear<float> Hidden { get; }
    [Linear(37, 7)] public partial Linear<float> Output { get; }

    [Forward(MaxBatch = 9, Criterion = Criterion.CrossEntropy)]
    public Tensor<float> Forward([Shape(2, 13, 11)] Tensor<float> image)
    {
        var h = Nn.MaxPool2d(Nn.Gelu(Conv.Forward(image)), 2);
        h = Norm.Forward(Nn.Flatten(h));
        var r = Nn.Tanh(Hidden.Forward(h));
        r = Nn.Dropout(r, 0.2) + (Nn.Sigmoid(r) * 0.5);
        return Output.Forward(Nn.LeakyRelu(r, 0.05));
    }
}

// Fashion-MNIST's CNN in small: one channel 3 × 3 unpadded (its forward pass straight from the image where 256 bits are
// the widest vectors, its weight gradient with channels in the lanes), Relus fused into the convolutions and passed
// back through by the poolings, a second layer with two 256-bit vectors of channels (six rows at a time; one 512-bit
// vector and twelve rows where the GEMM runs 512 bits), 2 × 2 float pooling four windows per vector (9 × 6 windows: the
// last four of a row overlap) and, at 3 × 2 windows, the scalar loop.
[Optimize(Adam, Lr = 1e-2)]
internal sealed partial class PooledConvNetwork
{
    [Conv2d(1, 8, 3)] public partial Conv2d<float> First { get; }
    [Conv2d(8, 13, 3)] public partial Conv2d<float> Second { get; }
    [Linear(78, 5)] public partial Linear<float> Output { get; }

    [Forward(MaxBatch = 6, Criterion = Criterion.CrossEntropy)]
    public Tensor<float> Forward([Shape(1, 21, 15)] Tensor<float> image)
    {
        var h = Nn.MaxPool2d(Nn.Relu(First.Forward(image)), 2);
        h = Nn.MaxPool2d(Nn.Relu(Second.Forward(h)), 2);
        return Output.Forward(Nn.Flatten(h));
    }
}

// Two small layers in one pass (Dense.ForwardPair: eight rows to a vector, features transposed in registers), the second
// with its own fused Relu; batches of 19 to 7 rows leave scalar tails and, below eight, the two-call path.
[Optimize(Adam, Lr = 1e-2)]
internal sealed partial class SmallChainNetwork
{
    [Linear(11, 7)] public partial Linear<float> First { get; }
    [Linear(7, 3)] public partial Linear<float> Second { get; }
    [Linear(3, 2)] public partial Linear<float> Head { get; }

    [Forward(MaxBatch = 19, Criterion = Criterion.MeanSquared)]
    public Tensor<float> Forward([Shape(11)] Tensor<float> x) => Head.Forward(Nn.Relu(Second.Forward(Nn.LeakyRelu(First.Forward(x), 0.1))));
}

// Weight gradients of 10 and 9 in features (Dense.Tails.cs: the rows' last one or two features packed into shared
// vectors at 256 bits; the scalar loops where only 128-bit vectors run): six outputs (rows 4–5 in a second pair
// vector), then seven (blocks of four and three, one tail feature each), the layer before it passing its input
// gradient separately.
[Optimize(Adam, Lr = 1e-2)]
internal sealed partial class TailNetwork
{
    [Linear(10, 6)] public partial Linear<float> First { get; }
    [Linear(6, 9)] public partial Linear<float> Second { get; }
    [Linear(9, 7)] public partial Linear<float> Third { get; }

    [Forward(MaxBatch = 21, Criterion = Criterion.MeanSquared)]
    public Tensor<float> Forward([Shape(10)] Tensor<float> x) => Third.Forward(Nn.Tanh(Second.Forward(Nn.Relu(First.Forward(x)))));
}

[Optimize(AdamW, Lr = 1e-2)]
internal sealed partial class TokenNetwork
{
    [Embedding(23, 5)] public partial Embedding<double> Tokens { get; }
    [Linear(35, 19)] public partial Linear<double> Hidden { get; }
    [Linear(19, 3)] public partial Linear<double> Output { get; }
    [Linear(12, 3)] public partial Linear<double> Context { get; }

    [Forward(MaxBatch = 11, Criterion = Criterion.SmoothL1)]
    public Tensor<double> Forward([Shape(7)] Indices words, [Shape(3, 5, 5)] Tensor<double> context)
    {
        var h = Nn.Silu(Hidden.Forward(Nn.Flatten(Tokens.Forward(words))));
        var y = Output.Forward(Nn.GeluTanh(h) + Nn.Relu(h));
        return y + (Context.Forward(Nn.Flatten(Nn.AvgPool2d(context, 2))) * 0.25);
    }
}
