using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Xml.Linq;
using Optim.Packaging.Tests.Infrastructure;
using Xunit;

namespace Optim.Packaging.Tests;

/// <summary>
/// `dotnet pack src/Optim.Distributed` produces the optional Optim.Distributed package: its library for net8.0 and
/// net10.0 and a dependency on the same version of Optim that brings Optim's generator and build files along.
/// </summary>
[Collection(PackagedOptimGroup.Name)]
[Trait("Category", "Packaging")]
public sealed class DistributedPackageTests(PackagedOptim package)
{
    [Fact]
    public void Optim_Distributed_packs_its_library_and_depends_on_the_same_Optim_with_all_its_assets()
    {
        string output = Path.Combine(package.WorkRoot, "distributed");
        ProcessResult result = DotNetCli.Run(
            package.RepositoryRoot,
            "pack", Path.Combine("src", "Optim.Distributed", "Optim.Distributed.csproj"),
            "-c", "Release", "-o", output, "--artifacts-path", Path.Combine(package.WorkRoot, "distributed-artifacts"),
            "-p:Version=" + package.Version);
        Assert.True(result.ExitCode == 0, result.ToString());

        string nupkg = Path.Combine(output, $"Optim.Distributed.{package.Version}.nupkg");
        using ZipArchive zip = ZipFile.OpenRead(nupkg);
        string[] files = zip.Entries.Select(e => e.FullName)
            .Where(name => name.StartsWith("lib/", StringComparison.Ordinal) || name == "PACKAGE.md")
            .Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(
            ["PACKAGE.md", "lib/net10.0/Optim.Distributed.dll", "lib/net10.0/Optim.Distributed.xml", "lib/net8.0/Optim.Distributed.dll", "lib/net8.0/Optim.Distributed.xml"],
            files);

        using Stream stream = zip.Entries.Single(e => e.FullName == "Optim.Distributed.nuspec").Open();
        XElement root = XDocument.Load(stream).Root!;
        XNamespace ns = root.Name.Namespace;
        XElement metadata = root.Element(ns + "metadata")!;
        Assert.Equal("Optim.Distributed", metadata.Element(ns + "id")?.Value);
        XElement[] groups = metadata.Element(ns + "dependencies")!.Elements(ns + "group").ToArray();
        Assert.Equal(["net10.0", "net8.0"], groups.Select(g => g.Attribute("targetFramework")?.Value).Order(StringComparer.Ordinal));
        Assert.All(groups, group =>
        {
            XElement dependency = Assert.Single(group.Elements(ns + "dependency"));
            Assert.Equal("Optim", dependency.Attribute("id")?.Value);
            Assert.Equal(package.Version, dependency.Attribute("version")?.Value);
            Assert.Equal("All", dependency.Attribute("include")?.Value);   // Optim's generator and global usings come along
        });
    }
}
