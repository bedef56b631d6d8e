using System;
using System.Linq;
using Xunit;

namespace Optim.Generators.Tests.Runtime;

/// <summary>
/// ZeRO stage 1 in the generated code: models sharded to slices that cover the parameters, given the same gradients,
/// end with the same parameters and state as one unsharded model, bit for bit, for every element-wise rule; each
/// leaves the parameters outside its slice alone and holds state for its slice only. Rules and services that need whole
/// tensors or the whole gradient refuse with an exception that names them.
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
        if (optimizer is "Lamb" or "Adafactor" or "Muon" or "Asgd")
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

    [Theory]
    [InlineData(", ClipGradNorm = 1.0", "clipping")]
    [InlineData(", SkipNonFinite = true", "non-finite")]
    public void Gradient_services_refuse_sharding(string extra, string named)
    {
        var model = (IShardableOptimizer<float>)InMemoryModels.Create(Source("Adam", extra), "Sharded");
        var e = Assert.Throws<NotSupportedException>(() => model.ShardOptimizerState(0, 16));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }
}
