using System;
using System.Diagnostics;
using System.Globalization;
using Optim;
using Optim.Distributed;
using static Optim.Optimizer;

// Per-step cost of data-parallel training at 10 M float parameters: the model's Adam Step() against
// AverageGradients() (all-reduce + division) and against ZeRO-1's exchange (reduce-scatter of the gradients, then
// all-gather of the parameters), and a whole step both ways with the optimizer state per rank. Each rank runs the same number of iterations in lockstep (a barrier before each);
// rank 0 prints the median and the fastest of them.
//   mpirun -np 2 dotnet benchmarks/Optim.Distributed.Benchmarks/bin/Release/net10.0/Optim.Distributed.Benchmarks.dll [iterations]
// Open MPI's all-reduce algorithm is chosen on mpirun's command line (docs/distributed.md).
var world = MpiWorld.Initialize();
int iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 30;
var model = new TenMillion();
model.Gradients.Fill(1e-3f);
var parallel = new DataParallel<float>(world, model);
int block = TenMillion.ParameterCount / world.Size;
float[] shard = new float[block];

double[] step = Time(() => model.Step());
double[] allReduce = Time(() => parallel.AverageGradients());
double[] allReduceOnly = Time(() => world.AllReduceSum(model.Gradients));
double[] reduceScatter = Time(() => world.ReduceScatterSum<float>(model.Gradients[..(block * world.Size)], shard));
double[] allGather = Time(() => world.AllGatherInPlace(model.Parameters[..(block * world.Size)]));

// A whole step both ways. Plain: all-reduce, Adam over all 10 M. ZeRO-1 (DataParallel.ShardOptimizerState, a second
// model holding Adam's state for its own slice only): reduce-scatter, divide this rank's slice, Adam on the slice,
// all-gather the parameters.
double[] plainStep = Time(() =>
{
    parallel.AverageGradients();
    model.Step();
});
var zeroModel = new TenMillion();
zeroModel.Gradients.Fill(1e-3f);
var zero = new DataParallel<float>(world, zeroModel);
zero.ShardOptimizerState();
double[] zeroStep = Time(zero.Step);
var stateBytes = new long[world.Size];
world.AllGather(zeroModel.OptimizerStateBytes, stateBytes);

if (world.IsRoot)
{
    long bytes = (long)TenMillion.ParameterCount * sizeof(float);
    double ringShare = 2.0 * (world.Size - 1) / world.Size;   // a ring all-reduce sends and receives this many buffers per rank
    Console.WriteLine($"{world.Size} ranks, {TenMillion.ParameterCount:N0} float parameters ({bytes / 1e6:F0} MB of gradients), {iterations} iterations, median (fastest) in ms");
    Report("Adam Step()", step, 0);
    Report("AverageGradients (all-reduce + divide)", allReduce, (long)(ringShare * bytes));
    Report("AllReduceSum alone", allReduceOnly, (long)(ringShare * bytes));
    Report("ReduceScatterSum (ZeRO-1, gradients)", reduceScatter, (long)((world.Size - 1.0) / world.Size * bytes));
    Report("AllGatherInPlace (ZeRO-1, parameters)", allGather, (long)((world.Size - 1.0) / world.Size * bytes));
    Console.WriteLine($"ZeRO-1 exchange (reduce-scatter + all-gather): {Median(reduceScatter) + Median(allGather):F2} ms against the all-reduce's {Median(allReduce):F2} ms");
    Report("Whole step: AverageGradients + Step()", plainStep, 0);
    Console.WriteLine($"    Adam state per rank: {model.OptimizerStateBytes / 1e6:F1} MB (m and v for all 10 M)");
    Report("Whole step, ZeRO-1 (DataParallel.Step)", zeroStep, 0);
    Console.WriteLine($"    Adam state per rank: {string.Join(", ", Array.ConvertAll(stateBytes, b => (b / 1e6).ToString("F1", CultureInfo.InvariantCulture)))} MB (ranks 0..{world.Size - 1}: m and v for each rank's slice)");
}

world.Shutdown();
return 0;

double[] Time(Action action)
{
    for (int i = 0; i < 3; i++)
    {
        world.Barrier();
        action();
    }

    var times = new double[iterations];
    for (int i = 0; i < iterations; i++)
    {
        world.Barrier();
        long start = Stopwatch.GetTimestamp();
        action();
        times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    Array.Sort(times);
    return times;
}

static double Median(double[] sorted) => sorted[sorted.Length / 2];

static void Report(string what, double[] sorted, long bytesPerRank) =>
    Console.WriteLine($"  {what,-40} {Median(sorted),8:F2} ({sorted[0]:F2}){(bytesPerRank > 0 ? $"   ~{bytesPerRank / 1e6:F0} MB sent and received per rank (ring)" : "")}");

/// <summary>10 M float parameters stepped by Adam on one thread (two ranks share the two cores).</summary>
[Optimize(Adam, Lr = 1e-3, Threads = 1)]
internal sealed partial class TenMillion
{
    [Parameter(10_000_000)] public partial Span<float> Weights { get; }
}
