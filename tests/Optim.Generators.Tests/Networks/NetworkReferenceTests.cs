using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using Optim.Generators.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Optim.Generators.Tests.Networks;

/// <summary>
/// Generated networks against libtorch (tests/reference/networks.json): from the file's initial parameters, the output,
/// the loss, every parameter's gradient, the losses of three TrainStep calls (Adam) and the parameters after them, as
/// a float model and as a double model. A float model passes when every value is within 8·|f32 − f64| + 1e-6·max|value|
/// of libtorch's float64 result (the file's rule: the float results differ by summation order); a double model within
/// 1e-10·max|value|. Each case writes its largest error as a fraction of that bound (<see cref="WorstErrors"/>).
/// </summary>
public sealed class NetworkReferenceTests(ITestOutputHelper output) : IDisposable
{
    private readonly WorstErrors _worst = new(output);

    public void Dispose() => _worst.Dispose();

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (NetworkCase c in NetworkCase.All)
        {
            data.Add(c.Name, "Float");
            data.Add(c.Name, "Double");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_libtorch(string name, string element)
    {
        NetworkCase c = NetworkCase.Named(name);
        if (element == "Float")
        {
            Run<float>(c, element);
        }
        else
        {
            Run<double>(c, element);
        }
    }

    /// <summary>The file holds its 14 networks, every one of which the theory above runs.</summary>
    [Fact]
    public void The_reference_file_holds_every_network()
    {
        Assert.Equal(14, NetworkCase.All.Count);
    }

    private void Run<T>(NetworkCase c, string element)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        object model = NetworkModels.Create(c, element);
        var optimizable = (IOptimizable<T>)model;
        T[] initial = NetworkModels.Initial<T>(c);
        Assert.Equal(initial.Length, optimizable.Parameters.Length);
        initial.CopyTo(optimizable.Parameters);

        object input = NetworkModels.Input<T>(c), target = NetworkModels.Target<T>(c);
        var output = new T[c.Output64.Length];
        NetworkModels.Call(model, "RunPredict", input, output, c.Batch);
        Close(c, "output", Doubles(output), c.Output32, c.Output64, element);

        T evaluated = (T)NetworkModels.Call(model, "RunEvaluate", input, target, c.Batch)!;
        Close(c, "loss (Evaluate)", new[] { double.CreateChecked(evaluated) }, c.Loss32[..1], c.Loss64[..1], element);

        double[] losses = c.Loss64;
        for (int step = 0; step < losses.Length; step++)
        {
            T loss = (T)NetworkModels.Call(model, "RunTrainStep", input, target, c.Batch)!;
            Close(c, $"loss before step {step + 1}", new[] { double.CreateChecked(loss) }, c.Loss32[step..(step + 1)], losses[step..(step + 1)], element);
            if (step == 0)
            {
                double[] gradients = Doubles(optimizable.Gradients.ToArray());
                CloseByParameter(c, "gradient", gradients, "grad", element);
            }
        }

        CloseByParameter(c, "parameters after the Adam steps", Doubles(optimizable.Parameters.ToArray()), "final", element);
    }

    /// <summary>What a value is, without the parameter or step it belongs to ("gradient of 0.weight" → "gradient").</summary>
    private static string Quantity(string what) =>
        what.StartsWith("gradient", StringComparison.Ordinal) ? "gradients"
        : what.StartsWith("parameters", StringComparison.Ordinal) ? "parameters after 3 Adam steps"
        : what.StartsWith("loss", StringComparison.Ordinal) ? "losses"
        : what;

    private static double[] Doubles<T>(T[] values)
        where T : INumberBase<T> => values.Select(double.CreateChecked).ToArray();

    private void CloseByParameter(NetworkCase c, string what, double[] actual, string field, string element)
    {
        int offset = 0;
        foreach (var (name, _, values) in c.Parameters)
        {
            double[] f32 = (field == "grad" ? c.Grad32 : c.Final32)[name];
            double[] f64 = (field == "grad" ? c.Grad64 : c.Final64)[name];
            Close(c, $"{what} of {name}", actual[offset..(offset + values.Length)], f32, f64, element);
            offset += values.Length;
        }
    }

    private void Close(NetworkCase c, string what, double[] actual, double[] f32, double[] f64, string element)
    {
        Assert.Equal(f64.Length, actual.Length);
        double scale = f64.Max(Math.Abs);
        double libtorchSpread = f32.Zip(f64, (a, b) => Math.Abs(a - b)).Max();
        for (int i = 0; i < actual.Length; i++)
        {
            // As KernelReferenceTests: Adam amplifies rounding where a gradient changes sign between steps, so a float
            // value may differ by libtorch's own largest float-vs-double difference in that tensor.
            double bound = element == "Float"
                ? (8 * Math.Abs(f32[i] - f64[i])) + libtorchSpread + (1e-6 * scale)
                : 1e-10 * (Math.Abs(f64[i]) + scale);
            double error = Math.Abs(actual[i] - f64[i]);
            _worst.Add($"{c.Name} ({element}) {Quantity(what)}", error, bound);
            Assert.True(error <= bound, $"{c.Name} ({element}): {what}[{i}] = {actual[i]:R}, libtorch float64 {f64[i]:R} (float32 {f32[i]:R}); off by {error:E2}, bound {bound:E2}");
        }
    }
}
