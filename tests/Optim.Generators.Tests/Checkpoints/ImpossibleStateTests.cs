using System;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;
using Optim.Training;
using Xunit;

namespace Optim.Generators.Tests.Checkpoints;

/// <summary>
/// Checkpoints whose checksum holds but whose values Step() cannot produce (a NaN or inconsistent running product, a
/// step count about to overflow, a negative second moment, a step size outside Rprop's clamp, …) are refused with the
/// value named, and the model keeps every value it had. Genuine checkpoints, however long the training, still load.
/// </summary>
public sealed class ImpossibleStateTests(ImpossibleStateTests.Models models) : IClassFixture<ImpossibleStateTests.Models>
{
    private readonly Assembly _assembly = models.Assembly;

    private const string Source = """
        using System;
        using Optim;
        using static Optim.Optimizer;
        [Optimize(Adam, Lr = 0.01, ClipGradNorm = 1, SkipNonFinite = true)]
        public sealed partial class ServicedAdam
        {
            [Parameter(3, 4)] public partial Span<float> W { get; }
            [Parameter(3)] public partial Span<float> B { get; }
        }
        [Optimize(NAdam)]
        public sealed partial class PlainNAdam { [Parameter(3, 4)] public partial Span<float> W { get; } }
        [Optimize(Rprop)]
        public sealed partial class PlainRprop { [Parameter(3, 4)] public partial Span<double> W { get; } }
        [Optimize(Adafactor)]
        public sealed partial class PlainAdafactor
        {
            [Parameter(3, 4)] public partial Span<float> W { get; }
            [Parameter(3)] public partial Span<float> B { get; }
        }
        [Optimize(Sgd, Lr = 0.1)]
        public sealed partial class Grouped
        {
            [Parameter(3, 4)] public partial Span<float> W { get; }
            [Parameter(3), Optimize(Adamax)] public partial Span<float> B { get; }
        }
        [Optimize(Adam, Lr = 0.01)]
        [LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = 20)]
        public sealed partial class Scheduled { [Parameter(3, 4)] public partial Span<float> W { get; } }
        [Optimize(Adagrad, InitialAccumulatorValue = 0.1)]
        public sealed partial class PlainAdagrad { [Parameter(3, 4)] public partial Span<float> W { get; } }
        [Optimize(Adam, Beta1 = 0.5, Beta2 = 0.25, Amsgrad = true)]
        public sealed partial class FastDecayAdam { [Parameter(3, 4)] public partial Span<float> W { get; } }
        """;

