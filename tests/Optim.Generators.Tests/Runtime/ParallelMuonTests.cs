using System;
using System.Collections.Generic;
using System.Linq;
using Optim.Generators.Tests.Infrastructure;
using Xunit;
using static Optim.Optimizer;

namespace Optim.Generators.Tests.Runtime;

/// <summary>One matrix whose products are shared between threads (140 × 150 × 128 multiply-adds a block), four that are not.</summary>
[Optimize(Muon, Lr = 0.02, Threads = 2)]
public sealed partial class SharedMuon
{
    [Parameter(150, 140)] public partial Span<float> W1 { get; }
    [Parameter(32, 64)] public partial Span<float> W2 { get; }
    [Parameter(64, 64)] public partial Span<float> W3 { get; }
    [Parameter(8, 24)] public partial Span<float> W4 { get; }
    [Parameter(40, 20)] public partial Span<float> W5 { get; }
}

[Optimize(Muon, Lr = 0.02, Threads = 1)]
public sealed partial class SingleMuon
{
    [Parameter(150, 140)] public partial Span<float> W1 { get; }
    [Parameter(32, 64)] public partial Span<float> W2 { get; }
    [Parameter(64, 64)] public partial Span<float> W3 { get; }
    [Parameter(8, 24)] public partial Span<float> W4 { get; }
    [Parameter(40, 20)] public partial Span<float> W5 { get; }
}

/// <summary>Six small matrices on three threads: the two threads of the pool each on a workspace of their own.</summary>
[Optimize(Muon, Lr = 0.02, WeightDecay = 0.01, Nesterov = false, Threads = 3)]
public sealed partial class SharedSmallMuon
{
    [Parameter(24, 40)] public partial Span<double> W1 { get; }
    [Parameter(40, 24)] public partial Span<double> W2 { get; }
    [Parameter(16, 16)] public partial Span<double> W3 { get; }
    [Parameter(3, 30)] public partial Span<double> W4 { get; }
    [Parameter(33, 17)] public partial Span<double> W5 { get; }
    [Parameter(2, 2)] public partial Span<double> W6 { get; }
    [Parameter(16), Optimize(AdamW, WeightDecay = 0)] public partial Span<double> B { get; }
}

[Optimize(Muon, Lr = 0.02, WeightDecay = 0.01, Nesterov = false, Threads = 1)]
public sealed partial class SingleSmallMuon
{
    [Parameter(24, 40)] public partial Span<double> W1 { get; }
    [Parameter(40, 24)] public partial Span<double> W2 { get; }
    [Parameter(16, 16)] public partial Span<double> W3 { get; }
    [Parameter(3, 30)] public partial Span<double> W4 { get; }
    [Parameter(33, 17)] public partial Span<double> W5 { get; }
    [Parameter(2, 2)] public partial Span<double> W6 { get; }
    [Parameter(16), Optimize(AdamW, WeightDecay = 0)] public partial Span<double> B { get; }
}

/// <summary>
/// Muon on a parallel model: matrices whose products MatrixKernels shares between threads are stepped one after another
/// with every thread, the others are handed to the threads whole, each thread on its own Newton–Schulz workspace. Either
/// way the result must be the single-threaded one, bit for bit.
/// </summary>
[Collection(StepWorkersGroup.Name)]
public sealed class ParallelMuonTests
{
    [Fact]
    public void Muon_matrices_shared_between_threads_give_the_single_threaded_bits()
    {
        var shared = new SharedMuon();
        var single = new SingleMuon();
        ParallelTensorTests.StepAlike(shared, single, steps: 5, minimumSlices: 2, frozen => shared.W3Frozen = single.W3Frozen = frozen);
    }

    [Fact]
    public void Small_muon_matrices_on_three_threads_give_the_single_threaded_bits()
    {
        var shared = new SharedSmallMuon();
        var single = new SingleSmallMuon();
        ParallelTensorTests.StepAlike(shared, single, steps: 40, minimumSlices: 3, frozen => shared.W2Frozen = single.W2Frozen = frozen);
    }

