using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using Xunit;

namespace Optim.Generators.Tests.Infrastructure;

/// <summary>Runs a program to completion and returns what it printed.</summary>
internal static class Processes
{
    /// <summary>
    /// Runs <paramref name="program"/> and waits at most <paramref name="timeoutSeconds"/>; a child still running then
    /// is killed with its whole process tree and the call fails. Output is read asynchronously, so a hung child that
    /// keeps its pipes open cannot block the wait. An <paramref name="environment"/> value of null removes that
    /// variable from the child's environment.
    /// </summary>
    public static (int ExitCode, string Output, string Error) Run(string program, IEnumerable<string> arguments, IDictionary<string, string?>? environment = null, int timeoutSeconds = 300)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(key);
            }
            else
            {
                start.Environment[key] = value;
            }
        }

        using Process process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"{program} {string.Join(' ', start.ArgumentList)} did not finish within {timeoutSeconds} s and was killed.");
        }

        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>The built output of a project of this repository, in the configuration the tests run in.</summary>
    public static string BuiltAssembly(string projectFolder, string name)
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string path = Path.Combine(Repository.Root, projectFolder, "bin", configuration, "net10.0", name);
        Assert.True(File.Exists(path), "Not built: " + path);
        return path;
    }
}
