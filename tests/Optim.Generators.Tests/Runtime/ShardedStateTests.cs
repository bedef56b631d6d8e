using System;
using System.Linq;
using Xunit;

namespace Optim.Generators.Tests.Runtime;

/// <summary>
/// ZeRO stage 1 in the generated code: models sharded to slices that cover the parameters, given the same gradients,
/// end with the same parameters and state as one unsharded model, bit for bit, for every element-wise rule; each
/// leaves the parameters outside its slice alone and holds state for its slice only. Rules that need whole tensors refuse
/// slices that cut one; ASGD (whose views read the whole state) refuses sharding. Parameter groups and threads:
/// ShardedGroupTests.
/// </summary>
public sealed class ShardedStateTests
{
    public static TheoryData<string> Optimizers() => new(Enum.GetNames<Optimizer>());

    private static string Source(string optimizer, string extra = "") => $$"""
        using System;
        using Optim;
        using static Optim.Optimizer;
        [Optimize({{optimizer}}, Lr = 0.01, Threads = 1{{extra}})]
        public sealed partial class Sharded
        {
            [Parameter(7, 5)] public partial Span<float> W { get; }
            [Parameter(3, 11)] public partial Span<float> V { get; }
            [Parameter(4, 10)] public partial Span<float> U { get; }
            {{(optimizer == "Custom" ? "[UpdateRule] public static void R(ref float p, float g, ref float m, float lr) { m = m * 0.9f + g; p -= lr * m; }" : "")}}
        }
        """;

    private static readonly (int Start, int End)[] Slices = [(0, 16), (16, 64), (64, 108)];

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Sharded_models_step_their_slices_as_one_model_steps_everything(string optimizer)
    {
        var whole = (IShardableOptimizer<float>)InMemoryModels.Create(Source(optimizer), "Sharded");
        Assert.Equal(108, whole.ParameterCount);
        if (optimizer is "Lamb" or "Adafactor" or "Muon")
        {
            // Rules that update whole tensors refuse a slice that cuts one (their own test is below).
            Assert.True(whole.ShardsWholeTensors);
            Assert.Throws<ArgumentOutOfRangeException>(() => whole.ShardOptimizerState(0, 16));
            return;
        }

        Assert.False(whole.ShardsWholeTensors);
        if (optimizer is "Asgd")
        {
            var e = Assert.Throws<NotSupportedException>(() => whole.ShardOptimizerState(0, 16));
            Assert.Contains(optimizer, e.Message, StringComparison.OrdinalIgnoreCase);
            return;
        }

        var shards = Slices.Select(_ => (IShardableOptimizer<float>)InMemoryModels.Create(Source(optimizer), "Sharded")).ToArray();
        var random = new Random(7);
        float[] start = Enumerable.Range(0, 108).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        start.CopyTo(whole.Parameters);
        long wholeBytes = whole.OptimizerStateBytes;
        for (int s = 0; s < shards.Length; s++)
        {
            start.CopyTo(shards[s].Parameters);
            shards[s].ShardOptimizerState(Slices[s].Start, Slices[s].End);
            Assert.Equal((Slices[s].Start, Slices[s].End), (shards[s].ShardStart, shards[s].ShardEnd));
            int lines = (Slices[s].End - Slices[s].Start + 15) / 16;
            Assert.Equal(whole.OptimizerStateBuffers * lines * 16L * sizeof(float), shards[s].OptimizerStateBytes);
            Assert.True(whole.OptimizerStateBuffers == 0 || shards[s].OptimizerStateBytes < wholeBytes);
        }

        for (int step = 0; step < 5; step++)
        {
            float[] gradient = Enumerable.Range(0, 108).Select(_ => random.NextSingle() * 2 - 1).ToArray();
            gradient.CopyTo(whole.Gradients);
            whole.Step();
            for (int s = 0; s < shards.Length; s++)
            {
                gradient.CopyTo(shards[s].Gradients);
                shards[s].Step();
            }
        }

        for (int s = 0; s < shards.Length; s++)
        {
            var (from, to) = Slices[s];
            Assert.Equal(whole.Parameters[from..to].ToArray(), shards[s].Parameters[from..to].ToArray());
            Assert.Equal(start[..from], shards[s].Parameters[..from].ToArray());
            Assert.Equal(start[to..], shards[s].Parameters[to..].ToArray());
            for (int b = 0; b < whole.OptimizerStateBuffers; b++)
            {
                Assert.Equal(whole.OptimizerState(b)[from..to].ToArray(), shards[s].OptimizerState(b).ToArray());
            }
        }

        // Back to the whole model: the slice's state is kept, the rest starts at zero, and checkpoints work again.
        var middle = shards[1];
        middle.ShardOptimizerState(0, 108);
        for (int b = 0; b < whole.OptimizerStateBuffers; b++)
        {
            Assert.Equal(whole.OptimizerState(b)[16..64].ToArray(), middle.OptimizerState(b)[16..64].ToArray());
            Assert.All(middle.OptimizerState(b)[..16].ToArray(), v => Assert.Equal(0f, v));
        }

        Assert.Equal(wholeBytes, middle.OptimizerStateBytes);
    }

