using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Optim.Generators.Tests.Data;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.Sample;

/// <summary>
/// The sample's <c>fashion</c> command's output, options and failures, and the command line's errors and help (on tiny IDX files written here; the full run is <see cref="FashionTrainingTests"/>).
/// </summary>
public sealed class ClassificationCommandTests
{
    private static string Sample => Processes.BuiltAssembly("src/Optim.Sample", "Optim.Sample.dll");

    [Fact]
    public void Fashion_reports_every_epoch_and_a_table_on_a_tiny_folder_and_fails_its_targets()
    {
        using var files = new IdxFiles();
        var random = new Random(1);
        byte[] Labels(int n) => Enumerable.Range(0, n).Select(_ => (byte)random.Next(10)).ToArray();
        files.Images("train-images-idx3-ubyte.gz", 70, 28, 28, gzip: true);
        files.Labels("train-labels-idx1-ubyte.gz", Labels(70), gzip: true);
        files.Images("t10k-images-idx3-ubyte", 20, 28, 28);
        files.Labels("t10k-labels-idx1-ubyte", Labels(20));

        var (exit, output, error) = Processes.Run("dotnet", ["exec", Sample, "fashion", "--data", files.Folder, "--epochs", "2", "--threads", "2"]);

        Assert.True(exit == 1, $"expected 1 (targets missed), got {exit}: {error}\n{output}");
        Assert.Contains("70 training and 20 test images of 28 x 28", output, StringComparison.Ordinal);
        // epoch, train loss, test accuracy, seconds, images/s: two rows per model.
        MatchCollection rows = Regex.Matches(output, @"(?m)^\s+([12])\s+([\d.]+)\s+([\d.]+)%\s+[\d.]+\s+[\d,]+\r?$");
        Assert.Equal(["1", "2", "1", "2"], rows.Select(r => r.Groups[1].Value));
        foreach (Match row in rows)
        {
            // 20 test images: the accuracy is a multiple of 5 %.
            Assert.Equal(0, double.Parse(row.Groups[3].Value, CultureInfo.InvariantCulture) % 5, 6);
        }

        Assert.Matches(@"mlp\s.*203,530.*\s2\s", output);
        Assert.Matches(@"cnn\s.*5,258.*\s2\s", output);
        Assert.Contains("FAILED: Fashion mlp reached", error, StringComparison.Ordinal);
        Assert.Contains("FAILED: Fashion cnn reached", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Fashion_without_its_folder_names_the_debian_package_and_exits_3()
    {
        string folder = Path.Combine(Path.GetTempPath(), "optim-no-such-" + Guid.NewGuid().ToString("N"));

        var (exit, _, error) = Processes.Run("dotnet", ["exec", Sample, "fashion", "--data", folder]);

        Assert.Equal(3, exit);
        Assert.Contains(folder, error, StringComparison.Ordinal);
        Assert.Contains("dataset-fashion-mnist", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fashion", "--model", "rnn")]
    [InlineData("fashion", "--epochs", "0")]
    [InlineData("fashion", "--threads", "-1")]
    [InlineData("train", "--epochs", "5")]
    [InlineData("race", "a", "b")]
    public void A_command_line_the_sample_does_not_accept_prints_the_usage_to_stderr_and_exits_2(params string[] arguments)
    {
        var (exit, output, error) = Processes.Run("dotnet", new List<string> { "exec", Sample }.Concat(arguments));

        Assert.Equal(2, exit);
        Assert.Contains("Usage:", error, StringComparison.Ordinal);
        Assert.DoesNotContain("epoch", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("help")]
    [InlineData("--help")]
    public void Help_prints_every_command_to_stdout_and_exits_0(string argument)
    {
        var (exit, output, _) = Processes.Run("dotnet", ["exec", Sample, argument]);

        Assert.Equal(0, exit);
        foreach (string command in new[] { "train", "custom", "race", "fashion", "help", "--checkpoint" })
        {
            Assert.Contains(command, output, StringComparison.Ordinal);
        }
    }
}
