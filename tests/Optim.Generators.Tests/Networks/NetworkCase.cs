using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Optim.Generators.Tests.Infrastructure;

namespace Optim.Generators.Tests.Networks;

/// <summary>One network of tests/reference/networks.json: libtorch's outputs, losses, gradients and Adam steps.</summary>
internal sealed record NetworkCase(
    string Name,
    string Network,
    string Loss,
    int[] InputShape,
    double[] Input,
    double[] Target,
    (string Name, int[] Shape, double[] Values)[] Parameters,
    IReadOnlyDictionary<string, double[]> Fields,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, double[]>> PerParameter)
{
    public static IReadOnlyList<NetworkCase> All { get; } = Load();

    public static double AdamLr { get; } = LoadLr();

    public static NetworkCase Named(string name) => All.Single(c => c.Name == name);

    public int Batch => InputShape[0];

    public override string ToString() => Name;

    private static double LoadLr()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Repository.ReferenceFile("networks.json")));
        return document.RootElement.GetProperty("adam_lr").GetDouble();
    }

    private static List<NetworkCase> Load()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Repository.ReferenceFile("networks.json")));
        var cases = new List<NetworkCase>();
        foreach (JsonElement c in document.RootElement.GetProperty("cases").EnumerateArray())
        {
            var fields = new Dictionary<string, double[]>();
            foreach (string field in new[] { "output_f32", "output_f64", "loss_f32", "loss_f64" })
            {
                fields[field] = Numbers(c.GetProperty(field));
            }

            var perParameter = new Dictionary<string, IReadOnlyDictionary<string, double[]>>();
            foreach (string field in new[] { "grad_f32", "grad_f64", "final_f32", "final_f64" })
            {
                perParameter[field] = c.GetProperty(field).EnumerateObject().ToDictionary(p => p.Name, p => Numbers(p.Value));
            }

            cases.Add(new NetworkCase(
                c.GetProperty("name").GetString()!,
                c.GetProperty("network").GetString()!,
                c.GetProperty("loss").GetString()!,
                c.GetProperty("input_shape").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                Numbers(c.GetProperty("input")),
                Numbers(c.GetProperty("target")),
                c.GetProperty("parameters").EnumerateArray()
                    .Select(p => (p.GetProperty("name").GetString()!, p.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray(), Numbers(p.GetProperty("init"))))
                    .ToArray(),
                fields,
                perParameter));
        }

        return cases;
    }

    private static double[] Numbers(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();
}
