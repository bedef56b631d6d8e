using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.Checkpoints;

/// <summary>
/// Train N steps, or train k, save, load into a new instance and train N − k: the same parameters, state, step count and
/// learning rate, bit for bit (compared through the final checkpoints themselves, which hold all of it). Every optimizer,
/// each under a compiled warm-up + cosine schedule, float and double; and bad checkpoints leave the model untouched.
/// </summary>
public sealed class ResumeTests
{
    private const int Steps = 12;

    public static TheoryData<string, string> Optimizers()
    {
        var data = new TheoryData<string, string>();
        foreach (string optimizer in Enum.GetNames<Optimizer>())
        {
            data.Add(optimizer, "float");
            data.Add(optimizer, "double");
        }

        return data;
    }

    private static string Source(string optimizer, string element, string name = "Resumable") => $$"""
        using System;
        using Optim;
        using static Optim.Optimizer;
        [Optimize({{optimizer}}, Lr = 0.01)]
        [LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = 20, WarmupSteps = 3)]
        public sealed partial class {{name}}
        {
            [Parameter(7, 5)] public partial Span<{{element}}> W { get; }
            [Parameter(3, 11)] public partial Span<{{element}}> V { get; }
            {{(optimizer == "Custom" ? CustomRule(element) : "")}}
        }
        """;

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Resuming_from_a_checkpoint_is_bit_identical_to_never_stopping(string optimizer, string element)
    {
        Assembly assembly = Compile(Source(optimizer, element), out AssemblyLoadContext context);
        try
        {
            Type type = assembly.GetType("Resumable")!;
            for (int stopAt = 1; stopAt < Steps; stopAt += 4)
            {
                dynamic straight = Activator.CreateInstance(type)!;
                Fill(straight, seed: 3);
                byte[] expected = Train(straight, 0, Steps);

                dynamic first = Activator.CreateInstance(type)!;
                Fill(first, seed: 3);
                Train(first, 0, stopAt);
                var saved = new MemoryStream();
                first.SaveCheckpoint(saved);

                dynamic resumed = Activator.CreateInstance(type)!;
                saved.Position = 0;
                resumed.LoadCheckpoint(saved);
                byte[] actual = Train(resumed, stopAt, Steps);

                Assert.True(expected.AsSpan().SequenceEqual(actual), $"{optimizer} ({element}) resumed after {stopAt} steps differs from training straight through");
                Assert.Equal((long)Steps, (long)resumed.StepCount);
            }
        }
        finally
        {
            context.Unload();
        }
    }

