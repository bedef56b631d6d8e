using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Optim.Distributed.Ranks;

/// <summary>What one training run does (parsed from the command line, or built by the tests).</summary>
public sealed record TrainOptions
{
    public string Model { get; init; } = "hand-float";
    public int Steps { get; init; } = 50;
    public int Batch { get; init; } = 24;
    public int Seed { get; init; } = 1;
    public string? OutputDirectory { get; init; }
    public string? SavePath { get; init; }
    public int SaveAt { get; init; } = -1;
    public string? ResumePath { get; init; }
    public int FailRank { get; init; } = -1;
    public int FailStep { get; init; } = -1;
    public string FailMode { get; init; } = "throw";
    public int AllocationCalls { get; init; }
    public int PerturbRank { get; init; } = -1;
    public int PerturbStep { get; init; } = -1;
    public bool Zero { get; init; }

    public static TrainOptions Parse(IReadOnlyList<string> args)
    {
        var options = new TrainOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            string value = i + 1 < args.Count ? args[++i] : throw new ArgumentException($"The option {name} needs a value.");
            options = name switch
            {
                "--model" => options with { Model = value },
                "--steps" => options with { Steps = Int(name, value) },
                "--batch" => options with { Batch = Int(name, value) },
                "--seed" => options with { Seed = Int(name, value) },
                "--out" => options with { OutputDirectory = value },
                "--save" => options with { SavePath = value },
                "--save-at" => options with { SaveAt = Int(name, value) },
                "--resume" => options with { ResumePath = value },
                "--fail-rank" => options with { FailRank = Int(name, value) },
                "--fail-step" => options with { FailStep = Int(name, value) },
                "--fail-mode" => options with { FailMode = value },
                "--allocation-calls" => options with { AllocationCalls = Int(name, value) },
                "--perturb-rank" => options with { PerturbRank = Int(name, value) },
                "--perturb-step" => options with { PerturbStep = Int(name, value) },
                "--zero" => options with { Zero = Int(name, value) != 0 },
                _ => throw new ArgumentException($"Unknown option {name}."),
            };
        }

        return options;
    }

    private static int Int(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : throw new ArgumentException($"{name} needs a whole number, not '{value}'.");
}

/// <summary>What a run produced (rank 0's view; also written to the output directory).</summary>
public sealed record TrainResult(IReadOnlyList<double> Losses, IReadOnlyList<ulong[]> Hashes, byte[] Parameters, long[] AllocatedBytes, long[] StateBytes);

/// <summary>
/// Trains a model with data parallelism over <c>world</c> (or in this process alone when <c>world</c> is null) on a
/// synthetic regression task whose global batch for step s depends only on (seed, s), so that any number of ranks, and a
/// resumed run, see the same data.
/// </summary>
public static class Trainer
{
    public static TrainResult Run(TrainOptions options, MpiWorld? world) => options.Model switch
    {
        "hand-float" => Run(new HandMlpFloat(), options, world),
        "hand-double" => Run(new HandMlpDouble(), options, world),
        "network-float" => Run(new NetworkFloat(), options, world),
        "network-double" => Run(new NetworkDouble(), options, world),
        "lamb-float" => Run(new NetworkLambFloat(), options, world),
        "clipped-float" => Run(new NetworkClippedFloat(), options, world),
        "groups-float" => Run(new NetworkGroupsFloat(), options, world),
        "mixed-groups-float" => Run(new NetworkMixedGroupsFloat(), options, world),
        _ => throw new ArgumentException($"Unknown model '{options.Model}'."),
    };

    private static TrainResult Run<T>(IRankModel<T> model, TrainOptions options, MpiWorld? world)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rank = world?.Rank ?? 0, size = world?.Size ?? 1;
        DataParallel<T>? parallel = world == null ? null : new DataParallel<T>(world, model);
        var (start, count) = BatchShard.Of(options.Batch, rank, size);

        model.Initialize(options.Seed + rank * 1000);   // deliberately different on every rank: the broadcast must fix it
        parallel?.BroadcastParameters();
        if (options.Zero && parallel != null)
        {
            parallel.ShardOptimizerState();   // before a resume, so that loading into a sharded model is what runs
        }

        if (options.ResumePath != null)
        {
            if (parallel != null)
            {
                parallel.LoadCheckpoint(options.ResumePath, stream => model.LoadCheckpoint(stream));
            }
            else
            {
                using var stream = File.OpenRead(options.ResumePath);
                model.LoadCheckpoint(stream);
            }
        }

