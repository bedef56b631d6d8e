using System;
using System.Threading;

namespace Optim;

/// <summary>
/// An element-wise update that can run on any slice of a model's arena. Generated models with a parallel
/// <c>Step()</c> keep one instance, set its per-step scalars, and hand it to <see cref="StepWorkers"/>.
/// </summary>
public abstract class RangeKernel
{
    /// <summary>Updates elements [<paramref name="start"/>, <paramref name="end"/>) of every arena section.</summary>
    public abstract void Run(nuint start, nuint end);
}

/// <summary>
/// The update of one tensor of a per-tensor rule (LAMB, Adafactor, Muon), by index. Generated models whose rule works
/// tensor by tensor keep one instance, set its per-step scalars, and hand it to <see cref="StepWorkers.RunEach"/>.
/// </summary>
public abstract class TensorKernel
{
    /// <summary>
    /// Updates tensor <paramref name="tensor"/> (its index in the model's order of work) on the thread numbered
    /// <paramref name="worker"/>: 0 for the thread that called <see cref="StepWorkers.RunEach"/>, then 1, 2, … below the
    /// number of threads sharing the call, so that a kernel can give each thread its own scratch space.
    /// </summary>
    public abstract void Run(int tensor, int worker);
}

/// <summary>
/// A small pool of dedicated threads that split one step's element range between them. A step hands out
/// cache-line-aligned slices, runs the first slice itself and waits for the others; nothing is allocated per
/// step. One step uses the pool at a time; a step that finds it busy runs on its own thread instead.
/// </summary>
public static class StepWorkers
{
    /// <summary>Elements below which a slice is not worth a thread hand-off (about 10 µs of work).</summary>
    public const int MinimumSlice = 64 * 1024;

    /// <summary>Slices start on 64-byte lines for either element type.</summary>
    private const int Alignment = 16;

    private static readonly object Gate = new();
    private static Worker[]? _workers;

    /// <summary>Threads a step may use on this machine: one per processor.</summary>
    public static int MaxThreads => Environment.ProcessorCount;

    private static long _slicesRun;

    /// <summary>
    /// The threads a kernel uses for a maxThreads setting: an explicit count as given (at least 1), the automatic
    /// setting (0) every processor once its <paramref name="work"/> reaches <paramref name="automaticFrom"/>, else 1.
    /// </summary>
    internal static int Threads(int maxThreads, long work, long automaticFrom) =>
        maxThreads == 0 ? (work >= automaticFrom ? MaxThreads : 1) : Math.Max(1, maxThreads);

    /// <summary>
    /// Slices run so far by every split step (the caller's share included): a step split n ways adds n. For tests and
    /// diagnostics; one interlocked increment per slice, nothing per element.
    /// </summary>
    public static long SlicesRun => Interlocked.Read(ref _slicesRun);

    /// <summary>
    /// Runs <paramref name="kernel"/> over [0, <paramref name="length"/>), split between up to
    /// <paramref name="maxThreads"/> threads (the caller's included) with at least <see cref="MinimumSlice"/>
    /// elements each. Returns when every slice is done; a call made from inside another split step (or while another step
    /// holds the pool) runs the whole range on the calling thread.
    /// </summary>
    /// <remarks>
    /// An explicit <paramref name="maxThreads"/> is honoured even above the processor count (the threads then share the
    /// processors); the automatic setting passes <see cref="MaxThreads"/>.
    /// </remarks>
    public static void Run(RangeKernel kernel, nuint length, int maxThreads)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        int threads = (int)Math.Min((ulong)Math.Max(1, maxThreads), Math.Max(1, length / MinimumSlice));
        if (threads <= 1 || Monitor.IsEntered(Gate) || !Monitor.TryEnter(Gate))
        {
            kernel.Run(0, length);
            return;
        }

