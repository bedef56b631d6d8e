using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
using System.Reflection;
using System.Text;
using Optim.Generators.Tests.Infrastructure;

namespace Optim.Generators.Tests.Networks;

/// <summary>
/// One generated model per network of tests/reference/networks.json, in float and in double, written at test time from
/// the case's network string ("linear:10:5,relu,linear:5:1", "res(…)") as a user would write it: [Linear] properties
/// and a [Forward] method. Layer i's parameters are L{i}Weight and L{i}Bias (inside a residual block b, L{b}_{i}…), in
/// the file's order, so the model's whole parameter span lines up with the file's parameter list.
/// </summary>
internal static class NetworkModels
{
    private static readonly Lazy<Assembly> Compiled = new(Compile);

    public static object Create(NetworkCase c, string element) =>
        Activator.CreateInstance(Compiled.Value.GetType(TypeName(c, element), throwOnError: true)!)!;

    /// <summary>
    /// The file's initial parameters in the model's order. The file's values are float32 numbers printed shortest: round
    /// to float first, as libtorch's float64 run did.
    /// </summary>
    public static T[] Initial<T>(NetworkCase c)
        where T : INumberBase<T> => c.Parameters.SelectMany(p => p.Init).Select(v => T.CreateChecked((float)v)).ToArray();

    /// <summary>The case's input batch as its model's Run methods take it: indices for an embedding, else values.</summary>
    public static object Input<T>(NetworkCase c)
        where T : INumberBase<T> =>
        c.Network.StartsWith("embedding", StringComparison.Ordinal) ? c.Input.Select(v => (int)v).ToArray() : c.Input.Select(v => T.CreateChecked((float)v)).ToArray();

    /// <summary>The case's targets as its model's Run methods take them: class indices for cross-entropy, else values.</summary>
    public static object Target<T>(NetworkCase c)
        where T : INumberBase<T> =>
        c.Loss == "cross_entropy" ? c.Target.Select(v => (int)v).ToArray() : c.Target.Select(v => T.CreateChecked((float)v)).ToArray();

    /// <summary>Calls one of the model's Run methods (RunPredict, RunEvaluate, RunTrainStep).</summary>
    public static object? Call(object model, string method, params object[] arguments) =>
        model.GetType().GetMethod(method)!.Invoke(model, arguments);

    public static string TypeName(NetworkCase c, string element) =>
        "Net" + string.Concat(c.Name.Split('-').Select(part => char.ToUpperInvariant(part[0]) + part[1..])) + element;

    /// <summary>The C# declaration of the case's model.</summary>
    public static string Declaration(NetworkCase c, string element)
    {
        string t = element.ToLowerInvariant();
        var layers = new StringBuilder();
        var body = new StringBuilder();
        int local = 0;
        string Emit(string op, string input, string prefix)
        {
            string[] parts = op.Split(':');
            string result = "h" + local++;
            string call = parts[0] switch
            {
                "linear" => Layer(prefix, parts[1], parts[2]) + ".Forward(" + input + ")",
                "relu" => $"Nn.Relu({input})",
                "leaky_relu" => $"Nn.LeakyRelu({input}, {parts[1]})",
                "tanh" => $"Nn.Tanh({input})",
                "sigmoid" => $"Nn.Sigmoid({input})",
                "gelu" => $"Nn.Gelu({input})",
                "gelu_tanh" => $"Nn.GeluTanh({input})",
                "silu" => $"Nn.Silu({input})",
                "conv2d" => Conv(prefix, parts) + ".Forward(" + input + ")",
                "max_pool2d" => $"Nn.MaxPool2d({input}, {parts[1]})",
                "avg_pool2d" => $"Nn.AvgPool2d({input}, {parts[1]})",
                "flatten" => $"Nn.Flatten({input})",
                "embedding" => Declare($"[Embedding({parts[1]}, {parts[2]})]", "Embedding", prefix) + ".Forward(" + input + ")",
                "layer_norm" => Declare($"[LayerNorm({parts[1]})]", "LayerNorm", prefix) + ".Forward(" + input + ")",
                _ => throw new NotSupportedException(op),
            };
            body.Append(CultureInfo.InvariantCulture, $"        var {result} = {call};\n");
            return result;
        }

        string Layer(string name, string inFeatures, string outFeatures) => Declare($"[Linear({inFeatures}, {outFeatures})]", "Linear", name);

        string Conv(string name, string[] parts) => Declare($"[Conv2d({parts[1]}, {parts[2]}, {parts[3]}, Stride = {parts[4]}, Padding = {parts[5]})]", "Conv2d", name);

        string Declare(string attribute, string type, string name)
        {
            layers.Append(CultureInfo.InvariantCulture, $"    {attribute} public partial {type}<{t}> {name} {{ get; }}\n");
            return name;
        }

        string current = "x";
        string[] ops = Ops(c.Network).ToArray();
        for (int i = 0; i < ops.Length; i++)
        {
            if (ops[i].StartsWith("res(", StringComparison.Ordinal))
            {
                string branch = current;
                string[] inner = ops[i][4..^1].Split(';');
                for (int j = 0; j < inner.Length; j++)
                {
                    branch = Emit(inner[j], branch, $"L{i}_{j}");
                }

                string sum = "h" + local++;
                body.Append(CultureInfo.InvariantCulture, $"        var {sum} = {current} + {branch};\n");
                current = sum;
            }
            else
            {
                current = Emit(ops[i], current, $"L{i}");
            }
        }

        string criterion = c.Loss switch
        {
            "mse" => "MeanSquared",
            "l1" => "L1",
            "smooth_l1" => "SmoothL1",
            "cross_entropy" => "CrossEntropy",
            _ => "BinaryCrossEntropyWithLogits",
        };
        string shape = string.Join(", ", c.InputShape.Skip(1));
        string targetType = c.Loss == "cross_entropy" ? "int" : t;
        bool indices = c.Network.StartsWith("embedding", StringComparison.Ordinal);
        string inputType = indices ? "Indices" : $"Tensor<{t}>";
        string inputArray = indices ? "int" : t;
        return $$"""
            [Optimize(Adam, Lr = {{NetworkCase.AdamLr.ToString("R", CultureInfo.InvariantCulture)}})]
            public sealed partial class {{TypeName(c, element)}}
            {
            {{layers}}
                [Forward(MaxBatch = {{c.Batch}}, Criterion = Criterion.{{criterion}})]
                public Tensor<{{t}}> Forward([Shape({{shape}})] {{inputType}} x)
                {
            {{body}}        return {{current}};
                }

                public void RunPredict({{inputArray}}[] x, {{t}}[] output, int batch) => Predict(x, output, batch);

                public {{t}} RunEvaluate({{inputArray}}[] x, {{targetType}}[] target, int batch) => Evaluate(x, target, batch);

                public {{t}} RunTrainStep({{inputArray}}[] x, {{targetType}}[] target, int batch) => TrainStep(x, target, batch);
            }

            """;
    }

    /// <summary>The top-level ops of a network string (a residual block is one op).</summary>
    private static IEnumerable<string> Ops(string network) => NetworkStrings.SplitTop(network, ',');

    private static Assembly Compile()
    {
        var source = new StringBuilder("using System;\nusing Optim;\nusing static Optim.Optimizer;\n");
        foreach (NetworkCase c in NetworkCase.All)
        {
            source.Append(Declaration(c, "Float")).Append(Declaration(c, "Double"));
        }

        return GeneratorHarness.Load(source.ToString(), "network-models");
    }
}
