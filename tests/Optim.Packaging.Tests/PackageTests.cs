using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;
using Optim.Packaging.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Optim.Packaging.Tests;

/// <summary>What `dotnet pack` produces: one package, "Optim", holding the library and the generator.</summary>
[Collection(PackagedOptimGroup.Name)]
[Trait("Category", "Packaging")]
public sealed class PackageTests(PackagedOptim package, ITestOutputHelper output)
{
    private static readonly string[] TargetFrameworks = ["net8.0", "net10.0"];

    [Fact]
    public void The_package_holds_the_library_under_lib_the_generator_under_analyzers_and_nothing_else()
    {
        string[] files = PackageFiles(package.Nupkg);
        output.WriteLine($"{Path.GetFileName(package.Nupkg)} ({new FileInfo(package.Nupkg).Length:N0} bytes):");
        output.WriteLine(string.Join('\n', files));

        string[] expected =
        [
            "PACKAGE.md",
            "analyzers/dotnet/cs/Optim.Generators.dll",
            "buildTransitive/Optim.props",
            "lib/net10.0/Optim.Abstractions.dll",
            "lib/net10.0/Optim.Abstractions.xml",
            "lib/net8.0/Optim.Abstractions.dll",
            "lib/net8.0/Optim.Abstractions.xml",
        ];
        Assert.Equal(expected, files);
    }

