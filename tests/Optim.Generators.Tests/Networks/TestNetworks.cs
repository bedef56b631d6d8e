using static Optim.Optimizer;

namespace Optim.Generators.Tests.Networks;

/// <summary>
/// The seed's network (nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 1))) declared once, in an abstract base
/// class, and trained by two optimizer classes: each gets its own parameters, optimizer state and generated passes.
/// Module names follow PyTorch's state_dict of the Sequential ("0.weight", "2.bias").
/// </summary>
public abstract class SeedNetwork
{
    [Linear(10, 5, Module = "0")] public abstract Linear<float> Hidden { get; }

    [Linear(5, 1, Module = "2")] public abstract Linear<float> Output { get; }

    [Forward(MaxBatch = 32, Criterion = Criterion.MeanSquared)]
    public Tensor<float> Forward([Shape(10)] Tensor<float> x) => Output.Forward(Nn.Relu(Hidden.Forward(x)));
}

[Optimize(Sgd, Lr = 0.1)]
public sealed partial class SeedSgd : SeedNetwork;

[Optimize(Adam, Lr = 1e-2)]
public sealed partial class SeedAdam : SeedNetwork;

/// <summary>A classifier with a residual connection, a layer used twice and two inputs, in double.</summary>
[Optimize(AdamW, Lr = 1e-2)]
public sealed partial class TwoInputClassifier
{
    [Linear(6, 6)] public partial Linear<double> Mix { get; }

    [Linear(6, 3)] public partial Linear<double> Head { get; }

    [Forward(MaxBatch = 8, Criterion = Criterion.CrossEntropy)]
    public Tensor<double> Forward([Shape(6)] Tensor<double> a, [Shape(6)] Tensor<double> b)
    {
        var h = Nn.Tanh(Mix.Forward(a)) + b;
        h = h + (Mix.Forward(h) * 0.5);
        return Head.Forward(Nn.Silu(h));
    }
}

/// <summary>A small convolutional classifier of 8 × 8 images (the shapes of the digits data set).</summary>
[Optimize(Adam, Lr = 1e-2)]
public sealed partial class TinyConvNet
{
    [Conv2d(1, 4, 3, Padding = 1)] public partial Conv2d<float> Conv { get; }

    [Linear(64, 10)] public partial Linear<float> Output { get; }

    [Forward(MaxBatch = 16, Criterion = Criterion.CrossEntropy)]
    public Tensor<float> Forward([Shape(1, 8, 8)] Tensor<float> image) =>
        Output.Forward(Nn.Dropout(Nn.Flatten(Nn.MaxPool2d(Nn.Relu(Conv.Forward(image)), 2)), 0.25));
}

/// <summary>A network whose products are wide enough for GEMM to split them between threads (the Threads tests).</summary>
[Optimize(Adam, Lr = 1e-3)]
public sealed partial class WideConvNet
{
    [Conv2d(1, 4, 3)] public partial Conv2d<float> Conv { get; }

    [Linear(256, 64)] public partial Linear<float> Hidden { get; }

    [Linear(64, 10)] public partial Linear<float> Output { get; }

    [Forward(MaxBatch = 16, Criterion = Criterion.CrossEntropy)]
    public Tensor<float> Forward([Shape(1, 10, 10)] Tensor<float> image) =>
        Output.Forward(Nn.Relu(Hidden.Forward(Nn.Flatten(Nn.Relu(Conv.Forward(image))))));
}
