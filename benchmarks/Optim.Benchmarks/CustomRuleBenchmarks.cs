using System;
using BenchmarkDotNet.Attributes;
using static Optim.Optimizer;

namespace Optim.Benchmarks;

/// <summary>
/// Adam written as a custom [UpdateRule] method the naive way (MathF.Pow bias corrections and two divisions per element,
/// as a user would write it) against the built-in Adam, at 100 k and 10 M parameters, single-threaded. The generator
/// hoists the Pow calls out of the loop, so the custom rule costs one more division per element than the built-in.
/// </summary>
[MemoryDiagnoser]
public class CustomRuleBenchmarks
{
    private IOptimizable<float> _builtIn = null!, _custom = null!, _rearranged = null!;

    [Params(100_000, 10_000_000)]
    public int Parameters { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _builtIn = Parameters == 100_000 ? new BuiltInAdam100K() : new ZooAdam10M();
        _custom = Parameters == 100_000 ? new CustomAdam100K() : new CustomAdam10M();
        _rearranged = Parameters == 100_000 ? new RearrangedAdam100K() : new RearrangedAdam10M();
        foreach (IOptimizable<float> model in new[] { _builtIn, _custom, _rearranged })
        {
            model.Parameters.Fill(0.5f);
            model.Gradients.Fill(0.01f);
        }
    }

    [Benchmark(Baseline = true, Description = "built-in Adam")]
    public void BuiltIn() => _builtIn.Step();

    [Benchmark(Description = "custom [UpdateRule] Adam")]
    public void Custom() => _custom.Step();

    [Benchmark(Description = "custom Adam, one division")]
    public void Rearranged() => _rearranged.Step();
}

/// <summary>Adam as the built-in computes it (Kingma and Ba §2): the bias corrections folded into per-step scalars.</summary>
[Optimize(Custom, Lr = 1e-3, Threads = 1)]
public sealed partial class RearrangedAdam100K
{
    [Parameter(100_000)] public partial Span<float> W { get; }

    [UpdateRule]
    public static void Adam(ref float param, float grad, ref float m, ref float v, float lr, long step)
    {
        const float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
        m = beta1 * m + (1 - beta1) * grad;
        v = beta2 * v + (1 - beta2) * grad * grad;
        param -= lr * MathF.Sqrt(1 - MathF.Pow(beta2, step)) / (1 - MathF.Pow(beta1, step)) * (m / (MathF.Sqrt(v) + eps * MathF.Sqrt(1 - MathF.Pow(beta2, step))));
    }
}

/// <inheritdoc cref="RearrangedAdam100K"/>
[Optimize(Custom, Lr = 1e-3, Threads = 1)]
public sealed partial class RearrangedAdam10M
{
    [Parameter(2500000)] public partial Span<float> A { get; }
    [Parameter(2500000)] public partial Span<float> B { get; }
    [Parameter(2500000)] public partial Span<float> C { get; }
    [Parameter(2500000)] public partial Span<float> D { get; }

    [UpdateRule]
    public static void Adam(ref float param, float grad, ref float m, ref float v, float lr, long step)
    {
        const float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
        m = beta1 * m + (1 - beta1) * grad;
        v = beta2 * v + (1 - beta2) * grad * grad;
        param -= lr * MathF.Sqrt(1 - MathF.Pow(beta2, step)) / (1 - MathF.Pow(beta1, step)) * (m / (MathF.Sqrt(v) + eps * MathF.Sqrt(1 - MathF.Pow(beta2, step))));
    }
}

[Optimize(Adam, Threads = 1)]
public sealed partial class BuiltInAdam100K
{
    [Parameter(100_000)] public partial Span<float> W { get; }
}

[Optimize(Custom, Lr = 1e-3, Threads = 1)]
public sealed partial class CustomAdam100K
{
    [Parameter(100_000)] public partial Span<float> W { get; }

    [UpdateRule]
    public static void Adam(ref float param, float grad, ref float m, ref float v, float lr, long step)
    {
        const float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
        m = beta1 * m + (1 - beta1) * grad;
        v = beta2 * v + (1 - beta2) * grad * grad;
        float mHat = m / (1 - MathF.Pow(beta1, step));
        float vHat = v / (1 - MathF.Pow(beta2, step));
        param -= lr * mHat / (MathF.Sqrt(vHat) + eps);
    }
}

[Optimize(Custom, Lr = 1e-3, Threads = 1)]
public sealed partial class CustomAdam10M
{
    [Parameter(2500000)] public partial Span<float> A { get; }
    [Parameter(2500000)] public partial Span<float> B { get; }
    [Parameter(2500000)] public partial Span<float> C { get; }
    [Parameter(2500000)] public partial Span<float> D { get; }

    [UpdateRule]
    public static void Adam(ref float param, float grad, ref float m, ref float v, float lr, long step)
    {
        const float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
        m = beta1 * m + (1 - beta1) * grad;
        v = beta2 * v + (1 - beta2) * grad * grad;
        float mHat = m / (1 - MathF.Pow(beta1, step));
        float vHat = v / (1 - MathF.Pow(beta2, step));
        param -= lr * mHat / (MathF.Sqrt(vHat) + eps);
    }
}
