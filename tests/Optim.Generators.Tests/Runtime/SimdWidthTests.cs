using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.Runtime;

/// <summary>
/// Generated Step() gives bit-identical results whichever vector width runs: the probe trains every kind of
/// model and hashes the results, under each DOTNET_Enable* setting.
/// </summary>
public sealed class SimdWidthTests
{
    [Fact]
    public void Results_are_bit_identical_with_AVX512_AVX2_or_all_hardware_intrinsics_disabled()
    {
        var runs = new Dictionary<string, (string Widths, string Hash)>
        {
            ["default"] = RunProbe(null),
            ["DOTNET_EnableAVX512F=0"] = RunProbe("DOTNET_EnableAVX512F"),
            ["DOTNET_EnableAVX2=0"] = RunProbe("DOTNET_EnableAVX2"),
            ["DOTNET_EnableHWIntrinsic=0"] = RunProbe("DOTNET_EnableHWIntrinsic"),
        };

        // The settings really changed the path taken (otherwise the comparison proves nothing).
        Assert.Contains("V128=False", runs["DOTNET_EnableHWIntrinsic=0"].Widths, StringComparison.Ordinal);
        Assert.Contains("V256=False", runs["DOTNET_EnableAVX2=0"].Widths, StringComparison.Ordinal);
        Assert.Contains("V512=False", runs["DOTNET_EnableAVX512F=0"].Widths, StringComparison.Ordinal);

        string expected = runs["default"].Hash;
        foreach (var (setting, run) in runs)
        {
            Assert.True(expected == run.Hash, $"{setting} ({run.Widths}) hashed {run.Hash}, default ({runs["default"].Widths}) hashed {expected}");
        }
    }

    private static (string Widths, string Hash) RunProbe(string? disabled)
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string probe = Path.Combine(Repository.Root, "tests", "Optim.SimdProbe", "bin", configuration, "net10.0", "Optim.SimdProbe.dll");
        Assert.True(File.Exists(probe), "Probe not built: " + probe);

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(probe);
        if (disabled is not null)
        {
            start.Environment[disabled] = "0";
        }

        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), "probe timed out");
        Assert.True(process.ExitCode == 0, $"probe failed ({process.ExitCode}): {error}");

        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string widths = lines.Single(l => l.StartsWith("widths:", StringComparison.Ordinal));
        string hash = lines.Single(l => l.StartsWith("hash:", StringComparison.Ordinal));
        return (widths, hash);
    }
}