    public static TheoryData<string, int> PerTensorRules() => new()
    {
        { "Lamb", 2 }, { "Lamb", 3 }, { "Adafactor", 2 }, { "Adafactor", 3 }, { "Muon", 2 }, { "Muon", 3 },
    };

    // Matrices of several shapes and (but for Muon, which takes matrices only) a vector between them, so that a slice
    // holds rows, columns and a vector's state, and the tensors do not start on lines.
    private static string TensorSource(string optimizer, string extra = "") => $$"""
        using System;
        using Optim;
        using static Optim.Optimizer;
        [Optimize({{optimizer}}, Lr = 0.01, Threads = 1{{extra}})]
        public sealed partial class ByTensor
        {
            [Parameter(7, 5)] public partial Span<float> W { get; }
            {{(optimizer == "Muon" ? "" : "[Parameter(9)] public partial Span<float> B { get; }")}}
            [Parameter(3, 11)] public partial Span<float> V { get; }
            [Parameter(4, 10)] public partial Span<float> U { get; }
        }
        """;

    [Theory]
    [MemberData(nameof(PerTensorRules))]
    public void Per_tensor_rules_shard_by_whole_tensors_and_step_as_one_model(string optimizer, int parts)
    {
        var whole = (IShardableOptimizer<float>)InMemoryModels.Create(TensorSource(optimizer), "ByTensor");
        int count = whole.ParameterCount;
        int[] boundaries = whole.TensorBoundaries.ToArray();
        Assert.Equal(optimizer == "Muon" ? [0, 35, 68, 108] : new[] { 0, 35, 44, 77, 117 }, boundaries);
        Assert.True(whole.ShardsWholeTensors);

        // Balanced by elements, cut at tensor boundaries.
        int[] cuts = OptimizerStateShards.Partition(whole, parts);
        int[] expected = (optimizer, parts) switch
        {
            ("Muon", 2) => [0, 68, 108],
            ("Muon", 3) => [0, 35, 68, 108],
            (_, 2) => [0, 44, 117],
            _ => [0, 35, 77, 117],
        };
        Assert.Equal(expected, cuts);

        var shards = Enumerable.Range(0, parts).Select(_ => (IShardableOptimizer<float>)InMemoryModels.Create(TensorSource(optimizer), "ByTensor")).ToArray();
        var random = new Random(11);
        float[] start = Enumerable.Range(0, count).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        ShardedGroupTests.ShardSlices(whole, shards, cuts, start);
        for (int step = 0; step < 6; step++)
        {
            float[] gradient = Enumerable.Range(0, count).Select(_ => random.NextSingle() * 2 - 1).ToArray();
            gradient.CopyTo(whole.Gradients);
            whole.Step();
            for (int s = 0; s < parts; s++)
            {
                gradient.CopyTo(shards[s].Gradients);
                shards[s].Step();
            }
        }

        for (int s = 0; s < parts; s++)
        {
            int from = cuts[s], to = cuts[s + 1];
            Assert.Equal(whole.Parameters[from..to].ToArray(), shards[s].Parameters[from..to].ToArray());
            Assert.Equal(start[..from], shards[s].Parameters[..from].ToArray());
            Assert.Equal(start[to..], shards[s].Parameters[to..].ToArray());
            Assert.Equal(6, shards[s].StepCount);
            for (int b = 0; b < whole.OptimizerStateBuffers; b++)
            {
                Span<float> all = whole.OptimizerState(b);
                Span<float> held = shards[s].OptimizerState(b);
                Assert.True(held.Length < all.Length || parts == 1);
                int before = Enumerable.Range(0, s).Sum(r => shards[r].OptimizerState(b).Length);
                Assert.Equal(all.Slice(before, held.Length).ToArray(), held.ToArray());
            }
        }

        Assert.Equal(whole.OptimizerStateBuffers == 0 ? 0 : whole.OptimizerState(0).Length,
            Enumerable.Range(0, parts).Sum(s => whole.OptimizerStateBuffers == 0 ? 0 : shards[s].OptimizerState(0).Length));

        // Back to the whole model: the slice's tensors keep their state, the others start at zero, the bytes are the model's.
        var last = shards[parts - 1];
        last.ShardOptimizerState(0, count);
        Assert.Equal(whole.OptimizerStateBytes, last.OptimizerStateBytes);
        for (int b = 0; b < whole.OptimizerStateBuffers; b++)
        {
            int before = Enumerable.Range(0, parts - 1).Sum(r => shards[r].OptimizerState(b).Length);
            Assert.Equal(whole.OptimizerState(b)[before..].ToArray(), last.OptimizerState(b)[before..].ToArray());
            Assert.All(last.OptimizerState(b)[..before].ToArray(), v => Assert.Equal(0f, v));
        }

        // It steps as a whole model again: its tensors match the whole model's step after step.
        float[] next = Enumerable.Range(0, count).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        next.CopyTo(whole.Gradients);
        next.CopyTo(last.Gradients);
        whole.Step();
        last.Step();
        Assert.Equal(whole.Parameters[cuts[parts - 1]..].ToArray(), last.Parameters[cuts[parts - 1]..].ToArray());
    }

