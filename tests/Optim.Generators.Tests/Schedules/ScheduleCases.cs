using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Optim.Generators.Tests.Infrastructure;

namespace Optim.Generators.Tests.Schedules;

/// <summary>One case of tests/reference/schedulers.json: lrs[k] is the rate in force for step k + 1.</summary>
internal sealed record ScheduleCase(string Name, string Scheduler, IReadOnlyDictionary<string, JsonElement> Hyperparameters, double[] Lrs)
{
    public static IReadOnlyList<ScheduleCase> All { get; } = Load();

    public static ScheduleCase Named(string name) => All.Single(c => c.Name == name);

    public double Lr => Hyperparameters["lr"].GetDouble();

    public double Number(string key) => Hyperparameters[key].GetDouble();

    public int Int(string key) => Hyperparameters[key].GetInt32();

    private static List<ScheduleCase> Load()
    {
        string path = Repository.ReferenceFile("schedulers.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(c => new ScheduleCase(
            c.GetProperty("name").GetString()!,
            c.GetProperty("scheduler").GetString()!,
            c.GetProperty("hyperparameters").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone()),
            c.GetProperty("lrs").EnumerateArray().Select(e => e.GetDouble()).ToArray())).ToList();
    }
}
