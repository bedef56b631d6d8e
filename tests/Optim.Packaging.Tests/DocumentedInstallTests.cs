using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Optim.DocTests;
using Optim.Packaging.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Optim.Packaging.Tests;

/// <summary>
/// The install steps docs/packaging.md gives for today (Optim is not on a public feed yet), run exactly as written:
/// each documented shell block runs in bash, from a copy of the repository's sources, with HOME set to a fresh folder
/// (a new user: empty NuGet cache, so nothing of an earlier Optim 0.1.0 can be picked up). Then the README's quick
/// start, the project's only code, builds and trains.
/// </summary>
[Collection(PackagedOptimGroup.Name)]
[Trait("Category", "Packaging")]
public sealed class DocumentedInstallTests(PackagedOptim package, ITestOutputHelper output)
{
    [Fact]
    public void The_documented_local_feed_commands_install_Optim_and_the_READMEs_quick_start_trains()
    {
        IReadOnlyList<MarkdownBlock> blocks = MarkdownBlock.InRepository(package.RepositoryRoot);
        string root = Path.Combine(package.WorkRoot, "documented");
        string home = Path.Combine(root, "home");
        string clone = Path.Combine(root, "optim");
        Directory.CreateDirectory(home);
        CopySources(package.RepositoryRoot, clone);

        // docs/packaging.md: pack into ~/optim-packages, create ~/MyApp, `dotnet add package Optim --source ...`.
        ProcessResult install = Bash(MarkdownBlock.Named(blocks, "install-local"), clone, home);
        string app = Path.Combine(home, "MyApp");
        string project = File.ReadAllText(Path.Combine(app, "MyApp.csproj"));
        Assert.Matches("<PackageReference Include=\"Optim\" Version=\"0.1.0\" />", project);
        Assert.Contains("Optim.0.1.0.nupkg", Directory.GetFiles(Path.Combine(home, "optim-packages")).Select(Path.GetFileName));

        // The README's quick start is the whole program; it has no using directive for Optim.
        File.WriteAllText(Path.Combine(app, "Program.cs"), MarkdownBlock.Named(blocks, "quick-start").Code);
        AssertQuickStartTrains(Run(app, home, "dotnet", "run"));

        // docs/packaging.md: the nuget.config that lets later restores (a clean cache, a CI machine) find the folder.
        Bash(MarkdownBlock.Named(blocks, "install-local-config"), app, home);
        Directory.Delete(Path.Combine(home, ".nuget", "packages", "optim"), recursive: true);
        ProcessResult rebuilt = Run(app, home, "dotnet", "build", "--disable-build-servers");
        Assert.True(rebuilt.ExitCode == 0, rebuilt.ToString());
        Assert.True(Directory.Exists(Path.Combine(home, ".nuget", "packages", "optim", "0.1.0")), "restore did not fetch Optim again");
    }

    /// <summary>"W = [2.000, -3.000], B = 1.000" within 0.01 of the line the quick start fits.</summary>
    private void AssertQuickStartTrains(ProcessResult run)
    {
        output.WriteLine(run.ToString());
        Assert.True(run.ExitCode == 0, run.ToString());
        Match fit = Regex.Match(run.Output, @"W = \[(\S+), (\S+)\], B = (\S+)");
        Assert.True(fit.Success, run.ToString());
        double[] values = [.. Enumerable.Range(1, 3).Select(g => double.Parse(fit.Groups[g].Value, CultureInfo.InvariantCulture))];
        Assert.True(Math.Abs(values[0] - 2) < 0.01 && Math.Abs(values[1] + 3) < 0.01 && Math.Abs(values[2] - 1) < 0.01, run.ToString());
    }

    private ProcessResult Bash(MarkdownBlock block, string directory, string home)
    {
        Assert.Equal("sh", block.Language);
        ProcessResult result = Run(directory, home, "bash", "-euo", "pipefail", "-c", block.Code);
        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 0, $"{block}:\n{result}");
        return result;
    }

    private static ProcessResult Run(string directory, string home, string program, params string[] arguments) =>
        DotNetCli.RunProgram(program, arguments, directory, new Dictionary<string, string>
        {
            ["HOME"] = home,
            ["NUGET_PACKAGES"] = Path.Combine(home, ".nuget", "packages"),
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
            ["UseSharedCompilation"] = "false",
        }, TimeSpan.FromMinutes(25));

    /// <summary>What a clone holds that packing needs: the root build files and src/, without build outputs.</summary>
    private static void CopySources(string repository, string clone)
    {
        foreach (string file in (string[])[".editorconfig", "Directory.Build.props", "Directory.Packages.props", "global.json", "LICENSE", "Optim.Generators.sln"])
        {
            Directory.CreateDirectory(clone);
            File.Copy(Path.Combine(repository, file), Path.Combine(clone, file));
        }

        string src = Path.Combine(repository, "src");
        foreach (string file in Directory.EnumerateFiles(src, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(repository, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            {
                continue;
            }

            string target = Path.Combine(clone, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