    /// <summary>
    /// With the automatic thread count (Threads = 0) a model of 2¹⁹ parameters or more is parallel, and how many threads
    /// share its matrices (so how many workspaces it needs) is the machine's processor count, known only at run time.
    /// </summary>
    [Fact]
    public void Automatic_threads_share_small_matrices_and_give_the_single_threaded_bits()
    {
        const int Matrices = 42; // 42 · 100 · 128 = 537,600 parameters, above OptimizeAttribute.AutomaticParallelThreshold
        string Model(string name, int threads) =>
            $"[Optimize(Muon, Lr = 0.02, NsSteps = 2, Threads = {threads})] public partial class {name} {{ "
            + string.Concat(Enumerable.Range(0, Matrices).Select(k => $"[Parameter(100, 128)] public partial Span<float> W{k} {{ get; }} "))
            + "}";
        string source = "using System; using Optim; using static Optim.Optimizer; " + Model("Automatic", 0) + Model("Single", 1);
        Assert.True(Matrices * 100 * 128 >= OptimizeAttribute.AutomaticParallelThreshold);

        var automatic = (IOptimizable<float>)InMemoryModels.Create(source, "Automatic");
        var single = (IOptimizable<float>)InMemoryModels.Create(source, "Single");
        ParallelTensorTests.StepAlike(automatic, single, steps: 2, minimumSlices: StepWorkers.MaxThreads >= 2 ? 2 : 0);
    }

    /// <summary>Shapes on either side of the size from which Newton–Schulz shares its products (2²¹ multiply-adds a block).</summary>
    public static TheoryData<int, int> Shapes => new()
    {
        { 128, 128 }, { 127, 128 }, { 128, 127 }, { 100, 300 }, { 300, 60 }, { 60, 600 }, { 5, 90_000 }, { 4, 150_000 }, { 200, 8 }, { 16, 16 },
    };

    /// <summary>
    /// Where the generator puts a matrix of a parallel Muon model (stepped alone with every thread, or handed whole to one)
    /// must follow what the runtime does with it: MatrixKernels.NewtonSchulzSharesProducts, and whether a one-matrix model
    /// really shares its products between threads.
    /// </summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_matrix_is_stepped_alone_exactly_when_its_products_are_shared(int rows, int cols)
    {
        bool shares = MatrixKernels.NewtonSchulzSharesProducts(rows, cols);

        // The runtime: one step of a model holding only this matrix splits its products (slices run) or not.
        string single = $"using System; using Optim; using static Optim.Optimizer; [Optimize(Muon, Lr = 0.02, NsSteps = 1, Threads = 2)] public partial class M {{ [Parameter({rows}, {cols})] public partial Span<float> W {{ get; }} }}";
        var model = (IOptimizable<float>)InMemoryModels.Create(single, "M");
        var random = new Random(3);
        for (int i = 0; i < model.ParameterCount; i++)
        {
            model.Gradients[i] = (float)(random.NextDouble() - 0.5);
        }

        long before = StepWorkers.SlicesRun;
        model.Step();
        Assert.Equal(shares, StepWorkers.SlicesRun > before);

        // The generator: beside two small matrices, this one is stepped in Step() itself exactly when it shares its products.
        string source = $"using System; using Optim; using static Optim.Optimizer; [Optimize(Muon, Threads = 2)] public partial class M {{ [Parameter({rows}, {cols})] public partial Span<float> W {{ get; }} [Parameter(8, 8)] public partial Span<float> A {{ get; }} [Parameter(4, 6)] public partial Span<float> B {{ get; }} }}";
        GeneratorHarness.Run run = GeneratorHarness.Generate(source);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompileDiagnostics);
        string text = Assert.Single(run.Sources).Text;
        string step = text.Substring(text.IndexOf("public void Step()", StringComparison.Ordinal));
        step = step.Substring(0, step.IndexOf("global::Optim.StepWorkers.RunEach", StringComparison.Ordinal));
        Assert.Equal(shares, step.Contains("// W (", StringComparison.Ordinal));
        Assert.Contains($"RunEach(_optimTensorKernel, {(shares ? 2 : 3)},", text, StringComparison.Ordinal);
    }
}