    public static TheoryData<string, string, double, string> Impossible() => new()
    {
        { "ServicedAdam", "step", -1, "step is -1, a negative count" },
        { "ServicedAdam", "step", long.MaxValue, "step is 9223372036854775807 (long.MaxValue), which the next step would overflow" },
        { "ServicedAdam", "step", 7, "Beta1Power is 0.7290000000000001, but 7 steps multiply 1 by 0.9 to 0.478296" },
        { "ServicedAdam", "Beta1Power", double.NaN, "Beta1Power is NaN, but a running product of factors in [0, 1] stays in [0, 1]" },
        { "ServicedAdam", "Beta1Power", 0, "Beta1Power is 0, but 3 steps multiply 1 by 0.9 to 0.729" },
        { "ServicedAdam", "Beta2Power", 1, "Beta2Power is 1, but 3 steps multiply 1 by 0.999 to 0.997002999" },
        { "ServicedAdam", "learningRate", double.NaN, "learningRate is NaN, not a finite rate of 0 or more" },
        { "ServicedAdam", "learningRate", -0.01, "learningRate is -0.01, not a finite rate of 0 or more" },
        { "ServicedAdam", "lastGradNorm", -1, "lastGradNorm is -1, but a norm is never negative" },
        { "ServicedAdam", "skippedSteps", -1, "skippedSteps is -1, a negative count" },
        { "ServicedAdam", "skippedSteps", long.MaxValue, "skippedSteps is 9223372036854775807 (long.MaxValue)" },
        { "ServicedAdam", "B.expAvgSq", -1, "B.expAvgSq[0] is -1, but it holds squares, which are never negative" },
        { "PlainNAdam", "MuProduct", 0.95, "MuProduct is 0.95, but after 3 steps it lies between" },
        { "PlainNAdam", "DecayPower", 1, "DecayPower is 1, but 3 steps multiply 1 by 0.9998367" },
        { "PlainRprop", "W.stepSize", 100, "W.stepSize[0] is 100, but Step() keeps it in [1E-06, 50]" },
        { "PlainAdafactor", "W.rowVar", -1, "W.rowVar[0] is -1, but it holds squares" },
        { "PlainAdafactor", "W.colVar", -1, "W.colVar[0] is -1, but it holds squares" },
        { "PlainAdafactor", "B.rowVar", -1, "B.rowVar[0] is -1, but it holds squares" },
        { "Grouped", "Group1Beta1Power", 2, "Group1Beta1Power is 2, but a running product of factors in [0, 1] stays in [0, 1]" },
        { "Grouped", "B.expInf", -1, "B.expInf[0] is -1, but it holds squares" },
        { "Scheduled", "step", long.MaxValue, "(long.MaxValue), which the next step would overflow" },
        { "PlainAdagrad", "W.stateSum", -0.5, "W.stateSum[0] is -0.5" },
        { "FastDecayAdam", "W.maxExpAvgSq", -1, "W.maxExpAvgSq[0] is -1" },
    };

    [Theory]
    [MemberData(nameof(Impossible))]
    public void An_impossible_value_is_refused_by_name_and_the_model_is_kept(string model, string entry, double value, string named)
    {
        Type type = _assembly.GetType(model)!;
        dynamic trained = Trained(type, steps: 3);
        byte[] good = ResumeTests.Checkpoint(trained);
        byte[] bad = Rewrite(type, good, entry, value);

        var error = Assert.Throws<InvalidDataException>((Action)(() => trained.LoadCheckpoint(new MemoryStream(bad))));
        Assert.Contains(named, (string)error.Message, StringComparison.Ordinal);
        Assert.Equal(good, ResumeTests.Checkpoint(trained));

        // The rewrite itself is sound: the same values unchanged load.
        trained.LoadCheckpoint(new MemoryStream(Rewrite(type, good, "", 0)));
    }

