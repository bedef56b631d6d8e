using System;
using System.Linq;
using Optim;
using Optim.Training;
using Xunit;
using static Optim.Optimizer;

namespace Optim.Generators.Tests.Services;

[Optimize(Adam, Lr = 0.01)]
public sealed partial class InitModel
{
    [Parameter(64, 32, Init = Initialization.LinearDefault)] public partial Span<float> Weight { get; }
    [Parameter(64, Init = Initialization.LinearDefault, FanIn = 32)] public partial Span<float> Bias { get; }
    [Parameter(20000, Init = Initialization.Uniform, Low = -0.5, High = 2)] public partial Span<float> U { get; }
    [Parameter(100, 200, Init = Initialization.Normal, Mean = 1, Std = 0.5)] public partial Span<float> N { get; }
    [Parameter(40, 50, Init = Initialization.XavierUniform, Gain = 2)] public partial Span<float> Xu { get; }
    [Parameter(40, 50, Init = Initialization.XavierNormal)] public partial Span<float> Xn { get; }
    [Parameter(30, 20, 3, 3, Init = Initialization.KaimingUniform, NegativeSlope = 0.1)] public partial Span<float> Ku { get; }
    [Parameter(120, 90, Init = Initialization.KaimingNormal)] public partial Span<float> Kn { get; }
    [Parameter(17, Init = Initialization.Ones)] public partial Span<float> One { get; }
    [Parameter(13)] public partial Span<float> Zeros { get; }
}

[Optimize(Sgd, Lr = 0.1)]
public sealed partial class InitDoubleModel
{
    [Parameter(300, 100, Init = Initialization.KaimingUniform)] public partial Span<double> W { get; }
    [Parameter(5, Init = Initialization.Normal, Std = 0)] public partial Span<double> seed { get; }
}

/// <summary>An MLP whose layers initialise themselves, as nn.Linear does.</summary>
[Optimize(Adam, Lr = 0.01)]
public sealed partial class InitMlp
{
    [Parameter(64, 32, Init = Initialization.KaimingUniform)] public partial Span<float> W1 { get; }
    [Parameter(64, Init = Initialization.LinearDefault, FanIn = 32)] public partial Span<float> B1 { get; }
    [Parameter(1, 64, Init = Initialization.XavierNormal)] public partial Span<float> W2 { get; }
    [Parameter(1, Init = Initialization.Uniform, Low = -0.1, High = 0.1)] public partial Span<float> B2 { get; }
}

/// <summary>InitMlp's parameters without their Init: the same arena, all zeros on construction.</summary>
[Optimize(Adam, Lr = 0.01)]
public sealed partial class ZeroMlp
{
    [Parameter(64, 32)] public partial Span<float> W1 { get; }
    [Parameter(64)] public partial Span<float> B1 { get; }
    [Parameter(1, 64)] public partial Span<float> W2 { get; }
    [Parameter(1)] public partial Span<float> B2 { get; }
}

