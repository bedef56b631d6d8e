using System;
using System.Globalization;
using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Optim.Benchmarks.Peers;

namespace Optim.Benchmarks;

/// <summary>ns per parameter, effective GB/s (bytes a step must move ÷ time), and % of the bandwidth probe.</summary>
public sealed class ThroughputColumn(ThroughputColumn.Kind kind) : IColumn
{
    public enum Kind
    {
        NanosecondsPerParameter,
        GigabytesPerSecond,
        PercentOfProbe,
    }

    public string Id => nameof(ThroughputColumn) + kind;

    public string ColumnName => kind switch
    {
        Kind.NanosecondsPerParameter => "ns/param",
        Kind.GigabytesPerSecond => "GB/s",
        _ => "% of probe",
    };

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => (int)kind;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => kind switch
    {
        Kind.NanosecondsPerParameter => "Mean time divided by the number of parameters",
        Kind.GigabytesPerSecond => "Bytes the step must move (reads θ, g, states; writes θ, states) divided by the mean time",
        _ => "GB/s as a percentage of the bandwidth probe's GB/s for the same size",
    };

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? gbps = GigabytesPerSecond(summary, benchmarkCase);
        int size = Size(benchmarkCase);
        double? mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (mean is null || size == 0)
        {
            return "-";
        }

        switch (kind)
        {
            case Kind.NanosecondsPerParameter:
                return (mean.Value / size).ToString("0.000", CultureInfo.InvariantCulture);
            case Kind.GigabytesPerSecond:
                return gbps?.ToString("0.0", CultureInfo.InvariantCulture) ?? "-";
            default:
                BenchmarkCase? probe = summary.BenchmarksCases.FirstOrDefault(c =>
                    c.Descriptor.Type == benchmarkCase.Descriptor.Type
                    && c.Descriptor.WorkloadMethod.Name is "Bandwidth" or "Memset"
                    && Size(c) == size);
                double? probeGbps = probe is null ? null : GigabytesPerSecond(summary, probe);
                return gbps is null || probeGbps is null ? "-" : (100 * gbps.Value / probeGbps.Value).ToString("0", CultureInfo.InvariantCulture) + " %";
        }
    }

    private static int Size(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Size")?.Value is int size ? size : 0;

    private static double? GigabytesPerSecond(Summary summary, BenchmarkCase benchmarkCase)
    {
        double? mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        int bytes = Activator.CreateInstance(benchmarkCase.Descriptor.Type) switch
        {
            ZeroGradBenchmarks => sizeof(float),
            StepBenchmarks step => BandwidthProbe.BytesPerParameter(step.States),
            ParallelAdamStep parallel => BandwidthProbe.BytesPerParameter(parallel.States),
            _ => 0,
        };
        return mean is null || bytes == 0 ? null : (double)Size(benchmarkCase) * bytes / mean.Value;
    }
}
