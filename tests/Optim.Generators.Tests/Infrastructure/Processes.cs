using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using Xunit;

namespace Optim.Generators.Tests.Infrastructure;

/// <summary>Runs a program to completion and returns what it printed.</summary>
internal static class Processes
{
    public static (int ExitCode, string Output, string Error) Run(string program, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, int timeoutSeconds = 300)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using Process process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(timeoutSeconds * 1000), $"{program} timed out");
        return (process.ExitCode, output, error.Result);
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