    [Fact]
    public void Several_impossible_values_are_all_named()
    {
        Type type = _assembly.GetType("ServicedAdam")!;
        dynamic trained = Trained(type, steps: 2);
        byte[] bad = Rewrite(type, Rewrite(type, ResumeTests.Checkpoint(trained), "Beta1Power", double.NaN), "lastGradNorm", -2);
        string message = Assert.Throws<InvalidDataException>((Action)(() => trained.LoadCheckpoint(new MemoryStream(bad)))).Message;
        Assert.Contains("Beta1Power is NaN", message, StringComparison.Ordinal);
        Assert.Contains("lastGradNorm is -2", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("FastDecayAdam", 1_200)] // β₁ᵗ = 0.5ᵗ flushed to 0 below 2⁻¹⁰²² (t ≥ 1023)
    [InlineData("FastDecayAdam", 1_030)] // 0 where 0.5ᵗ (2⁻¹⁰³⁰) is a subnormal the check's bounds hold above 0
    [InlineData("PlainNAdam", 300)]
    [InlineData("PlainRprop", 40)]
    [InlineData("PlainAdagrad", 5)]
    [InlineData("Grouped", 50)]
    public void A_genuine_checkpoint_of_a_long_run_loads(string model, int steps)
    {
        Type type = _assembly.GetType(model)!;
        byte[] saved = ResumeTests.Checkpoint(Trained(type, steps));
        dynamic resumed = Activator.CreateInstance(type)!;
        resumed.LoadCheckpoint(new MemoryStream(saved));
        Assert.Equal(saved, ResumeTests.Checkpoint(resumed));
    }

    [Fact]
    public void A_running_power_is_stored_as_0_once_it_falls_below_the_smallest_normal_double()
    {
        Type type = _assembly.GetType("FastDecayAdam")!;
        FieldInfo beta1Power = type.GetField("_optimBeta1Power", BindingFlags.NonPublic | BindingFlags.Instance)!;
        dynamic model = Trained(type, 1_022);
        Assert.Equal(Math.ScaleB(1.0, -1022), (double)beta1Power.GetValue(model)!); // 0.5¹⁰²² = 2⁻¹⁰²², exact and normal
        Train(model, 1);
        Assert.Equal(0.0, (double)beta1Power.GetValue(model)!); // 2⁻¹⁰²³ would be subnormal
        Assert.Equal(0.0, RunningProducts.Next(Math.ScaleB(1.0, -1023)));
        Assert.Equal(RunningProducts.FlushBelow, RunningProducts.Next(RunningProducts.FlushBelow));
        Assert.True(double.IsNaN(RunningProducts.Next(double.NaN)));
    }

    [Fact]
    public void A_frozen_parameter_keeps_Rprops_zero_step_sizes_and_its_checkpoint_loads()
    {
        Type type = _assembly.GetType("PlainRprop")!;
        dynamic model = Activator.CreateInstance(type)!;
        model.WFrozen = true;
        Train(model, 3);
        byte[] saved = ResumeTests.Checkpoint(model);
        dynamic resumed = Activator.CreateInstance(type)!;
        resumed.LoadCheckpoint(new MemoryStream(saved));
        Assert.Equal(saved, ResumeTests.Checkpoint(resumed));
    }

    /// <summary>The models of <see cref="Source"/>, compiled once for the class.</summary>
    public sealed class Models : IDisposable
    {
        private readonly AssemblyLoadContext _context;

        public Models() => Assembly = ResumeTests.Compile(Source, out _context);

        public Assembly Assembly { get; }

        public void Dispose() => _context.Unload();
    }

    private static dynamic Trained(Type type, int steps)
    {
        dynamic model = Activator.CreateInstance(type)!;
        Train(model, steps);
        return model;
    }

    private static void Train(dynamic model, int steps)
    {
        var random = new Random(7);
        for (int step = 0; step < steps; step++)
        {
            ResumeTests.StepWithRandomGradients(model, random);
        }
    }

    /// <summary>The checkpoint with one entry changed (a scalar, or a section's first value), written with a valid checksum.</summary>
    private static byte[] Rewrite(Type type, byte[] good, string entry, double value)
    {
        var layout = (CheckpointLayout)type.GetField("OptimCheckpointLayout", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;
        return typeof(IOptimizable<float>).IsAssignableFrom(type)
            ? Rewrite<float>(layout, good, entry, value)
            : Rewrite<double>(layout, good, entry, value);
    }

    private static byte[] Rewrite<T>(CheckpointLayout layout, byte[] good, string entry, double value)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        CheckpointContents<T> contents = CheckpointReader.Read<T>(new MemoryStream(good), layout);
        var stream = new MemoryStream();
        using (var writer = new CheckpointWriter<T>(stream, layout))
        {
            foreach (CheckpointSection section in layout.Sections)
            {
                T[] values = contents.GetSection(section.Name).ToArray();
                if (section.Name == entry)
                {
                    values[0] = T.CreateChecked(value);
                }

                writer.WriteSection(section.Name, values);
            }

            foreach (CheckpointScalar scalar in layout.Scalars)
            {
                if (scalar.Kind == CheckpointScalarKind.WholeNumber)
                {
                    writer.WriteScalar(scalar.Name, scalar.Name == entry ? (value >= long.MaxValue ? long.MaxValue : (long)value) : contents.GetInt64(scalar.Name));
                }
                else
                {
                    writer.WriteScalar(scalar.Name, scalar.Name == entry ? value : contents.GetDouble(scalar.Name));
                }
            }

            writer.Commit();
        }

        return stream.ToArray();
    }
}
