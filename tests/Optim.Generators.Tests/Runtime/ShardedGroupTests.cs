using System;
using System.IO;
using System.Linq;
using Xunit;
using static Optim.Optimizer;

namespace Optim.Generators.Tests.Runtime;

// Element-wise groups only (Adam, SGD with momentum, AdamW without decay, Adagrad), none starting on a line: slices are
// element ranges on lines and cut through groups.
[Optimize(Adam, Lr = 0.01, Threads = 1)]
public sealed partial class ShardElementGroups
{
    [Parameter(7, 5)] public partial Span<float> W { get; }
    [Parameter(9), Optimize(Sgd, Lr = 0.1, Momentum = 0.9)] public partial Span<float> B { get; }
    [Parameter(3, 11)] public partial Span<float> V { get; }
    [Parameter(4, 10), Optimize(AdamW, WeightDecay = 0)] public partial Span<float> U { get; }
    [Parameter(13), Optimize(Adagrad, Lr = 0.05)] public partial Span<float> C { get; }
}

// Two per-tensor groups (LAMB, Adafactor) beside two element-wise ones: slices are runs of whole tensors.
[Optimize(Lamb, Lr = 0.01, WeightDecay = 0.01, Threads = 1)]
public sealed partial class ShardMixedGroups
{
    [Parameter(7, 5)] public partial Span<float> W { get; }
    [Parameter(9), Optimize(Adam, Lr = 0.01)] public partial Span<float> B { get; }
    [Parameter(3, 11)] public partial Span<float> V { get; }
    [Parameter(4, 10), Optimize(Sgd, Lr = 0.1, Momentum = 0.9)] public partial Span<float> U { get; }
    [Parameter(6, 4), Optimize(Adafactor)] public partial Span<float> F { get; }
    [Parameter(5), Optimize(Adam, Lr = 0.01)] public partial Span<float> C { get; }
}

// The sample's split: Muon for the matrices, AdamW with its own rate for the biases.
[Optimize(Muon, Lr = 0.02, Threads = 1)]
public sealed partial class ShardMuonAdamW
{
    [Parameter(8, 6)] public partial Span<float> W1 { get; }
    [Parameter(8), Optimize(AdamW, Lr = 1e-3)] public partial Span<float> B1 { get; }
    [Parameter(3, 8)] public partial Span<float> W2 { get; }
    [Parameter(3), Optimize(AdamW, Lr = 1e-3)] public partial Span<float> B2 { get; }
}

// Large element-wise groups split between threads: the reference steps on one thread.
[Optimize(Adam, Lr = 1e-3, Threads = 1)]
public sealed partial class ShardThreadedGroups1
{
    [Parameter(400, 700)] public partial Span<float> W { get; }
    [Parameter(150_001), Optimize(Sgd, Lr = 0.1, Momentum = 0.9)] public partial Span<float> E { get; }
    [Parameter(700), Optimize(AdamW, WeightDecay = 0)] public partial Span<float> B { get; }
}

[Optimize(Adam, Lr = 1e-3, Threads = 2)]
public sealed partial class ShardThreadedGroups2
{
    [Parameter(400, 700)] public partial Span<float> W { get; }
    [Parameter(150_001), Optimize(Sgd, Lr = 0.1, Momentum = 0.9)] public partial Span<float> E { get; }
    [Parameter(700), Optimize(AdamW, WeightDecay = 0)] public partial Span<float> B { get; }
}

[Optimize(Adam, Lr = 1e-3, Threads = 3)]
public sealed partial class ShardThreadedGroups3
{
    [Parameter(400, 700)] public partial Span<float> W { get; }
    [Parameter(150_001), Optimize(Sgd, Lr = 0.1, Momentum = 0.9)] public partial Span<float> E { get; }
    [Parameter(700), Optimize(AdamW, WeightDecay = 0)] public partial Span<float> B { get; }
}

// One large element-wise rule, the arena split between threads.
[Optimize(AdamW, Lr = 1e-3, Threads = 1)]
public sealed partial class ShardThreadedAdamW1
{
    [Parameter(500, 601)] public partial Span<float> W { get; }
    [Parameter(77)] public partial Span<float> B { get; }
}

[Optimize(AdamW, Lr = 1e-3, Threads = 2)]
public sealed partial class ShardThreadedAdamW2
{
    [Parameter(500, 601)] public partial Span<float> W { get; }
    [Parameter(77)] public partial Span<float> B { get; }
}

[Optimize(AdamW, Lr = 1e-3, Threads = 3)]
public sealed partial class ShardThreadedAdamW3
{
    [Parameter(500, 601)] public partial Span<float> W { get; }
    [Parameter(77)] public partial Span<float> B { get; }
}

