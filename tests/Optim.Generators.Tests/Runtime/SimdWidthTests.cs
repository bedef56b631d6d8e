using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Optim.Generators.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Optim.Generators.Tests.Runtime;

/// <summary>
/// Generated Step() gives bit-identical results whichever vector width runs: the probe trains every kind of model and
/// hashes the results under the runtime's own knobs (.NET 10: DOTNET_EnableAVX512, DOTNET_EnableAVX2,
/// DOTNET_EnableHWIntrinsic). Each child gets exactly the setting under test: knobs inherited from the environment
/// <c>dotnet test</c> runs in are removed, so "default" really is the machine's default.
/// </summary>
public sealed class SimdWidthTests(ITestOutputHelper output)
{
    /// <summary>Every knob that narrows vector widths; all are cleared from a child's environment first.</summary>
    private static readonly string[] Knobs =
    {
        "DOTNET_EnableAVX512", "DOTNET_EnableAVX2", "DOTNET_EnableAVX", "DOTNET_EnableHWIntrinsic",
        "DOTNET_PreferredVectorBitWidth", "DOTNET_MaxVectorTBitWidth", Optim.Kernels.Gemm.VectorBitsVariable,
    };

    [Fact]
    public void Results_are_bit_identical_at_every_vector_width()
    {
        var runs = new Dictionary<string, Probe>
        {
            ["default"] = RunProbe(null),
            ["DOTNET_EnableAVX512=0"] = RunProbe("DOTNET_EnableAVX512"),
            ["DOTNET_EnableAVX2=0"] = RunProbe("DOTNET_EnableAVX2"),
            ["DOTNET_EnableHWIntrinsic=0"] = RunProbe("DOTNET_EnableHWIntrinsic"),
        };

        Probe baseline = runs["default"];
        bool avx512Hardware = CpuHasAvx512() ?? baseline.Avx512F;
        if (avx512Hardware && !baseline.V512)
        {
            // CPUs whose 512-bit units throttle get Vector512 off by default; force it so its path still runs here.
            runs["DOTNET_PreferredVectorBitWidth=512"] = RunProbe("DOTNET_PreferredVectorBitWidth", "512");
            Assert.True(runs["DOTNET_PreferredVectorBitWidth=512"].V512, "this CPU has AVX-512 but Vector512 never ran");
        }

        if (runs.Values.Any(r => r.V512) && !runs.Values.Any(r => r.GemmBits == 512))
        {
            // Cores that split 512-bit operations (Zen 4) run the GEMM's 256-bit kernel by default; force the 512-bit one.
            string variable = Optim.Kernels.Gemm.VectorBitsVariable;
            runs[variable + "=512"] = RunProbe(variable, "512", baseline.V512 ? null : ("DOTNET_PreferredVectorBitWidth", "512"));
            Assert.True(runs[variable + "=512"].GemmBits == 512, $"{variable}=512 did not run the 512-bit GEMM kernel");
        }

        foreach (var (setting, run) in runs)
        {
            output.WriteLine($"{setting,-36} V512={run.V512} V256={run.V256} V128={run.V128} GEMM {run.GemmBits} bits, hash {run.Hash} custom-rule mismatches {run.CustomRuleMismatches}");

            // The custom rules' contract at every width: Step() equals the [UpdateRule] method called per element.
            Assert.True(run.CustomRuleMismatches == 0, $"{setting}: {run.CustomRuleMismatches} parameters differ from the [UpdateRule] method called per element");
        }

        // On AVX-512 hardware the default run takes the Vector512 path (or the forced run above did).
        Assert.True(!avx512Hardware || runs.Values.Any(r => r.V512), "AVX-512 hardware, yet no run used Vector512");
        Assert.True(baseline.V256 && baseline.V128, "x64 with AVX2 expected by default: " + baseline.Widths);

        // Each knob really changed the widths in use (otherwise the hash comparison proves nothing).
        Assert.False(runs["DOTNET_EnableAVX512=0"].V512, "DOTNET_EnableAVX512=0 left Vector512 on");
        Assert.True(runs["DOTNET_EnableAVX512=0"].V256, "DOTNET_EnableAVX512=0 turned Vector256 off too");
        if (baseline.V512)
        {
            Assert.NotEqual(baseline.Widths, runs["DOTNET_EnableAVX512=0"].Widths);
        }

        Assert.False(runs["DOTNET_EnableAVX2=0"].V256 || runs["DOTNET_EnableAVX2=0"].V512, "DOTNET_EnableAVX2=0 left 256/512-bit vectors on");
        Assert.True(runs["DOTNET_EnableAVX2=0"].V128, "DOTNET_EnableAVX2=0 turned Vector128 off too");
        Assert.False(runs["DOTNET_EnableHWIntrinsic=0"].V128, "DOTNET_EnableHWIntrinsic=0 left Vector128 on");

        foreach (var (setting, run) in runs)
        {
            Assert.True(baseline.Hash == run.Hash, $"{setting} ({run.Widths}) hashed {run.Hash}, default ({baseline.Widths}) hashed {baseline.Hash}");
        }
    }

