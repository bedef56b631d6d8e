using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using Optim.Distributed.Ranks;
using Xunit;

namespace Optim.Distributed.Tests;

/// <summary>
/// Starts the ranks helper (tests/Optim.Distributed.Ranks) under <c>mpirun</c> on this machine only: shared memory
/// between the ranks, the runtime's own traffic on loopback, <c>--oversubscribe</c> since CI has 2 cores. Every run has a
/// timeout; a run that outlives it is killed with its process tree and fails the test as a hang.
/// </summary>
internal static class MpiRun
{
    /// <summary>Set (to 1) where MPI must be present, as in .ci/run: a missing MPI then fails the tests instead of skipping them.</summary>
    public const string RequireVariable = "OPTIM_REQUIRE_MPI";

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    private static readonly Lazy<string?> Missing = new(FindMissing);

    /// <summary>
    /// Skips the calling test, saying why, when MPI is not installed; fails it instead when <see cref="RequireVariable"/> is 1.
    /// </summary>
    public static void RequireMpi()
    {
        string? missing = Missing.Value;
        if (missing == null)
        {
            return;
        }

        string message = $"MPI is not available: {missing}. Install Open MPI (apt-get install openmpi-bin libopenmpi-dev) to run the distributed tests.";
        if (Environment.GetEnvironmentVariable(RequireVariable) == "1")
        {
            Assert.Fail($"{message} ({RequireVariable}=1 requires it.)");
        }

        Skip.If(true, message);
    }

    public static string? MpirunPath =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "mpirun")).FirstOrDefault(File.Exists);

    /// <summary>Runs <paramref name="ranks"/> copies of the helper with <paramref name="arguments"/>.</summary>
    public static Outcome Ranks(int ranks, IEnumerable<string> arguments, TimeSpan? timeout = null, IEnumerable<string>? mpiOptions = null)
    {
        RequireMpi();
        var all = new List<string>
        {
            "--oversubscribe", "-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--mca", "btl", "self,vader", "--mca", "oob_tcp_if_include", "lo", "--bind-to", "none",
        };
        all.AddRange(mpiOptions ?? []);
        all.Add("dotnet");
        all.Add(HelperPath);
        all.AddRange(arguments);
        return Run(MpirunPath!, all, timeout ?? DefaultTimeout);
    }

    /// <summary>The helper's assembly, copied beside the tests with its runtime configuration.</summary>
    public static string HelperPath
    {
        get
        {
            string path = typeof(Trainer).Assembly.Location;
            string config = Path.ChangeExtension(path, ".runtimeconfig.json");
            Assert.True(File.Exists(config), $"The ranks helper's {config} is missing: build tests/Optim.Distributed.Tests.");
            return path;
        }
    }

    private static Outcome Run(string program, List<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (IsRoot())
        {
            // mpirun refuses to run as root (CI containers) unless told twice.
            start.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
            start.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        }

        start.Environment["TERM"] = "dumb";

        // Each mpirun gets a session directory of its own. By default every run of one user on one host shares
        // /tmp/ompi.<host>.<uid>, and Open MPI creates it without tolerating a concurrent creator: two runs starting
        // together (test classes run in parallel) can fail with "mkdir ... File exists" in orte_init (seen in CI).
        DirectoryInfo session = Directory.CreateTempSubdirectory("optim-ompi-");
        start.Environment["OMPI_MCA_orte_tmpdir_base"] = session.FullName;
        try
        {
            return Run(start, arguments, timeout);
        }
        finally
        {
            DeleteQuietly(session);
        }
    }

    private static Outcome Run(ProcessStartInfo start, List<string> arguments, TimeSpan timeout)
    {
        var output = new StringBuilder();
        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"mpirun {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds} s (a hang); output:\n{Text(output)}");
        }

        process.WaitForExit();   // drains the redirected streams
        return new Outcome(process.ExitCode, Text(output), stopwatch.Elapsed, string.Join(' ', arguments));
    }

    private static void DeleteQuietly(DirectoryInfo directory)
    {
        try
        {
            directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A rank killed after a timeout may still hold a file there; the directory is in the temporary folder.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line == null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static bool IsRoot() => geteuid() == 0;

    [DllImport("libc")]
    private static extern uint geteuid();

    private static string? FindMissing()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "Optim.Distributed runs on Linux only";
        }

        if (MpirunPath == null)
        {
            return "mpirun is not on PATH";
        }

        if (!NativeLibrary.TryLoad("libmpi.so.40", out nint handle))
        {
            return "libmpi.so.40 cannot be loaded";
        }

        NativeLibrary.Free(handle);
        return null;
    }

    /// <summary>How an mpirun ended: exit code, everything the ranks and mpirun printed, and how long it took.</summary>
    public sealed record Outcome(int ExitCode, string Output, TimeSpan Elapsed, string CommandLine)
    {
        public Outcome Succeeded()
        {
            Assert.True(ExitCode == 0, $"mpirun {CommandLine} exited with {ExitCode}:\n{Output}");
            return this;
        }
    }
}
