using System;
using System.Globalization;
using System.Linq;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Optim.Kernels;

namespace Optim.Benchmarks;

/// <summary>
/// C = A·B at the shapes (m × k by k × n), one thread: Optim's Gemm beside a naive triple loop and the best
/// System.Numerics.Tensors composition (each row of C built by TensorPrimitives.MultiplyAdd over the rows of B: the
/// same ascending-k chain per output, vectorised across columns). GFLOP/s = 2·m·n·k / time; % of peak against one
/// core's multiply-add peak for the kernel that runs, at the clock measured in the same process (<see cref="GflopsColumn"/>,
/// docs/benchmarks.md).
/// </summary>
[Config(typeof(GflopsConfig))]
public class GemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];
    private int _m, _n, _k;

    /// <summary>m × k × n.</summary>
    [Params("64x784x256", "256x256x256", "1024x1024x1024")]
    public string Shape { get; set; } = "64x784x256";

    [GlobalSetup]
    public void Setup()
    {
        (_m, _k, _n) = GflopsColumn.Parse(Shape);
        var random = new Random(5);
        _a = Enumerable.Range(0, _m * _k).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        _b = Enumerable.Range(0, _k * _n).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        _c = new float[_m * _n];
    }

    [Benchmark(Baseline = true)]
    public void Naive()
    {
        float[] a = _a, b = _b, c = _c;
        int m = _m, n = _n, k = _k;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                {
                    sum += a[(i * k) + p] * b[(p * n) + j];
                }

                c[(i * n) + j] = sum;
            }
        }
    }

    [Benchmark]
    public void TensorPrimitivesRows()
    {
        int m = _m, n = _n, k = _k;
        for (int i = 0; i < m; i++)
        {
            Span<float> row = _c.AsSpan(i * n, n);
            row.Clear();
            for (int p = 0; p < k; p++)
            {
                TensorPrimitives.MultiplyAdd(_b.AsSpan(p * n, n), _a[(i * k) + p], row, row);
            }
        }
    }

    [Benchmark]
    public void OptimGemm() => Gemm.Multiply<float>(_a, _b, _c, _m, _n, _k);

    /// <summary>The same product on every processor (2 here): the tiles split between threads.</summary>
    [Benchmark]
    public void OptimGemmAllCores() => Gemm.Multiply<float>(_a, _b, _c, _m, _n, _k, maxThreads: Environment.ProcessorCount);
}

/// <summary>
/// The 8 × 2-vector micro-kernel alone on L1-resident packed panels (kc = 256), as Gemm runs it (a multiply and an add)
/// and with a fused multiply-add: what fusing would buy at the widest width.
/// </summary>
[Config(typeof(GflopsConfig))]
public class GemmMicroKernelBenchmarks
{
    private const int Kc = 256;
    private readonly float[] _a = new float[8 * Kc];
    private readonly float[] _b = new float[32 * Kc];
    private readonly float[] _c = new float[8 * 32];

    /// <summary>Tiles per invocation, each 8·32·256 multiply-adds; named as m × k × n for the GFLOP/s column.</summary>
    [Params("8x256x32000")]
    public string Shape { get; set; } = "8x256x32000";

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(9);
        for (int i = 0; i < _a.Length; i++)
        {
            _a[i] = (float)(random.NextDouble() - 0.5);
        }

        for (int i = 0; i < _b.Length; i++)
        {
            _b[i] = (float)(random.NextDouble() - 0.5);
        }
    }

    [Benchmark(Baseline = true)]
    public void MultiplyThenAdd()
    {
        for (int t = 0; t < 1000; t++)
        {
            Tile<Unfused>(_a, _b, _c);
        }
    }

    [Benchmark]
    public void FusedMultiplyAdd()
    {
        for (int t = 0; t < 1000; t++)
        {
            Tile<Fused>(_a, _b, _c);
        }
    }

    private interface IMac
    {
        static abstract Vector512<float> Step(Vector512<float> c, Vector512<float> a, Vector512<float> b);
    }

    private readonly struct Unfused : IMac
    {
        public static Vector512<float> Step(Vector512<float> c, Vector512<float> a, Vector512<float> b) => c + (a * b);
    }

    private readonly struct Fused : IMac
    {
        public static Vector512<float> Step(Vector512<float> c, Vector512<float> a, Vector512<float> b) => Vector512.FusedMultiplyAdd(a, b, c);
    }

    private static void Tile<TMac>(float[] a, float[] b, float[] c)
        where TMac : IMac
    {
        ref float pa = ref a[0];
        ref float pb = ref b[0];
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < Kc; p++)
        {
            Vector512<float> b0 = Vector512.LoadUnsafe(ref pb), b1 = Vector512.LoadUnsafe(ref pb, 16), x;
            x = Vector512.Create(pa);
            c00 = TMac.Step(c00, x, b0);
            c01 = TMac.Step(c01, x, b1);
            x = Vector512.Create(Unsafe.Add(ref pa, 1));
            c10 = TMac.Step(c10, x, b0);
            c11 = TMac.Step(c11, x, b1);
            x = Vector512.Create(Unsafe.Add(ref pa, 2));
            c20 = TMac.Step(c20, x, b0);
            c21 = TMac.Step(c21, x, b1);
            x = Vector512.Create(Unsafe.Add(ref pa, 3));
            c30 = TMac.Step(c30, x, b0);
            c31 = TMac.Step(c31, x, b1);
            x = Vector512.Create(Unsafe.Add(ref pa, 4));
            c40 = TMac.Step(c40, x, b0);
            c41 = TMac.Step(c41, x, b1);
            x = Vector512.Create(Unsafe.Add(ref pa, 5));
            c50 = TMac.Step(c50, x, b0);
            c51 = TMac.Step(c51, x, b1);
            x = Vector512.Create(Unsafe.Add(ref pa, 6));
            c60 = TMac.Step(c60, x, b0);
            c61 = TMac.Step(c61, x, b1);
            x = Vector512.Create(Unsafe.Add(ref pa, 7));
            c70 = TMac.Step(c70, x, b0);
            c71 = TMac.Step(c71, x, b1);
            pa = ref Unsafe.Add(ref pa, 8);
            pb = ref Unsafe.Add(ref pb, 32);
        }

        ref float pc = ref c[0];
        (c00 + c01 + c10 + c11 + c20 + c21 + c30 + c31 + c40 + c41 + c50 + c51 + c60 + c61 + c70 + c71).StoreUnsafe(ref pc);
    }
}