/// <summary>
/// ZeRO stage 1 with parameter groups and with threads: models sharded into 2 and 3 slices, given the same gradients,
/// step their slices bit for bit as one unsharded (single-threaded) model steps everything; each group holds the state of
/// its part of the slice only; the slices' state gathered into one model saves the unsharded model's checkpoint byte for
/// byte, which resumes sharded into another number of slices.
/// </summary>
[Collection(StepWorkersGroup.Name)]
public sealed class ShardedGroupTests
{
    public static TheoryData<string, int> GroupModels() => new()
    {
        { nameof(ShardElementGroups), 2 }, { nameof(ShardElementGroups), 3 },
        { nameof(ShardMixedGroups), 2 }, { nameof(ShardMixedGroups), 3 },
        { nameof(ShardMuonAdamW), 2 }, { nameof(ShardMuonAdamW), 3 },
    };

    private static IShardableOptimizer<float> Create(string name) => name switch
    {
        nameof(ShardElementGroups) => new ShardElementGroups(),
        nameof(ShardMixedGroups) => new ShardMixedGroups(),
        nameof(ShardMuonAdamW) => new ShardMuonAdamW(),
        nameof(ShardThreadedGroups1) => new ShardThreadedGroups1(),
        nameof(ShardThreadedGroups2) => new ShardThreadedGroups2(),
        nameof(ShardThreadedGroups3) => new ShardThreadedGroups3(),
        nameof(ShardThreadedAdamW1) => new ShardThreadedAdamW1(),
        nameof(ShardThreadedAdamW2) => new ShardThreadedAdamW2(),
        nameof(ShardThreadedAdamW3) => new ShardThreadedAdamW3(),
        nameof(SplitGroups) => new SplitGroups(),
        nameof(SingleGroups) => new SingleGroups(),
        nameof(SharedTensorGroups) => new SharedTensorGroups(),
        nameof(SingleTensorGroups) => new SingleTensorGroups(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(GroupModels))]
    public void Groups_shard_and_step_as_one_model_and_checkpoint_through_the_gathered_state(string name, int parts)
    {
        var whole = Create(name);
        int count = whole.ParameterCount;
        int[] boundaries = whole.TensorBoundaries.ToArray();
        Assert.Equal(boundaries.OrderBy(b => b), boundaries);
        Assert.Equal(count, boundaries[^1]);

        // A model with a per-tensor group cuts at tensor boundaries; element-wise groups alone at lines.
        int[] cuts = OptimizerStateShards.Partition(whole, parts);
        Assert.Equal(name != nameof(ShardElementGroups), whole.ShardsWholeTensors);
        Assert.All(cuts, c => Assert.True(whole.ShardsWholeTensors ? boundaries.Contains(c) : c % 16 == 0 || c == count, $"cut {c}"));
        if (name == nameof(ShardElementGroups))
        {
            Assert.Contains(cuts[1..^1], c => !boundaries.Contains(c));   // some cut falls inside a group's tensor
        }

        var shards = Enumerable.Range(0, parts).Select(_ => Create(name)).ToArray();
        var random = new Random(17 + parts);
        float[] start = Enumerable.Range(0, count).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        ShardSlices(whole, shards, cuts, start);
        StepAll(whole, shards, random, steps: 6, frozenAt: 3);
        AssertSlicesMatch(whole, shards, cuts, start);

        // Checkpoint as DataParallel does: the parameters all-gathered, shard 0 given the whole state back and every other
        // slice's part of each buffer copied after its own. It writes the unsharded model's file, byte for byte.
        var refused = Assert.Throws<InvalidOperationException>(() => Save(shards[0]));
        Assert.Contains($"[{cuts[0]}, {cuts[1]})", refused.Message, StringComparison.Ordinal);
        byte[] saved = Gather(shards, cuts);
        Assert.Equal(Save(whole), saved);

        // Resume into the other number of slices and step on beside the whole model: the same bits again.
        int next = parts == 2 ? 3 : 2;
        int[] nextCuts = OptimizerStateShards.Partition(whole, next);
        var resumed = Enumerable.Range(0, next).Select(_ => Create(name)).ToArray();
        for (int s = 0; s < next; s++)
        {
            Load(resumed[s], saved);
            resumed[s].ShardOptimizerState(nextCuts[s], nextCuts[s + 1]);
        }

        float[] before = whole.Parameters.ToArray();
        StepAll(whole, resumed, random, steps: 3);
        AssertSlicesMatch(whole, resumed, nextCuts, before);
    }