        var x = new T[count * Mlp.Inputs];
        var y = new T[count];
        var losses = new List<double>();
        var hashes = new List<ulong[]>();
        Span<T> lossSum = stackalloc T[1];
        while (model.StepCount < options.Steps)
        {
            long step = model.StepCount + 1;
            Data.Fill<T>(options.Seed, step, start, count, x, y);
            model.ZeroGrad();
            T loss = model.Backward(x, y, count);
            if (rank == options.FailRank && step == options.FailStep)
            {
                Fail(options.FailMode, rank, step);
            }

            if (parallel != null && options.Zero)
            {
                parallel.Step();   // reduce-scatter, this rank's slice, all-gather
            }
            else
            {
                parallel?.AverageGradients();
                model.Step();
            }

            if (rank == options.PerturbRank && step == options.PerturbStep)
            {
                // One parameter moves by one ulp: the hash check below must notice.
                model.Parameters[0] = T.BitIncrement(model.Parameters[0]);
            }

            parallel?.VerifyParametersAgree();
            lossSum[0] = loss;
            world?.AllReduceSum(lossSum);
            losses.Add(double.CreateChecked(lossSum[0]) / size);
            hashes.Add(GatherHashes(parallel, world));

            if (step == options.SaveAt && options.SavePath != null)
            {
                if (parallel != null)
                {
                    parallel.SaveCheckpoint(options.SavePath, model.SaveCheckpoint);
                }
                else
                {
                    model.SaveCheckpoint(options.SavePath);
                }
            }
        }

        long[] allocated = MeasureAllocation(parallel, world, options.AllocationCalls);
        var stateBytes = new long[size];
        long mine = ((IShardableOptimizer<T>)model).OptimizerStateBytes;
        if (world != null)
        {
            world.AllGather(mine, stateBytes);
        }
        else
        {
            stateBytes[0] = mine;
        }

        var result = new TrainResult(losses, hashes, MemoryMarshal.AsBytes(model.Parameters).ToArray(), allocated, stateBytes);
        if (rank == 0 && options.OutputDirectory != null)
        {
            Write(options.OutputDirectory, result);
        }

        return result;
    }

    private static ulong[] GatherHashes<T>(DataParallel<T>? parallel, MpiWorld? world)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (parallel == null || world == null)
        {
            return [];
        }

        var all = new ulong[world.Size];
        world.AllGather(parallel.ParameterHash(), all);
        return all;
    }

    private static long[] MeasureAllocation<T>(DataParallel<T>? parallel, MpiWorld? world, int calls)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (parallel == null || world == null || calls <= 0)
        {
            return [];
        }

        parallel.AverageGradients();   // warm: JIT and MPI's first use of the buffer
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < calls; i++)
        {
            parallel.AverageGradients();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var all = new long[world.Size];
        world.AllGather(allocated, all);
        return all;
    }

    private static void Fail(string mode, int rank, long step)
    {
        Console.Out.Flush();
        switch (mode)
        {
            case "throw":
                throw new InvalidOperationException($"Injected failure on rank {rank} at step {step}.");
            case "die":
                Process.GetCurrentProcess().Kill();   // SIGKILL: no handler runs
                break;
            case "exit":
                Environment.Exit(3);
                break;
            default:
                throw new ArgumentException($"Unknown --fail-mode '{mode}' (throw, die or exit).");
        }
    }

    private static void Write(string directory, TrainResult result)
    {
        Directory.CreateDirectory(directory);
        using (var writer = new StreamWriter(Path.Combine(directory, "losses.txt")))
        {
            foreach (double loss in result.Losses)
            {
                writer.WriteLine(loss.ToString("R", CultureInfo.InvariantCulture));
            }
        }

        using (var writer = new StreamWriter(Path.Combine(directory, "hashes.txt")))
        {
            foreach (ulong[] step in result.Hashes)
            {
                writer.WriteLine(string.Join(' ', Array.ConvertAll(step, h => h.ToString("x16", CultureInfo.InvariantCulture))));
            }
        }

        File.WriteAllText(Path.Combine(directory, "allocated.txt"), string.Join(' ', result.AllocatedBytes));
        File.WriteAllText(Path.Combine(directory, "state-bytes.txt"), string.Join(' ', result.StateBytes));
        File.WriteAllBytes(Path.Combine(directory, "parameters.bin"), result.Parameters);
    }
}

/// <summary>The synthetic task: inputs uniform in [−1, 1), target y = sin(x₀ + 2x₁) + x₂x₃/2 − x₄ + (x₅ + … + x₉)/10.</summary>
public static class Data
{
    public static void Fill<T>(int seed, long step, int firstRow, int rows, Span<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<double> row = stackalloc double[Mlp.Inputs];
        for (int n = 0; n < rows; n++)
        {
            long globalRow = firstRow + n;
            for (int i = 0; i < Mlp.Inputs; i++)
            {
                ulong bits = Mix((ulong)seed * 0x9E3779B97F4A7C15 ^ Mix((ulong)step << 20 ^ (ulong)globalRow << 5 ^ (ulong)i));
                row[i] = (bits >> 11) * (2.0 / (1UL << 53)) - 1.0;
                x[n * Mlp.Inputs + i] = T.CreateChecked(row[i]);
            }

            double tail = 0;
            for (int i = 5; i < Mlp.Inputs; i++)
            {
                tail += row[i];
            }

            y[n] = T.CreateChecked(Math.Sin(row[0] + 2 * row[1]) + 0.5 * row[2] * row[3] - row[4] + 0.1 * tail);
        }
    }

    // SplitMix64's finaliser.
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
