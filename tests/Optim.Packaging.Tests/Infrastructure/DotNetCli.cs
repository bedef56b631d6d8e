using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace Optim.Packaging.Tests.Infrastructure;

/// <summary>What a finished process printed (stdout and stderr interleaved) and how it ended.</summary>
internal sealed record ProcessResult(string CommandLine, int ExitCode, string Output, TimeSpan Elapsed)
{
    /// <summary>
    /// The distinct MSBuild diagnostics of a severity ("error", "warning"), as their code (CS8703, OPT0009, IL2026, …)
    /// and whole line (<c>/tmp/…/Program.cs(5,2): error OPT0009: … [….csproj::TargetFramework=net8.0]</c>).
    /// </summary>
    public IReadOnlyList<(string Code, string Line)> Diagnostics(string severity) =>
        Output.Split('\n')
            .Select(line => line.Trim())
            .Distinct(StringComparer.Ordinal)
            .Select(line => (Match: Regex.Match(line, $@"(?:^|:)\s*{severity}\s+([A-Za-z]+[0-9]+)\s*:"), Line: line))
            .Where(m => m.Match.Success)
            .Select(m => (m.Match.Groups[1].Value, m.Line))
            .ToList();

    public override string ToString() =>
        $"`{CommandLine}` exited {ExitCode} after {Elapsed.TotalSeconds:F1} s:\n{Output}";
}

/// <summary>Runs the dotnet CLI (and built programs) as a user would, with output captured and a time limit.</summary>
internal static class DotNetCli
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// <c>dotnet build</c>, <c>pack</c> and <c>publish</c> get <c>--disable-build-servers</c>: a compiler or MSBuild
    /// server left running would keep the output pipe open and outlive the test.
    /// </summary>
    public static ProcessResult Run(string workingDirectory, params string[] arguments)
    {
        string[] buildVerbs = ["build", "pack", "publish"];
        IEnumerable<string> all = arguments.Length > 0 && buildVerbs.Contains(arguments[0])
            ? [.. arguments, "--disable-build-servers", "-tl:off"]
            : arguments;
        return RunProcess("dotnet", all, workingDirectory, environment: null, DefaultTimeout);
    }

    /// <summary>Runs a program (a native executable, or <c>dotnet</c> with a .dll) with extra environment variables.</summary>
    public static ProcessResult RunProgram(
        string fileName, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null,
        TimeSpan? timeout = null) =>
        RunProcess(fileName, arguments, workingDirectory, environment, timeout ?? TimeSpan.FromMinutes(2));

    private static ProcessResult RunProcess(
        string fileName, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string>? environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host runs under `dotnet test`, whose MSBuild settings must not leak into a separate build.
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        start.Environment["DOTNET_GENERATE_ASPNET_CERTIFICATE"] = "false";
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                start.Environment[key] = value;
            }
        }

        string commandLine = fileName + " " + string.Join(' ', start.ArgumentList);
        var output = new StringBuilder();
        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"`{commandLine}` did not finish within {timeout}:\n{Snapshot(output)}");
        }

        process.WaitForExit(); // drains the asynchronous output readers
        stopwatch.Stop();
        return new ProcessResult(commandLine, process.ExitCode, Snapshot(output), stopwatch.Elapsed);
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.Append(line).Append('\n');
        }
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
