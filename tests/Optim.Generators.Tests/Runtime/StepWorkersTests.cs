using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Xunit;

namespace Optim.Generators.Tests.Runtime;

/// <summary>What StepWorkers.RunEach promises the kernels it runs: every index once, and a worker number per thread.</summary>
[Collection(StepWorkersGroup.Name)]
public sealed class StepWorkersTests
{
    [Theory]
    [InlineData(10, 3)]
    [InlineData(2, 4)]
    [InlineData(7, 1)]
    public void Every_index_runs_once_and_each_thread_has_its_own_worker_number(int count, int maxThreads)
    {
        var kernel = new RecordingKernel(count, nestedCount: 0);

        StepWorkers.RunEach(kernel, count, maxThreads);

        Assert.All(kernel.Runs, runs => Assert.Equal(1, runs));
        int threads = Math.Min(count, maxThreads);
        Assert.All(kernel.Workers, worker => Assert.InRange(worker, 0, threads - 1));

        // A worker number belongs to one thread: no two threads ever ran under the same number.
        Assert.All(kernel.ThreadsOfWorker.Take(threads), ids => Assert.True(ids <= 1, "two threads shared a worker number"));
    }

    /// <summary>
    /// A kernel that itself calls RunEach (a routine sharing its own work, called from a tensor already handed to a
    /// thread) gets its inner indices run on its own thread as worker 0, and the outer call still runs each index once.
    /// </summary>
    [Fact]
    public void A_call_from_inside_a_shared_call_runs_on_the_calling_thread()
    {
        var kernel = new RecordingKernel(count: 12, nestedCount: 5);

        StepWorkers.RunEach(kernel, 12, maxThreads: 3);

        Assert.All(kernel.Runs, runs => Assert.Equal(1, runs));
        Assert.Equal(12 * 5, kernel.NestedRuns);
        Assert.True(kernel.NestedOnOtherThread == 0, "a nested index ran on another thread");
    }

    private sealed class RecordingKernel(int count, int nestedCount) : TensorKernel
    {
        private readonly object _gate = new();
        private readonly HashSet<int>[] _threadIds = Enumerable.Range(0, 64).Select(_ => new HashSet<int>()).ToArray();

        public int[] Runs { get; } = new int[count];

        public List<int> Workers { get; } = [];

        public int[] ThreadsOfWorker => _threadIds.Select(s => s.Count).ToArray();

        public int NestedRuns;

        public int NestedOnOtherThread;

        public override void Run(int tensor, int worker)
        {
            lock (_gate)
            {
                Runs[tensor]++;
                Workers.Add(worker);
                _threadIds[worker].Add(Environment.CurrentManagedThreadId);
            }

            // Long enough that the pool's threads take part.
            Thread.SpinWait(20_000);
            if (nestedCount > 0)
            {
                var inner = new NestedKernel(Environment.CurrentManagedThreadId);
                StepWorkers.RunEach(inner, nestedCount, maxThreads: 3);
                Interlocked.Add(ref NestedRuns, inner.Runs);
                Interlocked.Add(ref NestedOnOtherThread, inner.Elsewhere);
            }
        }
    }

    private sealed class NestedKernel(int thread) : TensorKernel
    {
        public int Runs;

        public int Elsewhere;

        public override void Run(int tensor, int worker)
        {
            Runs++;
            if (Environment.CurrentManagedThreadId != thread || worker != 0)
            {
                Elsewhere++;
            }
        }
    }
}