    [Theory]
    [InlineData("Adam")]
    [InlineData("Muon")]
    [InlineData("Custom")]
    public void A_bad_checkpoint_throws_and_leaves_the_model_as_it_was(string optimizer)
    {
        Assembly assembly = Compile(Source(optimizer, "float") + Source("Adam", "float", "Other").Split("[Optimize")[1].Insert(0, "[Optimize"), out AssemblyLoadContext context);
        try
        {
            dynamic model = Activator.CreateInstance(assembly.GetType("Resumable")!)!;
            Fill(model, seed: 5);
            Train(model, 0, 4);
            byte[] good = Checkpoint(model);

            dynamic other = Activator.CreateInstance(assembly.GetType("Other")!)!;
            byte[] otherModel = Checkpoint(other);

            var random = new Random(11);
            int failures = 0;
            for (int trial = 0; trial < 300; trial++)
            {
                byte[] bad = trial switch
                {
                    0 => Array.Empty<byte>(),
                    1 => otherModel,
                    < 150 => good[..random.Next(good.Length)],
                    _ => Flip(good, random),
                };
                Exception? error = Record.Exception((Action)(() => model.LoadCheckpoint(new MemoryStream(bad))));
                if (bad.AsSpan().SequenceEqual(good))
                {
                    continue;
                }

                Assert.True(error is InvalidDataException or ArgumentException, $"trial {trial}: {error?.GetType().Name ?? "no exception"}: {error?.Message}");
                byte[] after = Checkpoint(model);
                Assert.True(good.AsSpan().SequenceEqual(after), $"trial {trial} changed the model");
                failures++;
            }

            Assert.True(failures > 290, $"only {failures} bad checkpoints were refused");
            string message = Assert.ThrowsAny<ArgumentException>((Action)(() => model.LoadCheckpoint(new MemoryStream(otherModel)))).Message;
            Assert.Contains("Other", message, StringComparison.Ordinal);
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void The_path_overloads_replace_the_file_atomically()
    {
        Assembly assembly = Compile(Source("Adam", "float"), out AssemblyLoadContext context);
        string folder = Path.Combine(Path.GetTempPath(), "optim-checkpoint-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            string path = Path.Combine(folder, "model.ckpt");
            dynamic model = Activator.CreateInstance(assembly.GetType("Resumable")!)!;
            Fill(model, seed: 1);
            Train(model, 0, 3);
            model.SaveCheckpoint(path);
            Train(model, 3, 5);
            model.SaveCheckpoint(path);

            dynamic resumed = Activator.CreateInstance(assembly.GetType("Resumable")!)!;
            resumed.LoadCheckpoint(path);
            byte[] saved = Checkpoint(model), reloaded = Checkpoint(resumed);
            Assert.True(saved.AsSpan().SequenceEqual(reloaded));
            Assert.Equal(new[] { "model.ckpt" }, Directory.GetFiles(folder).Select(Path.GetFileName).ToArray());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
            context.Unload();
        }
    }

    private static byte[] Flip(byte[] good, Random random)
    {
        byte[] bad = (byte[])good.Clone();
        bad[random.Next(bad.Length)] ^= (byte)(1 << random.Next(8));
        return bad;
    }

    /// <summary>The [UpdateRule] method a Custom model of these tests declares: momentum with a step-dependent rate.</summary>
    internal static string CustomRule(string element) =>
        $"[UpdateRule] public static void R(ref {element} p, {element} g, ref {element} m, {element} lr, long step) {{ m = m * 0.9f + g; p -= lr * m / (1 + MathF.Sqrt(step)); }}";

    internal static byte[] Checkpoint(dynamic model)
    {
        var stream = new MemoryStream();
        model.SaveCheckpoint(stream);
        return stream.ToArray();
    }

    private static void Fill(dynamic model, int seed)
    {
        var random = new Random(seed);
        if (model is IOptimizable<float> f)
        {
            for (int i = 0; i < f.ParameterCount; i++)
            {
                f.Parameters[i] = (float)(random.NextDouble() - 0.5);
            }
        }
        else
        {
            var d = (IOptimizable<double>)model;
            for (int i = 0; i < d.ParameterCount; i++)
            {
                d.Parameters[i] = random.NextDouble() - 0.5;
            }
        }
    }

    /// <summary>One Step() of a float or double model with gradients drawn uniformly from [−0.5, 0.5).</summary>
    internal static void StepWithRandomGradients(object model, Random random)
    {
        if (model is IOptimizable<float> f)
        {
            for (int i = 0; i < f.ParameterCount; i++)
            {
                f.Gradients[i] = (float)(random.NextDouble() - 0.5);
            }

            f.Step();
        }
        else
        {
            var d = (IOptimizable<double>)model;
            for (int i = 0; i < d.ParameterCount; i++)
            {
                d.Gradients[i] = random.NextDouble() - 0.5;
            }

            d.Step();
        }
    }

    /// <summary>Steps [from, to) with gradients that depend only on the step index; returns the final checkpoint's bytes.</summary>
    private static byte[] Train(dynamic model, int from, int to)
    {
        for (int step = from; step < to; step++)
        {
            StepWithRandomGradients(model, new Random(1000 + step));
        }

        return Checkpoint(model);
    }

    /// <summary>
    /// Compiles <paramref name="source"/> with the generator (checked free of errors) and loads it into a new collectible
    /// context. The image is compiled once per distinct source and test run: GradientServicesTests' two theories build
    /// the same 68 sources. A source that fails its checks fails every test that asks for it, with the same message.
    /// </summary>
    internal static Assembly Compile(string source, out AssemblyLoadContext context)
    {
        byte[] image = Images.GetOrAdd(source, s => new Lazy<byte[]>(() => Emit(s))).Value;
        context = new AssemblyLoadContext("checkpoints " + Guid.NewGuid(), isCollectible: true);
        return context.LoadFromStream(new MemoryStream(image));
    }

    private static readonly ConcurrentDictionary<string, Lazy<byte[]>> Images = new(StringComparer.Ordinal);

    private static byte[] Emit(string source)
    {
        GeneratorHarness.Run run = GeneratorHarness.Generate(source);
        Assert.True(run.GeneratorDiagnostics.All(d => d.Severity != DiagnosticSeverity.Error), string.Join("\n", run.GeneratorDiagnostics));
        Assert.True(run.CompileDiagnostics.IsEmpty, string.Join("\n", run.CompileDiagnostics));
        using var image = new MemoryStream();
        var emitted = run.Output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        return image.ToArray();
    }
}
