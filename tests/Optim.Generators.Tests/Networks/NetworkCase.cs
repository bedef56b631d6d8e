using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Optim.Generators.Tests.Infrastructure;

namespace Optim.Generators.Tests.Networks;

/// <summary>One case of tests/reference/networks.json.</summary>
internal sealed record NetworkCase(
    string Name,
    string Network,
    string Loss,
    int[] InputShape,
    double[] Input,
    double[] Target,
    IReadOnlyList<(string Name, int[] Shape, double[] Init)> Parameters,
    double[] Output32,
    double[] Output64,
    double[] Loss32,
    double[] Loss64,
    IReadOnlyDictionary<string, double[]> Grad32,
    IReadOnlyDictionary<string, double[]> Grad64,
    IReadOnlyDictionary<string, double[]> Final32,
    IReadOnlyDictionary<string, double[]> Final64)
{
    public static double AdamLr { get; private set; }

    public static IReadOnlyList<NetworkCase> All { get; } = Load();

    public static NetworkCase Named(string name) => All.Single(c => c.Name == name);

    /// <summary>The batch size (the input's first dimension).</summary>
    public int Batch => InputShape[0];

    public override string ToString() => Name;

    private static List<NetworkCase> Load()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Repository.ReferenceFile("networks.json")));
        JsonElement root = document.RootElement;
        AdamLr = root.GetProperty("adam_lr").GetDouble();
        return root.GetProperty("cases").EnumerateArray().Select(c => new NetworkCase(
            c.GetProperty("name").GetString()!,
            c.GetProperty("network").GetString()!,
            c.GetProperty("loss").GetString()!,
            c.GetProperty("input_shape").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            Doubles(c.GetProperty("input")),
            Doubles(c.GetProperty("target")),
            c.GetProperty("parameters").EnumerateArray().Select(p => (
                p.GetProperty("name").GetString()!,
                p.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                Doubles(p.GetProperty("init")))).ToList(),
            Doubles(c.GetProperty("output_f32")),
            Doubles(c.GetProperty("output_f64")),
            Doubles(c.GetProperty("loss_f32")),
            Doubles(c.GetProperty("loss_f64")),
            Tensors(c.GetProperty("grad_f32")),
            Tensors(c.GetProperty("grad_f64")),
            Tensors(c.GetProperty("final_f32")),
            Tensors(c.GetProperty("final_f64")))).ToList();
    }

    private static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    private static Dictionary<string, double[]> Tensors(JsonElement map) =>
        map.EnumerateObject().ToDictionary(p => p.Name, p => Doubles(p.Value));
}