    [Fact]
    public void The_nuspec_has_license_readme_tags_and_no_dependencies_so_Roslyn_never_reaches_the_consumer()
    {
        XElement metadata = Nuspec(package.Nupkg);
        XNamespace ns = metadata.Name.Namespace;
        output.WriteLine(metadata.ToString());

        Assert.Equal("Optim", metadata.Element(ns + "id")?.Value);
        Assert.Equal(package.Version, metadata.Element(ns + "version")?.Value);
        Assert.Equal("Optim contributors", metadata.Element(ns + "authors")?.Value);
        XElement license = metadata.Element(ns + "license")!;
        Assert.Equal("expression", license.Attribute("type")?.Value);
        Assert.Equal("MIT", license.Value);
        Assert.Equal("PACKAGE.md", metadata.Element(ns + "readme")?.Value);
        Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "description")?.Value));
        string[] tags = metadata.Element(ns + "tags")!.Value.Split(' ');
        Assert.Contains("source-generator", tags);
        Assert.Contains("optimizer", tags);

        // One empty dependency group per library target: no Microsoft.CodeAnalysis, no Optim.Generators, nothing.
        XElement dependencies = metadata.Element(ns + "dependencies")!;
        Assert.Equal(
            TargetFrameworks.Order(StringComparer.Ordinal),
            dependencies.Elements(ns + "group").Select(g => g.Attribute("targetFramework")!.Value).Order(StringComparer.Ordinal));
        Assert.Empty(dependencies.Descendants(ns + "dependency"));
    }

    [Fact]
    public void The_packaged_generator_targets_netstandard2_0_and_Roslyn_4_8_so_the_NET_8_SDK_compiler_loads_it()
    {
        using var reader = new PEReader(new MemoryStream(ReadEntry(package.Nupkg, "analyzers/dotnet/cs/Optim.Generators.dll")));
        MetadataReader metadata = reader.GetMetadataReader();
        var references = metadata.AssemblyReferences
            .Select(handle => metadata.GetAssemblyReference(handle))
            .ToDictionary(r => metadata.GetString(r.Name), r => r.Version, StringComparer.Ordinal);
        output.WriteLine(string.Join('\n', references.Select(r => $"{r.Key} {r.Value}")));

        Assert.Contains("netstandard", references.Keys);
        Assert.True(references["Microsoft.CodeAnalysis"] <= new Version(4, 8, 0, 0), "Microsoft.CodeAnalysis " + references["Microsoft.CodeAnalysis"]);
        Assert.True(references["Microsoft.CodeAnalysis.CSharp"] <= new Version(4, 8, 0, 0), "Microsoft.CodeAnalysis.CSharp " + references["Microsoft.CodeAnalysis.CSharp"]);

        // The package ships no other assembly, so everything referenced must come with every compiler host.
        string[] providedByTheCompiler =
        [
            "netstandard", "Microsoft.CodeAnalysis", "Microsoft.CodeAnalysis.CSharp", "System.Collections.Immutable",
            "System.Reflection.Metadata", "System.Memory", "System.Buffers", "System.Runtime.CompilerServices.Unsafe",
            "System.Numerics.Vectors", "System.Text.Encoding.CodePages", "System.Threading.Tasks.Extensions",
        ];
        Assert.Empty(references.Keys.Except(providedByTheCompiler));
        if (references.TryGetValue("System.Collections.Immutable", out Version? immutable))
        {
            Assert.True(immutable <= new Version(7, 0, 0, 0), "System.Collections.Immutable " + immutable + " is newer than Roslyn 4.8's");
        }
    }

    [Theory]
    [InlineData("net8.0")]
    [InlineData("net10.0")]
    public void The_packaged_library_is_trimmable_deterministic_and_its_symbols_are_in_the_snupkg(string targetFramework)
    {
        using var dll = new PEReader(new MemoryStream(ReadEntry(package.Nupkg, $"lib/{targetFramework}/Optim.Abstractions.dll")));
        MetadataReader metadata = dll.GetMetadataReader();

        // IsTrimmable / IsAotCompatible stamp [assembly: AssemblyMetadata("IsTrimmable", "True")] for the trimmer.
        Assert.Contains(("IsTrimmable", "True"), AssemblyMetadataAttributes(metadata));

        // Deterministic compilation leaves a Reproducible debug entry; the CodeView entry names the PDB in the .snupkg.
        var debugEntries = dll.ReadDebugDirectory();
        Assert.Contains(debugEntries, e => e.Type == DebugDirectoryEntryType.Reproducible);
        CodeViewDebugDirectoryData codeView = dll.ReadCodeViewDebugDirectoryData(debugEntries.Single(e => e.Type == DebugDirectoryEntryType.CodeView));

        Assert.Contains($"lib/{targetFramework}/Optim.Abstractions.pdb", PackageFiles(package.Snupkg));
        using MetadataReaderProvider pdbProvider = MetadataReaderProvider.FromPortablePdbStream(
            new MemoryStream(ReadEntry(package.Snupkg, $"lib/{targetFramework}/Optim.Abstractions.pdb")));
        MetadataReader pdb = pdbProvider.GetMetadataReader();
        Assert.Equal(codeView.Guid, new BlobContentId(pdb.DebugMetadataHeader!.Id).Guid);

        // ContinuousIntegrationBuild maps source paths to /_/ so builds on different machines are byte-identical.
        string[] documents = pdb.Documents.Select(d => pdb.GetString(pdb.GetDocument(d).Name)).ToArray();
        output.WriteLine(string.Join('\n', documents));
        Assert.NotEmpty(documents);
        Assert.All(documents, d => Assert.StartsWith("/_/", d, StringComparison.Ordinal));
    }

    private static string[] PackageFiles(string package)
    {
        using ZipArchive zip = ZipFile.OpenRead(package);
        return zip.Entries
            .Select(e => e.FullName)
            .Where(name => !name.StartsWith("_rels/", StringComparison.Ordinal)
                && !name.StartsWith("package/", StringComparison.Ordinal)
                && name != "[Content_Types].xml"
                && !name.EndsWith(".nuspec", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    private static byte[] ReadEntry(string package, string path)
    {
        using ZipArchive zip = ZipFile.OpenRead(package);
        ZipArchiveEntry entry = zip.GetEntry(path) ?? throw new FileNotFoundException(path + " is not in " + package);
        using Stream stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static XElement Nuspec(string package)
    {
        using ZipArchive zip = ZipFile.OpenRead(package);
        ZipArchiveEntry entry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/', StringComparison.Ordinal));
        using Stream stream = entry.Open();
        XElement root = XDocument.Load(stream).Root!;
        return root.Element(root.Name.Namespace + "metadata")!;
    }

    private static List<(string Key, string Value)> AssemblyMetadataAttributes(MetadataReader metadata)
    {
        var result = new List<(string, string)>();
        foreach (CustomAttributeHandle handle in metadata.GetAssemblyDefinition().GetCustomAttributes())
        {
            CustomAttribute attribute = metadata.GetCustomAttribute(handle);
            if (attribute.Constructor.Kind != HandleKind.MemberReference)
            {
                continue;
            }

            MemberReference constructor = metadata.GetMemberReference((MemberReferenceHandle)attribute.Constructor);
            if (constructor.Parent.Kind != HandleKind.TypeReference
                || metadata.GetString(metadata.GetTypeReference((TypeReferenceHandle)constructor.Parent).Name) != "AssemblyMetadataAttribute")
            {
                continue;
            }

            // Blob: prolog 0x0001, then two SerString arguments.
            BlobReader blob = metadata.GetBlobReader(attribute.Value);
            blob.ReadUInt16();
            result.Add((blob.ReadSerializedString() ?? "", blob.ReadSerializedString() ?? ""));
        }

        return result;
    }
}