    [Theory]
    [InlineData("Lamb")]
    [InlineData("Adafactor")]
    public void A_per_tensor_model_refuses_slices_that_cut_a_tensor_and_too_many_parts(string optimizer)
    {
        var model = (IShardableOptimizer<float>)InMemoryModels.Create(TensorSource(optimizer), "ByTensor");
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.ShardOptimizerState(0, 48));   // a line, inside V
        Assert.Contains("whole tensors", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ShardOptimizerState(16, 117));         // starts inside W
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ShardOptimizerState(35, 35));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ShardOptimizerState(117, 117));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.OptimizerState(model.OptimizerStateBuffers));
        var parts = Assert.Throws<ArgumentException>(() => OptimizerStateShards.Partition(model, 5));
        Assert.Contains("4 tensor(s)", parts.Message, StringComparison.Ordinal);
        model.ShardOptimizerState(35, 77);
        var save = model.GetType().GetMethod("SaveCheckpoint", [typeof(System.IO.Stream)])!;
        var failure = Assert.Throws<System.Reflection.TargetInvocationException>(() => save.Invoke(model, [new System.IO.MemoryStream()]));
        Assert.Contains("[35, 77)", failure.InnerException!.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A multi-threaded per-tensor model shares the tensors of its slice between its threads: sharded into 3 slices, it
    /// steps as one single-threaded unsharded model, bit for bit.
    /// </summary>
    [Theory]
    [InlineData("Lamb")]
    [InlineData("Adafactor")]
    [InlineData("Muon")]
    public void A_multi_threaded_per_tensor_model_shards_and_steps_as_one_model(string optimizer)
    {
        var whole = (IShardableOptimizer<float>)InMemoryModels.Create(TensorSource(optimizer), "ByTensor");
        string threaded = TensorSource(optimizer).Replace("Threads = 1", "Threads = 2", StringComparison.Ordinal);
        int count = whole.ParameterCount;
        int[] cuts = OptimizerStateShards.Partition(whole, 3);
        var shards = cuts.SkipLast(1).Select(_ => (IShardableOptimizer<float>)InMemoryModels.Create(threaded, "ByTensor")).ToArray();
        var random = new Random(13);
        float[] start = Enumerable.Range(0, count).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        start.CopyTo(whole.Parameters);
        for (int s = 0; s < shards.Length; s++)
        {
            start.CopyTo(shards[s].Parameters);
            shards[s].ShardOptimizerState(cuts[s], cuts[s + 1]);
        }

        for (int step = 0; step < 5; step++)
        {
            float[] gradient = Enumerable.Range(0, count).Select(_ => random.NextSingle() * 2 - 1).ToArray();
            gradient.CopyTo(whole.Gradients);
            whole.Step();
            foreach (var shard in shards)
            {
                gradient.CopyTo(shard.Gradients);
                shard.Step();
            }
        }

        for (int s = 0; s < shards.Length; s++)
        {
            Assert.Equal(whole.Parameters[cuts[s]..cuts[s + 1]].ToArray(), shards[s].Parameters[cuts[s]..cuts[s + 1]].ToArray());
            Assert.Equal(start[..cuts[s]], shards[s].Parameters[..cuts[s]].ToArray());
        }

        for (int b = 0; b < whole.OptimizerStateBuffers; b++)
        {
            Assert.Equal(whole.OptimizerState(b).ToArray(), shards.SelectMany(shard => shard.OptimizerState(b).ToArray()).ToArray());
        }
    }

    [Fact]
    public void A_sharded_model_refuses_checkpoints_and_bad_slices()
    {
        var model = (IShardableOptimizer<float>)InMemoryModels.Create(Source("Adam"), "Sharded");
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ShardOptimizerState(8, 64));    // not on a line
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ShardOptimizerState(16, 100));  // ends inside a line, not at the end
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ShardOptimizerState(16, 16));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.OptimizerState(2));
        model.ShardOptimizerState(16, 108);
        var save = model.GetType().GetMethod("SaveCheckpoint", [typeof(System.IO.Stream)])!;
        var e = Assert.Throws<System.Reflection.TargetInvocationException>(() => save.Invoke(model, [new System.IO.MemoryStream()]));
        Assert.IsType<InvalidOperationException>(e.InnerException);
        Assert.Contains("[16, 108)", e.InnerException!.Message, StringComparison.Ordinal);
    }

    // The global-norm hook: sharded models handed the sum of every slice's Σ g² (in slice order, as DataParallel adds the
    // ranks' partial sums) clip and skip as one unsharded model does. The sums differ from the unsharded one's only in
    // the order of the additions (a few units in the last place of a double), so the clip coefficient, rounded to float,
    // is almost always the same: the tests allow 1e-6 relative on every parameter and measured none above it.
    [Theory]
    [InlineData("Adam", false)]
    [InlineData("Lamb", true)]
    [InlineData("Adafactor", true)]
    public void Sharded_models_given_the_whole_gradient_norm_clip_and_skip_as_one_model(string optimizer, bool byTensor)
    {
        const string Services = ", ClipGradNorm = 0.5, SkipNonFinite = true";
        string source = byTensor ? TensorSource(optimizer, Services) : Source(optimizer, Services);
        string name = byTensor ? "ByTensor" : "Sharded";
        var whole = (IShardableOptimizer<float>)InMemoryModels.Create(source, name);
        Assert.True(whole.NeedsGlobalGradientNorm);
        int count = whole.ParameterCount;
        int[] cuts = OptimizerStateShards.Partition(whole, 3);
        var shards = cuts.SkipLast(1).Select(_ => (IShardableOptimizer<float>)InMemoryModels.Create(source, name)).ToArray();
        var random = new Random(5);
        float[] start = Enumerable.Range(0, count).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        start.CopyTo(whole.Parameters);
        for (int s = 0; s < shards.Length; s++)
        {
            start.CopyTo(shards[s].Parameters);
            shards[s].ShardOptimizerState(cuts[s], cuts[s + 1]);
        }

        // Without the whole norm a sharded step refuses rather than clip by its slice's norm.
        var refused = Assert.Throws<InvalidOperationException>(() => shards[0].Step());
        Assert.Contains("SetGlobalGradientSquares", refused.Message, StringComparison.Ordinal);

        for (int step = 0; step < 6; step++)
        {
            float[] gradient = Enumerable.Range(0, count).Select(_ => (random.NextSingle() * 2 - 1) * 3).ToArray();
            if (step == 3)
            {
                gradient[count - 1] = float.NaN;   // in the last slice only: every slice must skip the step
            }

            gradient.CopyTo(whole.Gradients);
            whole.Step();
            double squares = 0;
            bool finite = true;
            foreach (var shard in shards)
            {
                gradient.CopyTo(shard.Gradients);
                squares += shard.ShardGradientSquares(out bool sliceFinite);
                finite &= sliceFinite;
            }

            foreach (var shard in shards)
            {
                shard.SetGlobalGradientSquares(squares, finite);
                shard.Step();
            }

            double norm = (double)whole.GetType().GetProperty("LastGradNorm")!.GetValue(whole)!;
            Assert.True(step == 3 ? double.IsNaN(norm) : norm > 0.5, $"step {step}: norm {norm} (the test means to clip)");
            foreach (var shard in shards)
            {
                double shardNorm = (double)shard.GetType().GetProperty("LastGradNorm")!.GetValue(shard)!;
                Assert.True(step == 3 ? double.IsNaN(shardNorm) : Math.Abs(shardNorm - norm) <= 1e-12 * norm, $"step {step}: {shardNorm} against {norm}");
            }
        }

        Assert.Equal(1L, (long)whole.GetType().GetProperty("SkippedSteps")!.GetValue(whole)!);
        for (int s = 0; s < shards.Length; s++)
        {
            Assert.Equal(1L, (long)shards[s].GetType().GetProperty("SkippedSteps")!.GetValue(shards[s])!);
            for (int i = cuts[s]; i < cuts[s + 1]; i++)
            {
                float expected = whole.Parameters[i], actual = shards[s].Parameters[i];
                Assert.True(Math.Abs(actual - expected) <= 1e-6 * Math.Max(1, Math.Abs(expected)), $"slice {s}, parameter {i}: {actual:R} against {expected:R}");
            }
        }
    }

    [Fact]
    public void A_model_without_gradient_services_needs_no_global_norm()
    {
        var model = (IShardableOptimizer<float>)InMemoryModels.Create(Source("Adam"), "Sharded");
        Assert.False(model.NeedsGlobalGradientNorm);
        model.Gradients.Fill(2f);
        model.ShardOptimizerState(16, 64);
        Assert.Equal(48 * 4.0, model.ShardGradientSquares(out bool finite));
        Assert.True(finite);
        model.Gradients[20] = float.PositiveInfinity;
        model.ShardGradientSquares(out finite);
        Assert.False(finite);
    }
}
