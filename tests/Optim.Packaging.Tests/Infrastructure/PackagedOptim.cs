using System;
using System.Globalization;
using System.IO;
using System.Linq;
using Xunit;

namespace Optim.Packaging.Tests.Infrastructure;

/// <summary>
/// Packs the repository's Optim package once for all packaging tests, with a version no earlier run used
/// (<c>0.1.0-ci.&lt;time&gt;.&lt;pid&gt;</c>), into a local folder that consumers restore it from. Builds go to a
/// private artifacts folder, so the repository's bin/ and obj/ are left alone. Disposing deletes everything, including
/// the package's copy in the global packages folder.
/// </summary>
public sealed class PackagedOptim : IDisposable
{
    public PackagedOptim()
    {
        RepositoryRoot = FindRepositoryRoot();
        Version = string.Create(CultureInfo.InvariantCulture, $"0.1.0-ci.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}");
        string id = "optim-packaging-" + Guid.NewGuid().ToString("N")[..12];
        WorkRoot = Path.Combine(Path.GetTempPath(), id);
        Feed = Path.Combine(WorkRoot, "feed");
        Directory.CreateDirectory(Feed);

        // Inside the repository (artifacts/ is git-ignored), so that ContinuousIntegrationBuild maps every compiled file,
        // generated obj/ files included, to /_/ as a pack from the usual obj/ folders does.
        PackArtifacts = Path.Combine(RepositoryRoot, "artifacts", id);

        // A fresh-clone release pack: Release, deterministic CI paths, the version on the command line.
        PackResult = DotNetCli.Run(
            RepositoryRoot,
            "pack", Path.Combine("src", "Optim.Abstractions", "Optim.Abstractions.csproj"),
            "-c", "Release",
            "-o", Feed,
            "--artifacts-path", PackArtifacts,
            "-p:Version=" + Version,
            "-p:ContinuousIntegrationBuild=true");
        if (PackResult.ExitCode != 0)
        {
            throw new InvalidOperationException("dotnet pack failed: " + PackResult);
        }

        Nupkg = Path.Combine(Feed, $"Optim.{Version}.nupkg");
        Snupkg = Path.Combine(Feed, $"Optim.{Version}.snupkg");
    }

    /// <summary>The folder holding Optim.Generators.sln.</summary>
    public string RepositoryRoot { get; }

    /// <summary>The packed version, unique to this test run.</summary>
    public string Version { get; }

    /// <summary>This run's temporary folder: the feed, build artifacts and consumer projects.</summary>
    public string WorkRoot { get; }

    /// <summary>The local package folder, the only source of the Optim package for consumers.</summary>
    public string Feed { get; }

    public string Nupkg { get; }

    public string Snupkg { get; }

    internal ProcessResult PackResult { get; }

    private string PackArtifacts { get; }

    /// <summary>NuGet's global packages folder, where restores unpack Optim.</summary>
    public static string GlobalPackagesFolder =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } folder
            ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    public void Dispose()
    {
        TryDelete(Path.Combine(GlobalPackagesFolder, "optim", Version));
        TryDelete(WorkRoot);
        TryDelete(PackArtifacts);
        string artifacts = Path.GetDirectoryName(PackArtifacts)!;
        if (Directory.Exists(artifacts) && !Directory.EnumerateFileSystemEntries(artifacts).Any())
        {
            TryDelete(artifacts);
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Left behind; it lives under the temp folder (or is one unused package version) and harms nothing.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string FindRepositoryRoot()
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

/// <summary>All packaging tests share one pack and run one after another (each drives whole builds).</summary>
[CollectionDefinition(Name)]
public sealed class PackagedOptimGroup : ICollectionFixture<PackagedOptim>
{
    public const string Name = "Packaged Optim";
}
