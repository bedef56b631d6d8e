using System;
using System.IO;

namespace Optim.Generators.Tests.Infrastructure;

/// <summary>Finds the repository and the reference data it carries, from the test's output folder.</summary>
internal static class Repository
{
    /// <summary>The folder holding Optim.Generators.sln.</summary>
    public static string Root { get; } = FindRoot();

    public static string TestProject => Path.Combine(Root, "tests", "Optim.Generators.Tests");

    /// <summary>
    /// A file of tests/reference (the repository's copy of the reference trajectories). A missing file is an error
    /// that names the path, never a skip: a test that cannot read its data must fail.
    /// </summary>
    public static string ReferenceFile(string name)
    {
        string path = Path.Combine(Root, "tests", "reference", name);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Reference data {path} is missing: tests/reference/ must hold {name} (see tests/reference/README.md).", path);
        }

        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Optim.Generators.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Optim.Generators.sln not found above " + AppContext.BaseDirectory);
    }
}
