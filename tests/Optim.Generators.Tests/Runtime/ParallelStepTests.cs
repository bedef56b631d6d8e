using System;
using Optim;
using Optim.Generators.Tests.Infrastructure;
using Xunit;
using static Optim.Optimizer;

namespace Optim.Generators.Tests.Runtime;

[Optimize(Adam, Lr = 1e-3, WeightDecay = 0.01, Amsgrad = true, Threads = 2)]
public sealed partial class ParallelAdam
{
    [Parameter(3, 100_001)] public partial Span<float> W { get; }
    [Parameter(7)] public partial Span<float> B { get; }
}

[Optimize(Adam, Lr = 1e-3, WeightDecay = 0.01, Amsgrad = true, Threads = 1)]
public sealed partial class SerialAdam
{
    [Parameter(3, 100_001)] public partial Span<float> W { get; }
    [Parameter(7)] public partial Span<float> B { get; }
}

[Optimize(Sgd, Lr = 0.01, Momentum = 0.9, Nesterov = true, Threads = 4)]
public sealed partial class ParallelSgd
{
    [Parameter(400_003)] public partial Span<double> W { get; }
}

[Optimize(Sgd, Lr = 0.01, Momentum = 0.9, Nesterov = true, Threads = 1)]
public sealed partial class SerialSgd
{
    [Parameter(400_003)] public partial Span<double> W { get; }
}

[Optimize(Custom, Lr = 1e-3, Threads = 3)]
public sealed partial class ParallelCustom
{
    [Parameter(300_017)] public partial Span<float> W { get; }

    [UpdateRule]
    public static void Rule(ref float param, float grad, ref float m, float lr, long step)
    {
        m = step == 1 ? grad : 0.9f * m + 0.1f * grad;
        param -= m > 0 ? lr * MathF.Sqrt(m) : lr * m / (1 - MathF.Pow(0.5f, step));
    }
}

[Optimize(Custom, Lr = 1e-3, Threads = 1)]
public sealed partial class SerialCustom
{
    [Parameter(300_017)] public partial Span<float> W { get; }

    [UpdateRule]
    public static void Rule(ref float param, float grad, ref float m, float lr, long step)
    {
        m = step == 1 ? grad : 0.9f * m + 0.1f * grad;
        param -= m > 0 ? lr * MathF.Sqrt(m) : lr * m / (1 - MathF.Pow(0.5f, step));
    }
}

/// <summary>A Step() split across threads gives exactly the single-threaded result.</summary>
[Collection(StepWorkersGroup.Name)]
public sealed class ParallelStepTests
{
    [Fact]
    public void Parallel_adam_is_bit_identical_to_single_threaded() => AssertSame(new ParallelAdam(), new SerialAdam(), slices: 2);

    [Fact]
    public void Parallel_custom_rule_is_bit_identical_to_single_threaded() => AssertSame(new ParallelCustom(), new SerialCustom(), slices: 3);

    [Fact]
    public void Parallel_double_sgd_is_bit_identical_to_single_threaded() => AssertSame(new ParallelSgd(), new SerialSgd(), slices: 4);

    /// <summary>
    /// What Threads does, observed on a compiled model: how many slices one Step() is really split into (0: not split).
    /// Threads = 0 splits a large model across the machine's processors (one slice each, at least MinimumSlice
    /// elements each) and leaves a small one alone; 1 never splits; n ≥ 2 splits n ways when there is enough work.
    /// </summary>
    [Theory]
    [InlineData(OptimizeAttribute.AutomaticParallelThreshold, 0)]
    [InlineData(OptimizeAttribute.AutomaticParallelThreshold - 1, 0)]
    [InlineData(OptimizeAttribute.AutomaticParallelThreshold * 2, 1)]
    [InlineData(StepWorkers.MinimumSlice * 3, 2)]
    [InlineData(StepWorkers.MinimumSlice * 3, 3)]
    [InlineData(StepWorkers.MinimumSlice * 2 - 1, 2)]
    [InlineData(100, 2)]
    public void Threads_decides_how_a_step_is_split(int size, int threads)
    {
        string source = $"using System; using Optim; using static Optim.Optimizer; [Optimize(Sgd, Lr = 0.5, Threads = {threads})] public partial class M {{ [Parameter({size})] public partial Span<float> W {{ get; }} }}";
        IOptimizable model = InMemoryModels.Create(source, "M");
        var typed = (IOptimizable<float>)model;
        typed.Gradients.Fill(1f);

        long before = StepWorkers.SlicesRun;
        model.Step();
        long slices = StepWorkers.SlicesRun - before;

        int wanted = threads switch
        {
            0 => size >= OptimizeAttribute.AutomaticParallelThreshold ? StepWorkers.MaxThreads : 1,
            _ => threads,
        };
        int expected = Math.Min(wanted, Math.Max(1, size / StepWorkers.MinimumSlice));
        Assert.Equal(expected > 1 ? expected : 0, slices);

        // Every element stepped exactly once, the split ones included: θ = 0 − 0.5·1.
        Assert.True(typed.Parameters.IndexOfAnyExcept(-0.5f) < 0, "an element was skipped or stepped twice");
    }

    [Fact]
    public void Negative_threads_is_a_diagnostic()
    {
        MarkedSource source = MarkedSource.Parse("using System; using Optim; using static Optim.Optimizer; [Optimize(Adam, [|Threads = -1|])] public partial class M { [Parameter(3)] public partial Span<float> W { get; } }");

        GeneratorHarness.Run run = GeneratorHarness.Generate(source.Text);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("OPT0007", diagnostic.Id);
        Assert.Equal(source.Spans[0], diagnostic.Location.SourceSpan);
    }

    /// <summary>
    /// Five steps of each model: every parallel step really is split into <paramref name="slices"/> slices (whatever the
    /// machine's processor count: an explicit Threads is honoured, DOTNET_PROCESSOR_COUNT=1 included) and the results are
    /// bit-identical to the single-threaded model's.
    /// </summary>
    private static void AssertSame<T>(IOptimizable<T> parallel, IOptimizable<T> serial, int slices)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        long slicesBefore = StepWorkers.SlicesRun;
        var random = new Random(5);
        for (int i = 0; i < parallel.ParameterCount; i++)
        {
            parallel.Parameters[i] = serial.Parameters[i] = T.CreateTruncating(random.NextDouble() * 2 - 1);
        }

        for (int step = 0; step < 5; step++)
        {
            parallel.ZeroGrad();
            serial.ZeroGrad();
            for (int i = 0; i < parallel.ParameterCount; i++)
            {
                parallel.Gradients[i] = serial.Gradients[i] = T.CreateTruncating(random.NextDouble() * 2 - 1);
            }

            parallel.Step();
            serial.Step();
        }

        Assert.Equal(5L * slices, StepWorkers.SlicesRun - slicesBefore);
        int firstDifference = System.Runtime.InteropServices.MemoryMarshal.AsBytes(parallel.Parameters)
            .CommonPrefixLength(System.Runtime.InteropServices.MemoryMarshal.AsBytes(serial.Parameters)) / System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        Assert.True(
            firstDifference == parallel.ParameterCount,
            firstDifference < parallel.ParameterCount
                ? $"element {firstDifference} of {parallel.ParameterCount}: parallel {parallel.Parameters[firstDifference]}, serial {serial.Parameters[firstDifference]}"
                : "identical");
    }
}

/// <summary>Tests that split steps across the shared worker pool run one at a time, so each sees its own slices.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StepWorkersGroup
{
    public const string Name = "StepWorkers";
}
