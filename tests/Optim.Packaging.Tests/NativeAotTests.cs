using System;
using System.IO;
using System.Runtime.InteropServices;
using Optim.Packaging.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Optim.Packaging.Tests;

/// <summary>
/// NativeAOT: the library and the generated code publish with zero trimming/AOT warnings and the native programs
/// train. Needs the platform linker (on Linux: clang, or gcc; .ci/run installs clang when missing).
/// </summary>
[Collection(PackagedOptimGroup.Name)]
[Trait("Category", "Packaging")]
public sealed class NativeAotTests(PackagedOptim package, ITestOutputHelper output)
{
    private static readonly string Rid = RuntimeInformation.RuntimeIdentifier;

    private static string Executable(string name) => OperatingSystem.IsWindows() ? name + ".exe" : name;

    [Fact]
    public void A_consumer_of_the_package_publishes_with_NativeAOT_without_warnings_and_the_native_binary_trains()
    {
        var consumer = ConsumerProject.Create(package, "aot-consumer", "net10.0", ConsumerTests.StrictProperties);
        string publishDirectory = Path.Combine(consumer.Directory, "native");

        ProcessResult publish = consumer.Dotnet(
            "publish", consumer.ProjectFile, "-c", "Release", "-r", Rid, "-p:PublishAot=true", "-o", publishDirectory);
        AssertPublishedCleanly(publish);

        string binary = Path.Combine(publishDirectory, Executable("Consumer"));
        ProcessResult run = DotNetCli.RunProgram(binary, [], consumer.Directory);
        output.WriteLine($"native consumer: {new FileInfo(binary).Length:N0} bytes, ran in {run.Elapsed.TotalMilliseconds:F0} ms");
        output.WriteLine(run.Output);
        ConsumerTests.AssertTrains(run);
    }

    [Fact]
    public void The_sample_publishes_with_NativeAOT_without_warnings_and_the_native_binary_trains_the_MLP()
    {
        // `dotnet publish src/Optim.Sample -c Release -r linux-x64 -p:PublishAot=true`, built into this run's folder.
        string publishDirectory = Path.Combine(package.WorkRoot, "sample-native");
        ProcessResult publish = DotNetCli.Run(
            package.RepositoryRoot,
            "publish", Path.Combine("src", "Optim.Sample", "Optim.Sample.csproj"),
            "-c", "Release", "-r", Rid, "-p:PublishAot=true",
            "--artifacts-path", Path.Combine(package.WorkRoot, "sample-artifacts"),
            "-o", publishDirectory);
        AssertPublishedCleanly(publish);

        string binary = Path.Combine(publishDirectory, Executable("Optim.Sample"));
        ProcessResult run = DotNetCli.RunProgram(binary, [], package.WorkRoot);
        output.WriteLine($"native sample: {new FileInfo(binary).Length:N0} bytes, start to trained in {run.Elapsed.TotalMilliseconds:F0} ms");
        output.WriteLine(run.Output);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("OK: Adam reached", run.Output, StringComparison.Ordinal);
    }

    private void AssertPublishedCleanly(ProcessResult publish)
    {
        output.WriteLine(publish.ToString());
        string hint = publish.Output.Contains("not found in PATH", StringComparison.Ordinal)
            ? "\nNativeAOT needs the platform linker: on Debian/Ubuntu `apt-get install clang lld` (.ci/run does this).\n"
            : "";
        Assert.True(publish.ExitCode == 0, hint + publish);
        Assert.Contains("Generating native code", publish.Output, StringComparison.Ordinal);
        Assert.Empty(publish.Diagnostics("warning"));
        Assert.Empty(publish.Diagnostics("error"));
    }
}
