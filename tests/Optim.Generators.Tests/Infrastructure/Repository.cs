using System;
using System.IO;

namespace Optim.Generators.Tests.Infrastructure;

/// <summary>Finds the repository and the shared reference material from the test's output folder.</summary>
internal static class Repository
{
    /// <summary>The folder holding Optim.Generators.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The shared folder beside the repository root (reference trajectories, design notes).</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    public static string TestProject => Path.Combine(Root, "tests", "Optim.Generators.Tests");

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
