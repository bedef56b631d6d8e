using System;
using System.Collections.Concurrent;
using System.Threading;
using Optim;
using Xunit;

namespace Optim.Generators.Tests.Runtime;

/// <summary>
/// A model is not thread-safe. In the user's Debug builds (DEBUG defined) or with OPTIM_CHECK_CONCURRENT_USE, the
/// generated Step() detects a second thread inside it and throws instead of silently losing steps; the check takes
/// no lock and allocates nothing; without either symbol it is not compiled at all.
/// </summary>
public sealed class ConcurrentStepTests
{
    // Threads = 1: the step stays on the calling thread. 2^16 parameters make one step long enough (tens of
    // microseconds) that two threads stepping in a loop overlap almost at once.
    private const string Source = """
        using System;
        using Optim;
        using static Optim.Optimizer;
        namespace Demo;
        [Optimize(Adam, Threads = 1)]
        public partial class Shared { [Parameter(1 << 16)] public partial Span<float> W { get; } }
        """;

    [Theory]
    [InlineData("DEBUG")]
    [InlineData("OPTIM_CHECK_CONCURRENT_USE")]
    public void Two_threads_stepping_one_model_are_detected(string symbol)
    {
        IOptimizable model = InMemoryModels.Create(Source, "Demo.Shared", symbol);
        var errors = new ConcurrentQueue<Exception>();
        using var start = new Barrier(2);
        int detected = 0;

        void Hammer()
        {
            start.SignalAndWait();
            for (int i = 0; i < 1_000_000 && Volatile.Read(ref detected) == 0; i++)
            {
                try
                {
                    model.Step();
                }
                catch (InvalidOperationException e)
                {
                    errors.Enqueue(e);
                    Volatile.Write(ref detected, 1);
                }
            }
        }

        var other = new Thread(Hammer);
        other.Start();
        Hammer();
        other.Join();

        Assert.NotEmpty(errors);
        Assert.All(errors, error => Assert.Contains("Demo.Shared.Step() was called concurrently on the same model", error.Message, StringComparison.Ordinal));

        // The thread that lost the race did not take the flag: the model steps normally again.
        long before = model.StepCount;
        model.Step();
        Assert.Equal(before + 1, model.StepCount);
    }

    [Fact]
    public void Steps_from_different_threads_one_after_another_are_not_reported()
    {
        IOptimizable model = InMemoryModels.Create(Source, "Demo.Shared", "DEBUG");
        for (int i = 0; i < 20; i++)
        {
            var thread = new Thread(() => model.Step());
            thread.Start();
            thread.Join();
            model.Step();
        }

        Assert.Equal(40, model.StepCount);
    }

    [Fact]
    public void A_step_that_throws_releases_the_check()
    {
        // A scheduled rate that overflows throws from inside the checked region; the next step must not be
        // mistaken for a concurrent one.
        const string source = """
            using System;
            using Optim;
            using static Optim.Optimizer;
            namespace Demo;
            [Optimize(Sgd, Lr = 1e300)]
            [LrSchedule(ScheduleKind.ExponentialLR, Gamma = 1e10)]
            public partial class Overflowing { [Parameter(1)] public partial Span<double> W { get; } }
            """;
        IOptimizable model = InMemoryModels.Create(source, "Demo.Overflowing", "DEBUG");
        model.Step(); // 1e300: finite
        for (int i = 0; i < 3; i++)
        {
            var error = Assert.Throws<InvalidOperationException>(model.Step);
            Assert.Contains("non-finite learning rate", error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(1, model.StepCount);
    }

    [Fact]
    public void The_checked_step_allocates_nothing()
    {
        IOptimizable model = InMemoryModels.Create(Source, "Demo.Shared", "DEBUG");
        for (int i = 0; i < 200; i++)
        {
            model.Step();
        }

        Assert.Equal(0, Allocations.OnThisThread(() =>
        {
            for (int i = 0; i < 2_000; i++)
            {
                model.ZeroGrad();
                model.Step();
            }
        }));
    }

    [Fact]
    public void Without_DEBUG_or_the_symbol_the_check_is_not_compiled()
    {
        Microsoft.CodeAnalysis.Compilation release = InMemoryModels.Compile(Source, Microsoft.CodeAnalysis.OutputKind.DynamicallyLinkedLibrary);
        Microsoft.CodeAnalysis.Compilation debug = InMemoryModels.Compile(Source, Microsoft.CodeAnalysis.OutputKind.DynamicallyLinkedLibrary, "DEBUG");
        Assert.Empty(release.GetSymbolsWithName("_optimStepping", Microsoft.CodeAnalysis.SymbolFilter.Member));
        Assert.Single(debug.GetSymbolsWithName("_optimStepping", Microsoft.CodeAnalysis.SymbolFilter.Member));
    }
}