    [Fact]
    public void A_bad_GEMM_width_setting_is_an_error_naming_the_variable()
    {
        string probe = Processes.BuiltAssembly("tests/Optim.SimdProbe", "Optim.SimdProbe.dll");
        var environment = Knobs.ToDictionary(k => k, string? (_) => null);
        environment[Optim.Kernels.Gemm.VectorBitsVariable] = "wide";

        var (exit, _, error) = Processes.Run("dotnet", ["exec", probe], environment, timeoutSeconds: 120);

        Assert.NotEqual(0, exit);
        Assert.Contains("InvalidOperationException: OPTIM_GEMM_VECTOR_BITS is 'wide'; it takes 512 or 256", error, StringComparison.Ordinal);
    }

    private sealed record Probe(string Widths, bool Avx512F, int GemmBits, string Hash, int CustomRuleMismatches)
    {
        public bool V512 => Widths.Contains("V512=True", StringComparison.Ordinal);

        public bool V256 => Widths.Contains("V256=True", StringComparison.Ordinal);

        public bool V128 => Widths.Contains("V128=True", StringComparison.Ordinal);
    }

    private static Probe RunProbe(string? knob, string value = "0", (string Knob, string Value)? also = null)
    {
        string probe = Processes.BuiltAssembly("tests/Optim.SimdProbe", "Optim.SimdProbe.dll");
        var environment = Knobs.ToDictionary(k => k, string? (_) => null);
        if (knob is not null)
        {
            environment[knob] = value;
        }

        if (also is { } extra)
        {
            environment[extra.Knob] = extra.Value;
        }

        var (exit, output, error) = Processes.Run("dotnet", ["exec", probe], environment, timeoutSeconds: 120);
        Assert.True(exit == 0, $"probe failed ({exit}): {error}");

        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string widths = lines.Single(l => l.StartsWith("widths:", StringComparison.Ordinal));
        string isa = lines.Single(l => l.StartsWith("isa:", StringComparison.Ordinal));
        string gemm = lines.Single(l => l.StartsWith("gemm:", StringComparison.Ordinal))["gemm:".Length..].Trim();
        string hash = lines.Single(l => l.StartsWith("hash:", StringComparison.Ordinal))["hash:".Length..].Trim();
        string mismatches = lines.Single(l => l.StartsWith("custom-rule mismatches:", StringComparison.Ordinal))["custom-rule mismatches:".Length..].Trim();
        return new Probe(widths, isa.Contains("avx512f=True", StringComparison.Ordinal), int.Parse(gemm, System.Globalization.CultureInfo.InvariantCulture), hash, int.Parse(mismatches, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Whether the CPU itself has AVX-512F (Linux: /proc/cpuinfo), whatever the runtime is told; null elsewhere.</summary>
    private static bool? CpuHasAvx512()
    {
        const string cpuinfo = "/proc/cpuinfo";
        if (!File.Exists(cpuinfo))
        {
            return null;
        }

        return File.ReadLines(cpuinfo).Any(l => l.StartsWith("flags", StringComparison.Ordinal) && l.Split(' ').Contains("avx512f"));
    }
}
