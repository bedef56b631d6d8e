using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Optim.Packaging.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Optim.Packaging.Tests;

/// <summary>A user's project installs the package by version from the local folder, builds and trains.</summary>
[Collection(PackagedOptimGroup.Name)]
[Trait("Category", "Packaging")]
public sealed class ConsumerTests(PackagedOptim package, ITestOutputHelper output)
{
    /// <summary>Strict settings a careful user might have; the generated code must pass them too.</summary>
    internal static readonly ProjectProperty[] StrictProperties =
    [
        new("TreatWarningsAsErrors", "true"),
        new("AnalysisLevel", "latest-recommended"),
        new("IsAotCompatible", "true"),
    ];

    [Fact]
    public void A_fresh_console_project_installs_Optim_from_the_local_folder_builds_with_warnings_as_errors_and_trains()
    {
        // net8.0 compiles as C# 12 unless told otherwise; partial properties need 13.
        var consumer = ConsumerProject.Create(
            package, "consumer", "net10.0;net8.0",
            [.. StrictProperties, new("LangVersion", "13", "'$(TargetFramework)' == 'net8.0'")]);

        ProcessResult build = consumer.Dotnet("build", consumer.ProjectFile, "-c", "Release");
        output.WriteLine(build.ToString());
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Empty(build.Diagnostics("warning"));

        var (source, sameBytes) = consumer.RestoredOptim();
        Assert.Equal(Path.TrimEndingDirectorySeparator(package.Feed), Path.TrimEndingDirectorySeparator(source));
        Assert.True(sameBytes, "the restored Optim package is not the one this run packed");

        AssertTrains(consumer.RunBuilt("Release", "net10.0"));

        // Only the .NET 10 runtime may be installed: run the net8.0 build (lib/net8.0, generated code compiled for
        // net8.0) on the newest runtime, as DOTNET_ROLL_FORWARD=Major allows.
        AssertTrains(consumer.RunBuilt("Release", "net8.0", new Dictionary<string, string> { ["DOTNET_ROLL_FORWARD"] = "Major" }));
    }

    [Fact]
    public void The_generator_loads_in_an_older_compiler_than_the_SDKs_and_its_code_compiles_as_CSharp_13()
    {
        // Roslyn 4.14 (Visual Studio 17.14, .NET SDK 9.0.300) instead of this SDK's compiler: C# 13 at most, so the
        // generated code must not use newer language features. Roslyn 4.8 itself (the .NET 8 SDK's) is not served by
        // the package feed here; the packaged generator's references are checked against it in PackageTests.
        var consumer = ConsumerProject.Create(
            package, "roslyn-4.14", "net10.0",
            [.. StrictProperties, new("RoslynCompilerType", "Package")],
            ("Microsoft.Net.Compilers.Toolset", "4.14.0"));

        ProcessResult build = consumer.Dotnet("build", consumer.ProjectFile, "-c", "Release", "-v:n");
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Empty(build.Diagnostics("warning"));
        Assert.Contains("microsoft.net.compilers.toolset/4.14.0/", build.Output, StringComparison.OrdinalIgnoreCase);

        ProcessResult run = consumer.RunBuilt("Release", "net10.0");
        output.WriteLine(run.Output);
        AssertTrains(run);
    }

    [Fact]
    public void A_consumer_without_CSharp_13_gets_OPT0009_and_no_wall_of_compiler_errors()
    {
        // net8.0 defaults to C# 12 (the realistic case: a library targeting net8.0); net10.0 is held at 12 explicitly.
        var consumer = ConsumerProject.Create(
            package, "csharp12", "net10.0;net8.0",
            [.. StrictProperties, new("LangVersion", "12", "'$(TargetFramework)' == 'net10.0'")]);

        ProcessResult build = consumer.Dotnet("build", consumer.ProjectFile, "-c", "Release");
        output.WriteLine(build.ToString());
        Assert.NotEqual(0, build.ExitCode);

        foreach (string targetFramework in (string[])["net8.0", "net10.0"])
        {
            var errors = build.Diagnostics("error")
                .Where(e => e.Line.EndsWith("TargetFramework=" + targetFramework + "]", StringComparison.Ordinal))
                .ToList();
            string[] codes = errors.Select(e => e.Code).ToArray();
            output.WriteLine($"{targetFramework}: {errors.Count} errors: {string.Join(", ", codes)}");

            var opt0009 = Assert.Single(errors, e => e.Code == "OPT0009");
            Assert.Contains("Optim needs C# 13 or later for partial properties", opt0009.Line, StringComparison.Ordinal);

            // What remains is the compiler's own word on each partial property (CS8703: 'partial' needs C# 13, and
            // CS9248: no implementing part), which no generator can silence: at most two per parameter (2 here).
            Assert.All(codes, code => Assert.Contains(code, (string[])["OPT0009", "CS8703", "CS9248"]));
            Assert.True(errors.Count <= 1 + 2 * 2, string.Join('\n', errors.Select(e => e.Line)));
        }
    }

