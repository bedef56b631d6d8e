using System;
using System.Linq;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using Optim.Benchmarks;

// dotnet run -c Release --project benchmarks/Optim.Benchmarks -- --filter '*'        everything
// dotnet run -c Release --project benchmarks/Optim.Benchmarks -- --quick             headline set, short runs
bool quick = args.Contains("--quick");
string[] rest = args.Where(a => a != "--quick").ToArray();

IConfig config = DefaultConfig.Instance
    .AddColumn(new ThroughputColumn(ThroughputColumn.Kind.NanosecondsPerParameter))
    .AddColumn(new ThroughputColumn(ThroughputColumn.Kind.GigabytesPerSecond))
    .AddColumn(new ThroughputColumn(ThroughputColumn.Kind.PercentOfProbe));

if (quick)
{
    config = config.AddJob(Job.ShortRun.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(5));
    if (rest.Length == 0)
    {
        rest = new[] { "--filter", "*.AdamStep.*", "*ZeroGrad*", "*Parallel*" };
    }
}

BenchmarkSwitcher.FromAssembly(typeof(StepBenchmarks).Assembly).Run(rest, config);
