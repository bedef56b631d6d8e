using System;
using System.Linq;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;
using Optim.Benchmarks;

// dotnet run -c Release --project benchmarks/Optim.Benchmarks -- --filter '*'        everything
// dotnet run -c Release --project benchmarks/Optim.Benchmarks -- --quick             headline set, short runs
bool quick = args.Contains("--quick");
string[] rest = args.Where(a => a != "--quick").ToArray();

// Min beside Mean: on a shared host the fastest iteration is the steadiest reading of what the code can do.
IConfig config = DefaultConfig.Instance
    .AddColumn(BenchmarkDotNet.Columns.StatisticColumn.Min)
    .AddColumn(new ThroughputColumn(ThroughputColumn.Kind.NanosecondsPerParameter))
    .AddColumn(new ThroughputColumn(ThroughputColumn.Kind.GigabytesPerSecond))
    .AddColumn(new ThroughputColumn(ThroughputColumn.Kind.PercentOfProbe));

if (quick)
{
    // In-process, short iterations: the headline set in about two minutes, at the cost of wider error bars.
    config = config.AddJob(Job.Default
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithLaunchCount(1)
        .WithWarmupCount(2)
        .WithIterationCount(5)
        .WithIterationTime(TimeInterval.FromMilliseconds(100)));
    if (rest.Length == 0)
    {
        rest = new[] { "--filter", "*.AdamStep.*", "*ZeroGrad*", "*Parallel*" };
    }
}

BenchmarkSwitcher.FromAssembly(typeof(StepBenchmarks).Assembly).Run(rest, config);