    [Fact]
    public void The_package_adds_global_usings_for_Optim_with_ImplicitUsings_off_and_OptimImplicitUsings_false_removes_them()
    {
        // Consumer/Program.cs writes `[Optimize(Adam, ...)]` with no `using Optim;` or `using static Optim.Optimizer;`.
        // The other consumers are `dotnet new console` projects (ImplicitUsings enabled); this one disables them, so the
        // only global usings are the package's (buildTransitive/Optim.props).
        var consumer = ConsumerProject.Create(package, "no-implicit-usings", "net10.0", [.. StrictProperties, new("ImplicitUsings", "disable")]);

        ProcessResult build = consumer.Dotnet("build", consumer.ProjectFile, "-c", "Release");
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Empty(build.Diagnostics("warning"));
        AssertTrains(consumer.RunBuilt("Release", "net10.0"));

        // The documented opt-out: no global usings from the package, so the bare names no longer resolve.
        ProcessResult optedOut = consumer.Dotnet("build", consumer.ProjectFile, "-c", "Release", "-p:OptimImplicitUsings=false");
        output.WriteLine(optedOut.ToString());
        Assert.NotEqual(0, optedOut.ExitCode);
        var errors = optedOut.Diagnostics("error");
        Assert.Contains(errors, e => e.Code == "CS0103" && e.Line.Contains("'Adam'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Code == "CS0246" && e.Line.Contains("'Optimize", StringComparison.Ordinal));
    }

    [Fact]
    public void OPT_warnings_are_suppressed_by_pragma_and_by_editorconfig_like_any_compiler_warning()
    {
        // A model with a hyperparameter its optimizer ignores (OPT0008, a warning) in a project that treats warnings as
        // errors: the build fails as is, and succeeds once the warning is suppressed in either of the usual ways.
        var consumer = ConsumerProject.Create(package, "suppression", "net10.0", StrictProperties);
        string model = """
            using System;
            using Optim;
            using static Optim.Optimizer;

            namespace Suppression;

            BEFORE[Optimize(Sgd, Lr = 0.1, Beta1 = 0.5)]
            internal sealed partial class Ignored
            {
                [Parameter(3)] public partial Span<float> W { get; }
            }
            AFTER
            """;
        string file = Path.Combine(consumer.Directory, "Ignored.cs");

        File.WriteAllText(file, model.Replace("BEFORE", "", StringComparison.Ordinal).Replace("AFTER", "", StringComparison.Ordinal));
        ProcessResult plain = consumer.Dotnet("build", consumer.ProjectFile, "-c", "Release");
        Assert.NotEqual(0, plain.ExitCode);
        Assert.Contains(plain.Diagnostics("error"), d => d.Code == "OPT0008");

        File.WriteAllText(file, model.Replace("BEFORE", "#pragma warning disable OPT0008\n", StringComparison.Ordinal).Replace("AFTER", "#pragma warning restore OPT0008", StringComparison.Ordinal));
        ProcessResult pragma = consumer.Dotnet("build", consumer.ProjectFile, "-c", "Release");
        Assert.True(pragma.ExitCode == 0, pragma.ToString());

        File.WriteAllText(file, model.Replace("BEFORE", "", StringComparison.Ordinal).Replace("AFTER", "", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(consumer.Directory, ".editorconfig"), "root = true\n\n[*.cs]\ndotnet_diagnostic.OPT0008.severity = none\n");
        ProcessResult editorconfig = consumer.Dotnet("build", consumer.ProjectFile, "-c", "Release");
        Assert.True(editorconfig.ExitCode == 0, editorconfig.ToString());
    }

    /// <summary>The consumer printed a falling loss and exited 0 (loss below 1e-4).</summary>
    internal static void AssertTrains(ProcessResult run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        Match trained = Regex.Match(run.Output, @"trained: loss (\S+) -> (\S+)");
        Assert.True(trained.Success, run.ToString());
        double first = double.Parse(trained.Groups[1].Value, CultureInfo.InvariantCulture);
        double last = double.Parse(trained.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.True(first > 1 && last < 1e-4, run.ToString());
        Assert.Contains("steps: 1500", run.Output, StringComparison.Ordinal);
    }
}