/// <summary>Adds GFLOP/s and % of one core's peak to benchmarks with an "m x k x n" Shape parameter.</summary>
public sealed class GflopsConfig : ManualConfig
{
    public GflopsConfig()
    {
        AddColumn(new GflopsColumn(false), new GflopsColumn(true));
    }
}

/// <summary>
/// 2·m·n·k / mean time, or that as a percentage of one core's peak: the clock <see cref="ClockBenchmarks"/>'s loop
/// measures in this process, times the FLOP per cycle of the GEMM kernel that runs (<see cref="Gemm.KernelVectorBits"/>):
/// two vector multiplies and two vector adds per cycle, so 2 × lanes multiply-adds, 64 FLOP with full-width 512-bit
/// units (Zen 5) and 32 with 256-bit ones (AVX2, or Zen 4, which splits 512-bit operations into two halves).
/// </summary>
public sealed class GflopsColumn(bool percentOfPeak) : IColumn
{
    public string Id => nameof(GflopsColumn) + percentOfPeak;

    public string ColumnName => percentOfPeak ? "% of peak" : "GFLOP/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => percentOfPeak ? 1 : 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => percentOfPeak
        ? $"GFLOP/s as a share of one core's peak, {Peak.Value:0} GFLOP/s here ({FlopPerCycle} FLOP per cycle of the {Gemm.KernelVectorBits}-bit kernel at {Ghz.Value:0.00} GHz)"
        : "2·m·n·k floating-point operations per nanosecond";

    private static int FlopPerCycle => 2 * 2 * Math.Max(1, (Gemm.SplitsWideOperations ? Math.Min(256, Gemm.KernelVectorBits) : Gemm.KernelVectorBits) / 32);

    private static readonly Lazy<double> Ghz = new(ClockBenchmarks.MeasureGhz);

    private static readonly Lazy<double> Peak = new(() => FlopPerCycle * Ghz.Value);

    public static (int M, int K, int N) Parse(string shape)
    {
        int[] parts = shape.Split('x').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return (parts[0], parts[1], parts[2]);
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (mean is null || benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Shape")?.Value is not string shape)
        {
            return "-";
        }

        (int m, int k, int n) = Parse(shape);
        double gflops = 2.0 * m * n * k / mean.Value;
        double peak = Peak.Value;
        return percentOfPeak ? (100 * gflops / peak).ToString("0", CultureInfo.InvariantCulture) + " %" : gflops.ToString("0.0", CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// The core's clock under load: 8 dependent integer additions per iteration (1 cycle each on Zen 4 and 5), 10⁷ iterations,
/// so the mean time is 8·10⁷ cycles; GHz = 0.08 / mean in seconds. The peak multiply-add rate follows from it.
/// </summary>
public class ClockBenchmarks
{
    private long _seed = 1;

    /// <summary>The clock in GHz from the fastest of five runs of <see cref="DependentAdds"/> in this process.</summary>
    public static double MeasureGhz()
    {
        var clock = new ClockBenchmarks();
        double best = double.MaxValue;
        for (int run = 0; run < 5; run++)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            clock._seed += clock.DependentAdds() & 1;
            best = Math.Min(best, System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        return 0.08 / best;
    }

    [Benchmark]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public long DependentAdds()
    {
        long x = _seed, y = _seed + 1;
        for (int i = 0; i < 10_000_000; i++)
        {
            x += y;
            x += y;
            x += y;
            x += y;
            x += y;
            x += y;
            x += y;
            x += y;
        }

        return x;
    }
}