        try
        {
            // Ceiling division twice: threads·slice ≥ length, so the last slice reaches the end (a floor here once dropped
            // the tail when length/threads was already a multiple of the alignment). Every slice but the last is whole
            // vectors; threads ≤ length / MinimumSlice keeps every start below length.
            nuint perThread = (length + (nuint)threads - 1) / (nuint)threads;
            RunSlices(kernel, threads, length, (perThread + Alignment - 1) / Alignment * Alignment);
        }
        finally
        {
            Monitor.Exit(Gate);
        }
    }

    /// <summary>
    /// Runs <paramref name="kernel"/> for every tensor index in [0, <paramref name="count"/>), shared between up to
    /// <paramref name="maxThreads"/> threads (the caller's included): each thread takes the next index not yet taken
    /// until none is left, so large and small tensors balance out. Each index runs exactly once, on one thread; what a
    /// tensor's update computes does not depend on which. Each thread passes its own worker number, below
    /// min(<paramref name="maxThreads"/>, <paramref name="count"/>); a call made from inside another split step (or while
    /// another step holds the pool) runs every index on the calling thread as worker 0. Returns when every index is done.
    /// </summary>
    public static void RunEach(TensorKernel kernel, int count, int maxThreads)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        int threads = Math.Min(Math.Max(1, maxThreads), count);
        if (threads <= 1 || Monitor.IsEntered(Gate) || !Monitor.TryEnter(Gate))
        {
            for (int k = 0; k < count; k++)
            {
                kernel.Run(k, 0);
            }

            return;
        }

        try
        {
            // Thread w runs the queue as the one-element range [w, w + 1): each takes the next index until none is left.
            TensorQueue queue = TensorQueue.Shared;
            queue.Start(kernel, count);
            RunSlices(queue, threads, (nuint)threads, 1);
            queue.Finish();
        }
        finally
        {
            Monitor.Exit(Gate);
        }
    }

    /// <summary>
    /// Under the gate: runs <paramref name="kernel"/> on <paramref name="threads"/> threads, thread w over
    /// [w·slice, min((w + 1)·slice, length)) and the last one to <paramref name="length"/>, the caller taking slice 0;
    /// returns when all are done.
    /// </summary>
    private static void RunSlices(RangeKernel kernel, int threads, nuint length, nuint slice)
    {
        // The pool grows (once) to the largest split asked for; steps after that allocate nothing.
        if (_workers is null || _workers.Length < threads - 1)
        {
            _workers = StartWorkers(Math.Max(threads, MaxThreads) - 1, _workers);
        }

        Worker[] workers = _workers;
        Interlocked.Add(ref _slicesRun, threads);
        CountdownEvent done = Worker.Done;
        done.Reset(threads - 1);
        for (int w = 1; w < threads; w++)
        {
            nuint start = (nuint)w * slice;
            workers[w - 1].Post(kernel, start, w == threads - 1 ? length : Math.Min(start + slice, length));
        }

        kernel.Run(0, Math.Min(slice, length));
        done.Wait();
    }

    /// <summary>The indices of one <see cref="RunEach"/> call, handed out one at a time (used only under the gate).</summary>
    private sealed class TensorQueue : RangeKernel
    {
        public static readonly TensorQueue Shared = new();
        private TensorKernel? _kernel;
        private int _count;
        private int _next;

        public void Start(TensorKernel kernel, int count)
        {
            _kernel = kernel;
            _count = count;
            _next = -1;
        }

        public void Finish() => _kernel = null;

        /// <summary>Runs the next indices as worker <paramref name="start"/>.</summary>
        public override void Run(nuint start, nuint end)
        {
            TensorKernel kernel = _kernel!;
            for (int k = Interlocked.Increment(ref _next); k < _count; k = Interlocked.Increment(ref _next))
            {
                kernel.Run(k, (int)start);
            }
        }
    }

    private static Worker[] StartWorkers(int count, Worker[]? existing)
    {
        var workers = new Worker[count];
        for (int w = 0; w < count; w++)
        {
            workers[w] = existing is not null && w < existing.Length ? existing[w] : new Worker(w);
        }

        return workers;
    }

    /// <summary>
    /// One dedicated background thread that runs the slices posted to it. Kernels are straight-line arithmetic
    /// over memory the model owns, so they do not throw.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Workers live as long as the process.")]
    private sealed class Worker
    {
        private readonly SemaphoreSlim _posted = new(0);
        private RangeKernel? _kernel;
        private nuint _start;
        private nuint _end;

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"Optim step worker {index + 1}" };
            thread.Start();
        }

        /// <summary>Signalled when every posted slice of the current step has finished.</summary>
        public static CountdownEvent Done { get; } = new(0);

        public void Post(RangeKernel kernel, nuint start, nuint end)
        {
            _kernel = kernel;
            _start = start;
            _end = end;
            _posted.Release();
        }

        private void Loop()
        {
            while (true)
            {
                _posted.Wait();
                _kernel!.Run(_start, _end);
                _kernel = null;
                Done.Signal();
            }
        }
    }
}
