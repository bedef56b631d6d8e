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

/// <summary>A Step() split across threads gives exactly the single-threaded result.</summary>
public sealed class ParallelStepTests
{
    [Fact]
    public void Parallel_adam_is_bit_identical_to_single_threaded() => AssertSame(new ParallelAdam(), new SerialAdam());

    [Fact]
    public void Parallel_double_sgd_is_bit_identical_to_single_threaded() => AssertSame(new ParallelSgd(), new SerialSgd());

    [Theory]
    [InlineData(OptimizeAttribute.AutomaticParallelThreshold, 0, true)]
    [InlineData(OptimizeAttribute.AutomaticParallelThreshold - 1, 0, false)]
    [InlineData(OptimizeAttribute.AutomaticParallelThreshold * 2, 1, false)]
    [InlineData(100, 2, true)]
    public void Threads_decides_whether_step_is_split(int size, int threads, bool parallel)
    {
        string source = $"using System; using Optim; using static Optim.Optimizer; [Optimize(Adam, Threads = {threads})] public partial class M {{ [Parameter({size})] public partial Span<float> W {{ get; }} }}";

        GeneratorHarness.Run run = GeneratorHarness.Generate(source);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompileDiagnostics);
        Assert.Equal(parallel, run.Sources[0].Text.Contains("StepWorkers.Run", StringComparison.Ordinal));
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

    private static void AssertSame<T>(IOptimizable<T> parallel, IOptimizable<T> serial)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
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

        Assert.True(
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(parallel.Parameters).SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(serial.Parameters)),
            "parallel and single-threaded results differ");
    }
}
