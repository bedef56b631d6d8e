using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text.Json;
using System.Xml.Linq;
using Xunit;

namespace Optim.Packaging.Tests.Infrastructure;

/// <summary>An MSBuild property for the consumer's project file, optionally conditioned.</summary>
internal sealed record ProjectProperty(string Name, string Value, string? Condition = null);

/// <summary>
/// A user's project, made as a user makes one: <c>dotnet new console</c> in a folder outside the repository, a
/// nuget.config mapping the package "Optim" to the local folder only (everything else from nuget.org), then
/// <c>dotnet add package Optim --version …</c>, and Consumer/Program.cs (an annotated model that trains) as its code.
/// </summary>
internal sealed class ConsumerProject
{
    private ConsumerProject(string directory, PackagedOptim package)
    {
        Directory = directory;
        Package = package;
    }

    public string Directory { get; }

    public string ProjectFile => Path.Combine(Directory, "Consumer.csproj");

    private PackagedOptim Package { get; }

    public static ConsumerProject Create(
        PackagedOptim package, string name, string targetFrameworks, IEnumerable<ProjectProperty> properties,
        params (string Id, string Version)[] otherPackages)
    {
        string directory = Path.Combine(package.WorkRoot, name);
        System.IO.Directory.CreateDirectory(directory);
        var consumer = new ConsumerProject(directory, package);

        consumer.Succeed("new", "console", "--name", "Consumer", "--output", directory, "--framework", "net10.0", "--no-restore");
        File.WriteAllText(Path.Combine(directory, "nuget.config"), NuGetConfig(package.Feed));
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Consumer", "Program.cs"), Path.Combine(directory, "Program.cs"), overwrite: true);
        consumer.EditProject(targetFrameworks, properties);

        // The documented installation command, pinned to this run's version.
        consumer.Succeed("add", consumer.ProjectFile, "package", "Optim", "--version", package.Version);
        foreach (var (id, version) in otherPackages)
        {
            consumer.Succeed("add", consumer.ProjectFile, "package", id, "--version", version);
        }

        return consumer;
    }

    public ProcessResult Dotnet(params string[] arguments) => DotNetCli.Run(Directory, arguments);

    /// <summary>Runs the built consumer for one target framework through the dotnet host.</summary>
    public ProcessResult RunBuilt(string configuration, string targetFramework, IReadOnlyDictionary<string, string>? environment = null) =>
        DotNetCli.RunProgram(
            "dotnet",
            [Path.Combine(Directory, "bin", configuration, targetFramework, "Consumer.dll")],
            Directory,
            environment);

    /// <summary>
    /// Where restore took Optim from: the global packages folder's record of the package's source and SHA-512, read
    /// through obj/project.assets.json. Returns the recorded source folder and whether the hash is that of our .nupkg.
    /// </summary>
    public (string Source, bool SameBytes) RestoredOptim()
    {
        using JsonDocument assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "obj", "project.assets.json")));
        JsonElement library = assets.RootElement.GetProperty("libraries").GetProperty("Optim/" + Package.Version);
        string relativePath = library.GetProperty("path").GetString()!;
        string packagesFolder = assets.RootElement.GetProperty("packageFolders").EnumerateObject().First().Name;

        using JsonDocument metadata = JsonDocument.Parse(File.ReadAllText(Path.Combine(packagesFolder, relativePath, ".nupkg.metadata")));
        string source = metadata.RootElement.GetProperty("source").GetString()!;
        string contentHash = metadata.RootElement.GetProperty("contentHash").GetString()!;
        string ourHash = Convert.ToBase64String(SHA512.HashData(File.ReadAllBytes(Package.Nupkg)));
        return (source, contentHash == ourHash);
    }

    private void Succeed(params string[] arguments)
    {
        ProcessResult result = Dotnet(arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    private void EditProject(string targetFrameworks, IEnumerable<ProjectProperty> properties)
    {
        XDocument project = XDocument.Load(ProjectFile);
        XElement group = project.Root!.Element("PropertyGroup")!;
        if (targetFrameworks.Contains(';', StringComparison.Ordinal))
        {
            group.Element("TargetFramework")!.Remove();
            group.Add(new XElement("TargetFrameworks", targetFrameworks));
        }
        else
        {
            group.Element("TargetFramework")!.Value = targetFrameworks;
        }

        foreach (ProjectProperty property in properties)
        {
            var element = new XElement(property.Name, property.Value);
            if (property.Condition is not null)
            {
                element.SetAttributeValue("Condition", property.Condition);
            }

            group.Add(element);
        }

        project.Save(ProjectFile);
    }

    /// <summary>Package source mapping: "Optim" resolves from the local folder and nowhere else.</summary>
    private static string NuGetConfig(string feed) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <clear />
            <add key="optim-local" value="{feed}" />
            <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
          </packageSources>
          <packageSourceMapping>
            <packageSource key="optim-local">
              <package pattern="Optim" />
            </packageSource>
            <packageSource key="nuget.org">
              <package pattern="*" />
            </packageSource>
          </packageSourceMapping>
        </configuration>
        """;
}