    /// <summary>
    /// A threaded Step() splits the slice between its threads: sharded models of 2 and 3 threads, in 2 and 3 slices, step
    /// as one single-threaded unsharded model does, bit for bit, with a frozen parameter for one step; the work is split.
    /// </summary>
    [Theory]
    [InlineData(nameof(ShardThreadedGroups1), nameof(ShardThreadedGroups2), 2)]
    [InlineData(nameof(ShardThreadedGroups1), nameof(ShardThreadedGroups2), 3)]
    [InlineData(nameof(ShardThreadedGroups1), nameof(ShardThreadedGroups3), 2)]
    [InlineData(nameof(ShardThreadedGroups1), nameof(ShardThreadedGroups3), 3)]
    [InlineData(nameof(ShardThreadedAdamW1), nameof(ShardThreadedAdamW2), 2)]
    [InlineData(nameof(ShardThreadedAdamW1), nameof(ShardThreadedAdamW3), 3)]
    [InlineData(nameof(SingleGroups), nameof(SplitGroups), 2)]
    [InlineData(nameof(SingleGroups), nameof(SplitGroups), 3)]
    [InlineData(nameof(SingleTensorGroups), nameof(SharedTensorGroups), 2)]
    [InlineData(nameof(SingleTensorGroups), nameof(SharedTensorGroups), 3)]
    public void Threaded_models_split_their_slice_and_step_as_one_single_threaded_model(string oneThread, string threaded, int parts)
    {
        var whole = Create(oneThread);
        int count = whole.ParameterCount;
        int[] cuts = OptimizerStateShards.Partition(whole, parts);
        var shards = Enumerable.Range(0, parts).Select(_ => Create(threaded)).ToArray();
        Assert.Equal(cuts, OptimizerStateShards.Partition(shards[0], parts));
        var random = new Random(41 + parts);
        float[] start = Enumerable.Range(0, count).Select(_ => random.NextSingle() - 0.5f).ToArray();
        start.CopyTo(whole.Parameters);
        for (int s = 0; s < parts; s++)
        {
            start.CopyTo(shards[s].Parameters);
            shards[s].ShardOptimizerState(cuts[s], cuts[s + 1]);
        }

        // Element-wise rules split a slice's part of a group of at least 2 × StepWorkers.MinimumSlice elements.
        bool splits = cuts.Zip(cuts.Skip(1), (a, b) => b - a).Max() >= 2 * StepWorkers.MinimumSlice;
        for (int step = 0; step < 4; step++)
        {
            SetFrozen(whole, step == 2);
            foreach (var shard in shards)
            {
                SetFrozen(shard, step == 2);
            }

            long slices = StepWorkers.SlicesRun;
            StepAll(whole, shards, random, steps: 1);
            Assert.True(step == 2 || !splits || StepWorkers.SlicesRun - slices >= 2, $"step {step}: the sharded steps ran on one thread");
        }

        AssertSlicesMatch(whole, shards, cuts, start);
    }