/// <summary>
/// The generated Initialize(seed): each parameter filled by its scheme (the same values Optim.Training.Initializers gives
/// with the parameter's derived seed), deterministic, within its bounds, with the scheme's moments, and leaving
/// gradients and optimizer state alone.
/// </summary>
public sealed class InitializeTests
{
    [Fact]
    public void Each_parameter_gets_its_scheme_with_its_own_derived_seed()
    {
        var model = new InitModel();
        model.Initialize(7);

        ulong root = 7;
        Assert.Equal(Expected(s => Initializers.LinearDefault(s, [64, 32], Initializers.DeriveSeed(root, "Weight")), 64 * 32), model.Weight.ToArray());
        Assert.Equal(Expected(s => Initializers.LinearDefault(s, [64], Initializers.DeriveSeed(root, "Bias"), fanIn: 32), 64), model.Bias.ToArray());
        Assert.Equal(Expected(s => Initializers.Uniform(s, Initializers.DeriveSeed(root, "U"), -0.5, 2), 20000), model.U.ToArray());
        Assert.Equal(Expected(s => Initializers.Normal(s, Initializers.DeriveSeed(root, "N"), 1, 0.5), 20000), model.N.ToArray());
        Assert.Equal(Expected(s => Initializers.XavierUniform(s, [40, 50], Initializers.DeriveSeed(root, "Xu"), 2), 2000), model.Xu.ToArray());
        Assert.Equal(Expected(s => Initializers.XavierNormal(s, [40, 50], Initializers.DeriveSeed(root, "Xn")), 2000), model.Xn.ToArray());
        Assert.Equal(Expected(s => Initializers.KaimingUniform(s, [30, 20, 3, 3], Initializers.DeriveSeed(root, "Ku"), 0.1), 5400), model.Ku.ToArray());
        Assert.Equal(Expected(s => Initializers.KaimingNormal(s, [120, 90], Initializers.DeriveSeed(root, "Kn")), 10800), model.Kn.ToArray());
        Assert.All(model.One.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(model.Zeros.ToArray(), v => Assert.Equal(0f, v));
    }

    /// <summary>As PyTorch's layers do, a model initialises its parameters on construction: from Initializers.DefaultSeed.</summary>
    [Fact]
    public void A_new_model_holds_the_values_of_Initialize_with_the_default_seed()
    {
        var constructed = new InitModel();
        var drawn = new InitModel();
        drawn.Initialize(7);
        Assert.NotEqual(drawn.Parameters.ToArray(), constructed.Parameters.ToArray());

        drawn.Initialize(Initializers.DefaultSeed);

        Assert.Equal(drawn.Parameters.ToArray(), constructed.Parameters.ToArray());
        Assert.Equal(new InitModel().Parameters.ToArray(), constructed.Parameters.ToArray());
        Assert.Equal(Expected(s => Initializers.KaimingNormal(s, [120, 90], Initializers.DeriveSeed(Initializers.DefaultSeed, "Kn")), 10800), constructed.Kn.ToArray());
        Assert.All(constructed.One.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(constructed.Zeros.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(constructed.Gradients.ToArray(), v => Assert.Equal(0f, v));
        Assert.Contains(new InitDoubleModel().W.ToArray(), v => v != 0);
    }

    /// <summary>Drawing the parameters on construction allocates nothing beyond the arena.</summary>
    [Fact]
    public void Constructing_allocates_no_more_than_the_same_model_without_Init()
    {
        // The fewest bytes of several constructions: the runtime's one-off allocations (type loading, tiered JIT) aside.
        static long Bytes(Func<object> construct) => Enumerable.Range(0, 8).Min(_ =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            GC.KeepAlive(construct());
            return GC.GetAllocatedBytesForCurrentThread() - before;
        });

        long plain = Bytes(() => new ZeroMlp());
        long initialised = Bytes(() => new InitMlp());

        Assert.Equal(ZeroMlp.ParameterCount, InitMlp.ParameterCount);
        Assert.Contains(new InitMlp().W1.ToArray(), v => v != 0);
        Assert.Equal(plain, initialised);
    }

    [Fact]
    public void The_same_seed_gives_the_same_values_and_another_seed_other_values()
    {
        var a = new InitModel();
        var b = new InitModel();
        var c = new InitModel();
        a.Initialize(-3);
        b.Parameters.Fill(9f);
        b.Initialize(-3);
        c.Initialize(3);

        Assert.Equal(a.Parameters.ToArray(), b.Parameters.ToArray());
        Assert.NotEqual(a.U.ToArray(), c.U.ToArray());
        Assert.NotEqual(a.U.ToArray(), a.N.ToArray().Take(20000).ToArray());
    }

    [Fact]
    public void Values_stay_inside_each_uniform_schemes_bounds_and_reach_near_them()
    {
        var model = new InitModel();
        model.Initialize(11);

        AssertWithin(model.Weight, 1 / Math.Sqrt(32));
        Assert.All(model.Bias.ToArray(), v => Assert.InRange(v, -(float)(1 / Math.Sqrt(32)), (float)(1 / Math.Sqrt(32))));
        AssertWithin(model.Xu, 2 * Math.Sqrt(6.0 / (50 + 40)));
        AssertWithin(model.Ku, Math.Sqrt(2 / (1 + (0.1 * 0.1))) * Math.Sqrt(3.0 / (20 * 9)));
        Assert.All(model.U.ToArray(), v => Assert.InRange(v, -0.5f, 2f));
        Assert.True(model.U.ToArray().Max() < 2f, "U(a, b) excludes b");
        Assert.True(model.U.ToArray().Min() < -0.49f && model.U.ToArray().Max() > 1.99f, "20000 draws come near both bounds");

        static void AssertWithin(Span<float> values, double bound)
        {
            float[] x = values.ToArray();
            Assert.All(x, v => Assert.InRange(v, -(float)bound, (float)bound));
            Assert.True(x.Max() > 0.99 * bound && x.Min() < -0.99 * bound, $"2000 or more draws reach near ±{bound}: [{x.Min()}, {x.Max()}]");
        }
    }

    [Fact]
    public void Moments_match_each_scheme()
    {
        var model = new InitModel();
        model.Initialize(2026);

        AssertMoments(model.U, 0.75, 2.5 / Math.Sqrt(12));
        AssertMoments(model.N, 1, 0.5);
        AssertMoments(model.Xn, 0, Math.Sqrt(2.0 / (50 + 40)));
        AssertMoments(model.Kn, 0, Math.Sqrt(2.0) / Math.Sqrt(90));
        AssertMoments(model.Ku, 0, Math.Sqrt(2 / (1 + (0.1 * 0.1))) / Math.Sqrt(20 * 9));

        var wide = new InitDoubleModel();
        wide.Initialize(1);
        AssertMoments(wide.W, 0, Math.Sqrt(2.0) / Math.Sqrt(100));
        Assert.All(wide.seed.ToArray(), v => Assert.Equal(0d, v));
    }

    [Fact]
    public void Initialize_leaves_gradients_state_step_count_and_learning_rate_alone()
    {
        // a: initialise, step, re-initialise, step. b: the same first step, then its state carried by a checkpoint into c,
        // whose parameters are set to the re-initialised values by hand. Same result only if Initialize kept the state.
        var a = new InitModel();
        var b = new InitModel();
        a.Initialize(1);
        b.Initialize(1);
        a.Gradients.Fill(0.5f);
        b.Gradients.Fill(0.5f);
        a.Step();
        b.Step();
        a.LearningRate = 0.003;
        float[] gradients = a.Gradients.ToArray();

        a.Initialize(2);

        Assert.Equal(gradients, a.Gradients.ToArray());
        Assert.Equal(1, a.StepCount);
        Assert.Equal(0.003, a.LearningRate);

        using var checkpoint = new System.IO.MemoryStream();
        b.SaveCheckpoint(checkpoint);
        checkpoint.Position = 0;
        var c = new InitModel();
        c.LoadCheckpoint(checkpoint);
        var reinitialised = new InitModel();
        reinitialised.Initialize(2);
        reinitialised.Parameters.CopyTo(c.Parameters);
        c.LearningRate = 0.003;
        c.Gradients.Fill(0.5f);
        a.Step();
        c.Step();
        Assert.Equal(c.Parameters.ToArray(), a.Parameters.ToArray());
    }

    private static float[] Expected(SpanAction fill, int length)
    {
        float[] values = new float[length];
        fill(values);
        return values;
    }

    private static void AssertMoments<T>(Span<T> values, double mean, double std)
        where T : struct, IConvertible
    {
        double[] x = values.ToArray().Select(v => v.ToDouble(null)).ToArray();
        double n = x.Length;
        double sampleMean = x.Average();
        double sampleStd = Math.Sqrt(x.Sum(v => (v - sampleMean) * (v - sampleMean)) / (n - 1));
        Assert.InRange(sampleMean, mean - (5 * std / Math.Sqrt(n)), mean + (5 * std / Math.Sqrt(n)));
        Assert.InRange(sampleStd, std * (1 - (5 / Math.Sqrt(2 * n))), std * (1 + (5 / Math.Sqrt(2 * n))));
    }

    private delegate void SpanAction(Span<float> values);
}
