using System;
using System.IO;
using Xunit;

namespace Optim.Generators.Tests.Infrastructure;

/// <summary>
/// Approval testing for generated code: the text must equal the committed Snapshots/{name}.verified.cs.
/// Set OPTIM_ACCEPT_SNAPSHOTS=1 to (re)write the snapshots after a deliberate change, then review the diff.
/// Approval is refused in CI (CI, TF_BUILD or GITHUB_ACTIONS set): there a mismatch always fails.
/// </summary>
internal static class Snapshot
{
    /// <summary>What to do with a snapshot, given the environment.</summary>
    public enum Mode
    {
        /// <summary>Compare with the committed snapshot.</summary>
        Verify,

        /// <summary>Write the received text as the new snapshot (a developer asked for it).</summary>
        Accept,

        /// <summary>Acceptance was asked for in CI: refuse, and fail.</summary>
        Refuse,
    }

    /// <summary>The mode for an environment (a function from variable name to value, null when unset).</summary>
    public static Mode ModeFor(Func<string, string?> environment)
    {
        if (environment("OPTIM_ACCEPT_SNAPSHOTS") != "1")
        {
            return Mode.Verify;
        }

        bool ci = environment("CI") is { } value && (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value == "1")
            || !string.IsNullOrEmpty(environment("TF_BUILD"))
            || string.Equals(environment("GITHUB_ACTIONS"), "true", StringComparison.OrdinalIgnoreCase);
        return ci ? Mode.Refuse : Mode.Accept;
    }

    public static void Verify(string name, string actual)
    {
        string folder = Path.Combine(Repository.TestProject, "Snapshots");
        string verified = Path.Combine(folder, name + ".verified.cs");
        string received = Path.Combine(folder, name + ".received.cs");

        Mode mode = ModeFor(Environment.GetEnvironmentVariable);
        Assert.False(mode == Mode.Refuse, "OPTIM_ACCEPT_SNAPSHOTS=1 is refused in CI: snapshots are accepted on a developer's machine and committed.");
        if (mode == Mode.Accept)
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(verified, actual);
            File.Delete(received);
            return;
        }

        Assert.True(File.Exists(verified), $"No snapshot {verified}. Run the tests with OPTIM_ACCEPT_SNAPSHOTS=1 to create it, then review it.");
        string expected = File.ReadAllText(verified);
        if (expected != actual)
        {
            File.WriteAllText(received, actual);
            Assert.Fail($"Generated code differs from {Path.GetFileName(verified)} at line {FirstDifferentLine(expected, actual)}. " +
                $"The new text is in {Path.GetFileName(received)}; diff the two, and if the change is intended rerun with OPTIM_ACCEPT_SNAPSHOTS=1.");
        }

        File.Delete(received);
    }

    private static int FirstDifferentLine(string expected, string actual)
    {
        string[] a = expected.Split('\n'), b = actual.Split('\n');
        int i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i])
        {
            i++;
        }

        return i + 1;
    }
}