    [Fact]
    public void A_mixed_model_refuses_a_slice_that_cuts_a_tensor_of_any_group()
    {
        var model = new ShardMixedGroups();
        int[] boundaries = model.TensorBoundaries.ToArray();
        Assert.Equal([0, 35, 68, 77, 82, 122, 146], boundaries);   // W, V (LAMB); B, C (Adam); U (SGD); F (Adafactor)
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.ShardOptimizerState(0, 32));
        Assert.Contains("whole tensors", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ShardOptimizerState(68, 80));   // inside C, an element-wise group's tensor
        model.ShardOptimizerState(68, 82);   // B and C: the Adam group only
        Assert.Equal(14, model.OptimizerState(2).Length);   // Adam's m (group 1): B and C
        Assert.Equal(0, model.OptimizerState(0).Length);    // LAMB's m: nothing held
    }

    /// <summary>Steps every model on the same random gradients; at step <paramref name="frozenAt"/> a tensor of each is frozen.</summary>
    /// <summary>
    /// Gives the whole model and every slice the same starting parameters and shards slice s to [cuts[s], cuts[s + 1]):
    /// each holds less state than the whole model, and all of them together at most a line more per buffer and slice.
    /// </summary>
    internal static void ShardSlices(IShardableOptimizer<float> whole, IShardableOptimizer<float>[] shards, int[] cuts, float[] start)
    {
        start.CopyTo(whole.Parameters);
        long wholeBytes = whole.OptimizerStateBytes;
        long shardBytes = 0;
        for (int s = 0; s < shards.Length; s++)
        {
            start.CopyTo(shards[s].Parameters);
            shards[s].ShardOptimizerState(cuts[s], cuts[s + 1]);
            Assert.Equal((cuts[s], cuts[s + 1]), (shards[s].ShardStart, shards[s].ShardEnd));
            Assert.True(shards[s].OptimizerStateBytes < wholeBytes, $"slice {s}: {shards[s].OptimizerStateBytes} bytes of state, the whole model {wholeBytes}");
            shardBytes += shards[s].OptimizerStateBytes;
        }

        // Each buffer's section is padded to a line per slice at most.
        Assert.True(shardBytes <= wholeBytes + shards.Length * whole.OptimizerStateBuffers * 64L, $"{shardBytes} bytes in all against {wholeBytes}");
    }

    private static void StepAll(IShardableOptimizer<float> whole, IShardableOptimizer<float>[] shards, Random random, int steps, int frozenAt = -1)
    {
        for (int step = 0; step < steps; step++)
        {
            if (frozenAt >= 0)
            {
                SetFrozen(whole, step == frozenAt);
                foreach (var shard in shards)
                {
                    SetFrozen(shard, step == frozenAt);
                }
            }

            float[] gradient = Enumerable.Range(0, whole.ParameterCount).Select(_ => random.NextSingle() * 2 - 1).ToArray();
            gradient.CopyTo(whole.Gradients);
            whole.Step();
            foreach (var shard in shards)
            {
                gradient.CopyTo(shard.Gradients);
                shard.Step();
            }
        }
    }

    /// <summary>Each slice's parameters are the whole model's, the rest as they started; the slices' state makes the whole model's.</summary>
    private static void AssertSlicesMatch(IShardableOptimizer<float> whole, IShardableOptimizer<float>[] shards, int[] cuts, float[] start)
    {
        for (int s = 0; s < shards.Length; s++)
        {
            int from = cuts[s], to = cuts[s + 1];
            AssertBits(whole.Parameters[from..to], shards[s].Parameters[from..to], $"slice {s} [{from}, {to})");
            AssertBits(start.AsSpan(0, from), shards[s].Parameters[..from], $"slice {s}: parameters before it");
            AssertBits(start.AsSpan(to), shards[s].Parameters[to..], $"slice {s}: parameters after it");
            Assert.Equal(whole.StepCount, shards[s].StepCount);
        }

        for (int b = 0; b < whole.OptimizerStateBuffers; b++)
        {
            float[] joined = shards.SelectMany(shard => shard.OptimizerState(b).ToArray()).ToArray();
            AssertBits(whole.OptimizerState(b), joined, $"state buffer {b}");
        }
    }

    private static void AssertBits(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"{what}, element {i}: {actual[i]:R}, expected {expected[i]:R}");
        }
    }

    /// <summary>What DataParallel.SaveCheckpoint does across ranks, in one process: returns the file shard 0 writes.</summary>
    private static byte[] Gather(IShardableOptimizer<float>[] shards, int[] cuts)
    {
        var root = shards[0];
        int[][] lengths = Enumerable.Range(0, root.OptimizerStateBuffers).Select(b => shards.Select(s => s.OptimizerState(b).Length).ToArray()).ToArray();
        for (int s = 1; s < shards.Length; s++)
        {
            shards[s].Parameters[cuts[s]..cuts[s + 1]].CopyTo(root.Parameters[cuts[s]..]);   // the all-gather
        }

        root.ShardOptimizerState(0, root.ParameterCount);
        for (int b = 0; b < root.OptimizerStateBuffers; b++)
        {
            Span<float> state = root.OptimizerState(b);
            int at = lengths[b][0];
            for (int s = 1; s < shards.Length; s++)
            {
                shards[s].OptimizerState(b).CopyTo(state[at..]);
                at += lengths[b][s];
            }

            Assert.Equal(state.Length, at);
        }

        byte[] file = Save(root);
        root.ShardOptimizerState(cuts[0], cuts[1]);
        return file;
    }

    private static byte[] Save(IShardableOptimizer<float> model)
    {
        using var stream = new MemoryStream();
        try
        {
            model.GetType().GetMethod("SaveCheckpoint", [typeof(Stream)])!.Invoke(model, [stream]);
        }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }

        return stream.ToArray();
    }

    private static void Load(IShardableOptimizer<float> model, byte[] file) =>
        model.GetType().GetMethod("LoadCheckpoint", [typeof(Stream), typeof(bool)])!.Invoke(model, [new MemoryStream(file), false]);

    /// <summary>Freezes (or thaws) the model's second tensor in declaration order through its generated {Name}Frozen property.</summary>
    private static void SetFrozen(IShardableOptimizer<float> model, bool frozen)
    {
        var property = model.GetType().GetProperties().Where(p => p.Name.EndsWith("Frozen", StringComparison.Ordinal) && p.PropertyType == typeof(bool)).ElementAt(1);
        property.SetValue(model, frozen);
    }
}
