using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Optim.Generators.Tests.Infrastructure;

namespace Optim.Generators.Tests.Parity;

/// <summary>One trajectory of tests/reference/optimizers.json.</summary>
internal sealed record ReferenceCase(
    string Name,
    string Optimizer,
    IReadOnlyDictionary<string, JsonElement> Hyperparameters,
    double[] Initial,
    double[][] Grads,
    double[][] Params,
    double Tolerance,
    int[] Shape)
{
    public static IReadOnlyList<ReferenceCase> All { get; } = Load();

    /// <summary>Cases of the optimizers Optim offers: those whose name maps to a member of <see cref="Optim.Optimizer"/>.</summary>
    public static IEnumerable<ReferenceCase> OfOfferedOptimizers => All.Where(c => c.IsOffered);

    /// <summary>The <see cref="Optim.Optimizer"/> member reproducing the file's optimizer (PyTorch's class name).</summary>
    public string EnumMember => Optimizer switch
    {
        "SGD" => "Sgd",
        "RMSprop" => "RmsProp",
        "ASGD" => "Asgd",
        "LAMB" => "Lamb",
        _ => Optimizer,
    };

    public bool IsOffered => System.Enum.TryParse<Optim.Optimizer>(EnumMember, out _);

    /// <summary>The case's hyperparameters as named arguments of [Optimize]: PyTorch's names in PascalCase.</summary>
    public IEnumerable<string> AttributeArguments => Hyperparameters.Select(p => p.Key switch
    {
        "adjust_lr_fn" => "MatchRmsAdamW = " + (p.Value.GetString() == "match_rms_adamw" ? "true" : "false"),
        _ => $"{PascalCase(p.Key)} = {Literal(p.Value)}",
    });

    private static string PascalCase(string key) => key switch
    {
        "etaminus" => "EtaMinus",
        "etaplus" => "EtaPlus",
        _ => string.Concat(key.Split('_').Select(part => char.ToUpperInvariant(part[0]) + part[1..])),
    };

    private static string Literal(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => value.GetDouble().ToString("R", System.Globalization.CultureInfo.InvariantCulture),
    };

    public static ReferenceCase Named(string name) => All.Single(c => c.Name == name);

    /// <summary>
    /// The file's rule: |x − y| ≤ tolerance·(|y| + 1e-3·max_k |y_k|), with max_k over the element's trajectory.
    /// Returns the worst ratio of error to allowance over the whole trajectory (≤ 1 passes).
    /// </summary>
    public double WorstRatio(IReadOnlyList<double[]> actual, double tolerance)
    {
        int size = Initial.Length;
        var scale = new double[size];
        for (int i = 0; i < size; i++)
        {
            scale[i] = 1e-3 * Params.Max(step => System.Math.Abs(step[i]));
        }

        double worst = 0;
        for (int k = 0; k < Params.Length; k++)
        {
            for (int i = 0; i < size; i++)
            {
                double allowance = tolerance * (System.Math.Abs(Params[k][i]) + scale[i]);
                double error = System.Math.Abs(actual[k][i] - Params[k][i]);
                worst = System.Math.Max(worst, allowance == 0 ? (error == 0 ? 0 : double.PositiveInfinity) : error / allowance);
            }
        }

        return worst;
    }

    private static List<ReferenceCase> Load()
    {
        string path = Repository.ReferenceFile("optimizers.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(c => new ReferenceCase(
            c.GetProperty("name").GetString()!,
            c.GetProperty("optimizer").GetString()!,
            c.GetProperty("hyperparameters").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone()),
            Vector(c.GetProperty("initial")),
            c.GetProperty("grads").EnumerateArray().Select(Vector).ToArray(),
            c.GetProperty("params").EnumerateArray().Select(Vector).ToArray(),
            c.GetProperty("tolerance").GetDouble(),
            c.TryGetProperty("shape", out JsonElement shape) ? shape.EnumerateArray().Select(d => d.GetInt32()).ToArray() : new[] { c.GetProperty("size").GetInt32() })).ToList();
    }

    private static double[] Vector(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();
}
