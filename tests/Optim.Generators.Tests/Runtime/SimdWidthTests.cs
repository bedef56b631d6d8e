using System;
using System.Collections.Generic;
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
        string probe = Processes.BuiltAssembly("tests/Optim.SimdProbe", "Optim.SimdProbe.dll");
        var environment = disabled is null ? null : new Dictionary<string, string> { [disabled] = "0" };
        var (exit, output, error) = Processes.Run("dotnet", ["exec", probe], environment, timeoutSeconds: 120);
        Assert.True(exit == 0, $"probe failed ({exit}): {error}");

        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string widths = lines.Single(l => l.StartsWith("widths:", StringComparison.Ordinal));
        string hash = lines.Single(l => l.StartsWith("hash:", StringComparison.Ordinal));
        return (widths, hash);
    }
}
