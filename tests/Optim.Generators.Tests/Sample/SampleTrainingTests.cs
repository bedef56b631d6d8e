using System;
using System.Linq;
using System.Globalization;
using System.Text.RegularExpressions;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.Sample;

/// <summary>The sample's MLP training reaches its loss target with every optimizer, allocating nothing while training; the digits their accuracy.</summary>
public sealed class SampleTrainingTests
{
    [Fact]
    public void Sample_trains_the_mlp_to_its_loss_target()
    {
        var (exit, output, error) = Processes.Run("dotnet", ["exec", Processes.BuiltAssembly("src/Optim.Sample", "Optim.Sample.dll"), "train"]);

        Assert.True(exit == 0, $"sample failed ({exit}): {error}\n{output}");
        Assert.Contains("OK: Adam reached", output, StringComparison.Ordinal);
        // Every optimizer trains the MLP; SGD, Momentum and Adam below 10 % of the variance, the others below 25 % (Rprop
        // is a full-batch method and ends near 26-28 % on mini-batches: below 30 %).
        string[] headline = { "SGD", "Momentum", "Adam" };
        foreach (string optimizer in headline.Concat(new[] { "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD", "Lion", "LAMB", "Adafactor", @"Muon\+AdamW" }))
        {
            // optimizer, final MSE, % of variance, steps, steps/s, bytes allocated
            Match row = Regex.Match(output, $@"^{optimizer}\s+([\d.]+)\s+([\d.]+)%\s+(\d+)\s+[\d,]+\s+([\d,]+)\s*$", RegexOptions.Multiline);
            Assert.True(row.Success, $"no summary row for {optimizer}:\n{output}");
            double percentOfVariance = double.Parse(row.Groups[2].Value, CultureInfo.InvariantCulture);
            double goal = headline.Contains(optimizer) ? 10 : optimizer == "Rprop" ? 30 : 25;
            Assert.True(percentOfVariance < goal, $"{optimizer} ended at {percentOfVariance}% of the target variance (goal below {goal}%)");
            Assert.Equal("1920", row.Groups[3].Value);
            Assert.Equal("0", row.Groups[4].Value);
        }

        // The generated passes and the hand-written gradients train the same network from the same draw to the same loss
        // (they differ only in the order of a few float sums).
        double Mse(string optimizer) => double.Parse(Regex.Match(output, $@"^{optimizer}\s+([\d.]+)\s", RegexOptions.Multiline).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Equal(Mse("Adam"), Mse("Adam, hand-written"), 3);

        // Then the digits classifier, on the fixed split, to at least 95 % test accuracy.
        Assert.Contains("1437 train, 360 test", output, StringComparison.Ordinal);
        Match digits = Regex.Match(output, @"OK: digits MLP reached ([\d.]+)% test accuracy \((\d+) of 360");
        Assert.True(digits.Success, output);
        double percent = double.Parse(digits.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(percent, 95, 100);
        Assert.Equal(100 * int.Parse(digits.Groups[2].Value, CultureInfo.InvariantCulture) / 360.0, percent, 2);
    }

    [Fact]
    public void Custom_command_trains_with_rules_written_in_csharp()
    {
        var (exit, output, error) = Processes.Run("dotnet", ["exec", Processes.BuiltAssembly("src/Optim.Sample", "Optim.Sample.dll"), "custom"]);

        Assert.True(exit == 0, $"custom command failed ({exit}): {error}\n{output}");
        Assert.Contains(@"OK: Adam (C#) reached", output, StringComparison.Ordinal);
        foreach (string optimizer in new[] { "SimpleSGD", @"Adam \(C#\)", @"Lion \(C#\)" })
        {
            Match row = Regex.Match(output, $@"^{optimizer}\s+([\d.]+)\s+([\d.]+)%\s+(\d+)\s+[\d,]+\s+([\d,]+)\s*$", RegexOptions.Multiline);
            Assert.True(row.Success, $"no summary row for {optimizer}:\n{output}");
            Assert.True(double.Parse(row.Groups[2].Value, CultureInfo.InvariantCulture) < 12, $"{optimizer} did not train:\n{output}");
            Assert.Equal("0", row.Groups[4].Value);
        }

        // The seed's SimpleSGD is exactly the built-in SGD's rule: the same parameters bit for bit after 1920 steps.
        Assert.Matches(@"SimpleSGD\s+vs SGD\s+: largest \|Δθ\| = 0\r?$", output.Split('\n').First(line => line.Contains("SimpleSGD  vs", StringComparison.Ordinal)));
    }

    /// <summary>
    /// Three processes: one trains 20 epochs and stops, a second resumes from its checkpoint to epoch 60, a third trains
    /// straight through. The two final checkpoints (parameters, Adam's state, step, schedule position, norm, skips) must
    /// be the same bytes. A corrupted checkpoint is refused with exit code 1 and left as it was.
    /// </summary>
    [Fact]
    public void Checkpoint_option_resumes_in_another_process_exactly_where_an_uninterrupted_run_ends()
    {
        string folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "optim-sample-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(folder);
        try
        {
            string sample = Processes.BuiltAssembly("src/Optim.Sample", "Optim.Sample.dll");
            string resumed = System.IO.Path.Combine(folder, "resumed.ckpt"), straight = System.IO.Path.Combine(folder, "straight.ckpt");

            var first = Processes.Run("dotnet", ["exec", sample, "--checkpoint", resumed, "--epochs", "20"]);
            Assert.True(first.ExitCode == 0, first.Error + first.Output);
            Assert.Contains("Stopped after epoch 20", first.Output, StringComparison.Ordinal);
            var second = Processes.Run("dotnet", ["exec", sample, "train", "--checkpoint", resumed]);
            Assert.True(second.ExitCode == 0, second.Error + second.Output);
            Assert.Contains("Resuming from", second.Output, StringComparison.Ordinal);
            Assert.Contains("epoch 20 done (step 640", second.Output, StringComparison.Ordinal);
            var third = Processes.Run("dotnet", ["exec", sample, "--checkpoint", straight]);
            Assert.True(third.ExitCode == 0, third.Error + third.Output);

            Assert.Equal(System.IO.File.ReadAllBytes(straight), System.IO.File.ReadAllBytes(resumed));
            // The gradient norm is printed: the row of epoch 60 ends with ‖g‖ and the skip count.
            Assert.Matches(@"(?m)^\s+60\s+[\d.]+\s+[\d.]+%\s+0\.00000\s+[\d.]+\s+0\r?$", second.Output);

            byte[] corrupted = System.IO.File.ReadAllBytes(resumed);
            corrupted[corrupted.Length / 2] ^= 0x10;
            System.IO.File.WriteAllBytes(resumed, corrupted);
            var refused = Processes.Run("dotnet", ["exec", sample, "--checkpoint", resumed]);
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("Cannot resume from", refused.Error, StringComparison.Ordinal);
            Assert.Equal(corrupted, System.IO.File.ReadAllBytes(resumed));
        }
        finally
        {
            System.IO.Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Unknown_command_prints_usage_and_exits_2()
    {
        var (exit, _, error) = Processes.Run("dotnet", ["exec", Processes.BuiltAssembly("src/Optim.Sample", "Optim.Sample.dll"), "fly"]);

        Assert.Equal(2, exit);
        Assert.Contains("Usage:", error, StringComparison.Ordinal);
    }
}
