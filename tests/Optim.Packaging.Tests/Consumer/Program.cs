// The consumer the packaging tests install Optim into: a fresh console project outside the repository that references
// the Optim package by version from a local folder. Not compiled by the test project.
// No `using Optim;` or `using static Optim.Optimizer;`: the package's buildTransitive/Optim.props adds both as global
// usings. `using System;` is here so that the file also compiles with ImplicitUsings disabled.
using System;
using System.Globalization;

// Fits y = 3x + 2 with full-batch gradients of the mean squared error.
const int Samples = 64;
const int Steps = 1500;
var xs = new float[Samples];
var ys = new float[Samples];
for (int i = 0; i < Samples; i++)
{
    xs[i] = -1f + 2f * i / (Samples - 1);
    ys[i] = 3f * xs[i] + 2f;
}

var line = new Line();
double first = double.NaN, last = double.NaN;
for (int step = 0; step < Steps; step++)
{
    last = TrainStep(line, xs, ys);
    if (step == 0)
    {
        first = last;
    }

    if (step % 300 == 0)
    {
        Print($"step {step,4}: loss {last:E3}");
    }
}

Describe(line);
Print($"W = {line.W[0]:F4}, B = {line.B[0]:F4}");
Print($"trained: loss {first:E3} -> {last:E3}");
return last < 1e-4 ? 0 : 1;

static void Print(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));

// Any generated model is an IOptimizable<T>: training loops and checkpoints need no reflection.
static void Describe(IOptimizable<float> model) =>
    Print($"parameters: {model.Parameters.Length}, steps: {model.StepCount}, learning rate: {model.LearningRate}");

static double TrainStep(Line model, float[] xs, float[] ys)
{
    model.ZeroGrad();
    double loss = 0, gradW = 0, gradB = 0;
    for (int i = 0; i < xs.Length; i++)
    {
        double error = model.W[0] * xs[i] + model.B[0] - ys[i];
        loss += error * error / xs.Length;
        gradW += 2 * error * xs[i] / xs.Length;
        gradB += 2 * error / xs.Length;
    }

    model.WGrad[0] = (float)gradW;
    model.BGrad[0] = (float)gradB;
    model.Step();
    return loss;
}

/// <summary>y = W·x + B, trained with Adam.</summary>
[Optimize(Adam, Lr = 0.05)]
internal sealed partial class Line
{
    [Parameter(1)] public partial Span<float> W { get; }
    [Parameter(1)] public partial Span<float> B { get; }
}
