using System;
using static Optim.Optimizer;

namespace Optim.Sample.CustomRules;

// Optimizers written by hand, one element at a time, in plain C#: the generator compiles each [UpdateRule] method into
// the same fused, vectorised, allocation-free Step() the built-in optimizers get, bit for bit what calling the method
// once per element would give. Same network, schedule and hyperparameters as the built-in models they sit beside.

/// <summary>The seed's SimpleSGD ("Custom Optimizer: Understanding the Guts"): <c>p.data -= lr * p.grad</c>.</summary>
[Optimize(Custom, Lr = 0.1)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class SimpleSgdMlp : SeedNetwork, ISeedMlp
{
    [UpdateRule]
    public static void Sgd(ref float param, float grad, float lr) => param -= lr * grad;
}

/// <summary>Adam written the naive way: the bias corrections recomputed with MathF.Pow, two divisions per element.</summary>
[Optimize(Custom, Lr = 1e-2)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class NaiveAdamMlp : SeedNetwork, ISeedMlp
{
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

/// <summary>Lion (Chen et al. 2023): the sign of an interpolated momentum.</summary>
[Optimize(Custom, Lr = 1e-3)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class CustomLionMlp : SeedNetwork, ISeedMlp
{
    [UpdateRule]
    public static void Lion(ref float param, float grad, ref float m, float lr)
    {
        const float beta1 = 0.9f, beta2 = 0.99f;
        float update = beta1 * m + (1 - beta1) * grad;
        param -= lr * MathF.Sign(update);
        m = beta2 * m + (1 - beta2) * grad;
    }
}
