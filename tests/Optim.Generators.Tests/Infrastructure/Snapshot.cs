using System;
using System.IO;
using Xunit;

namespace Optim.Generators.Tests.Infrastructure;

/// <summary>
/// Approval testing for generated code: the text must equal the committed Snapshots/{name}.verified.cs.
/// Set OPTIM_ACCEPT_SNAPSHOTS=1 to (re)write the snapshots after a deliberate change, then review the diff.
/// </summary>
internal static class Snapshot
{
    public static void Verify(string name, string actual)
    {
        string folder = Path.Combine(Repository.TestProject, "Snapshots");
        string verified = Path.Combine(folder, name + ".verified.cs");
        string received = Path.Combine(folder, name + ".received.cs");

        if (Environment.GetEnvironmentVariable("OPTIM_ACCEPT_SNAPSHOTS") == "1")
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
