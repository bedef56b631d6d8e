using System;
using static Optim.Optimizer;

namespace Optim.Sample;

/// <summary>
/// The sample network, 10 → 5 → 1: Linear(10, 5), ReLU, Linear(5, 1). The training code sees a model only
/// through this interface (plus <see cref="IOptimizable{T}"/>), so one training loop serves every optimizer.
/// The parameter properties come from the model classes and the gradient views from the Optim generator;
/// both implement these members implicitly.
/// </summary>
internal interface IMlp
{
    /// <summary>Number of input features.</summary>
    const int Inputs = 10;

    /// <summary>Number of hidden units.</summary>
    const int Hidden = 5;

    /// <summary>First-layer weights, row-major <see cref="Hidden"/> × <see cref="Inputs"/>: <c>W1[j * Inputs + i]</c> connects input i to hidden unit j.</summary>
    Span<float> W1 { get; }

    /// <summary>First-layer biases, one per hidden unit.</summary>
    Span<float> B1 { get; }

    /// <summary>Second-layer weights, 1 × <see cref="Hidden"/>.</summary>
    Span<float> W2 { get; }

    /// <summary>Output bias (one value).</summary>
    Span<float> B2 { get; }

    /// <summary>Gradient of the loss with respect to <see cref="W1"/>.</summary>
    Span<float> W1Grad { get; }

    /// <summary>Gradient of the loss with respect to <see cref="B1"/>.</summary>
    Span<float> B1Grad { get; }

    /// <summary>Gradient of the loss with respect to <see cref="W2"/>.</summary>
    Span<float> W2Grad { get; }

    /// <summary>Gradient of the loss with respect to <see cref="B2"/>.</summary>
    Span<float> B2Grad { get; }

    /// <summary>
    /// The generated initialisation: He-uniform weights (<c>Init = KaimingUniform</c>: U(−√(6 / fan_in), √(6 / fan_in)))
    /// and zero biases. Seeds derive from the seed and the parameter's name, so every model starts from the same point.
    /// </summary>
    void Initialize(int seed);
}

// The same network for every optimizer; only the [Optimize] line differs. Optim generates storage, gradients,
// optimizer state, Initialize(seed), Step() and ZeroGrad() for each at compile time. Each follows the same learning-rate schedule,
// compiled into its Step(): a linear warm-up from a tenth of the rate, then cosine annealing to zero by the
// last step (PyTorch's SequentialLR of LinearLR and CosineAnnealingLR).

/// <summary>The MLP trained with plain stochastic gradient descent.</summary>
[Optimize(Sgd, Lr = 0.1)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class SgdMlp : IMlp
{
    [Parameter(IMlp.Hidden, IMlp.Inputs, Init = Initialization.KaimingUniform)] public partial Span<float> W1 { get; }
    [Parameter(IMlp.Hidden)] public partial Span<float> B1 { get; }
    [Parameter(1, IMlp.Hidden, Init = Initialization.KaimingUniform)] public partial Span<float> W2 { get; }
    [Parameter(1)] public partial Span<float> B2 { get; }
}

/// <summary>The MLP trained with heavy-ball momentum (an exponential moving average of the gradients).</summary>
[Optimize(Momentum, Lr = 0.1, Beta = 0.9)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class MomentumMlp : IMlp
{
    [Parameter(IMlp.Hidden, IMlp.Inputs, Init = Initialization.KaimingUniform)] public partial Span<float> W1 { get; }
    [Parameter(IMlp.Hidden)] public partial Span<float> B1 { get; }
    [Parameter(1, IMlp.Hidden, Init = Initialization.KaimingUniform)] public partial Span<float> W2 { get; }
    [Parameter(1)] public partial Span<float> B2 { get; }
}

/// <summary>The MLP trained with Adam.</summary>
[Optimize(Adam, Lr = 1e-2)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class AdamMlp : IMlp
{
    [Parameter(IMlp.Hidden, IMlp.Inputs, Init = Initialization.KaimingUniform)] public partial Span<float> W1 { get; }
    [Parameter(IMlp.Hidden)] public partial Span<float> B1 { get; }
    [Parameter(1, IMlp.Hidden, Init = Initialization.KaimingUniform)] public partial Span<float> W2 { get; }
    [Parameter(1)] public partial Span<float> B2 { get; }
}

/// <summary>
/// The MLP trained with Adam and the training services of the checkpoint command: gradients clipped to norm 1 in the
/// step (LastGradNorm reports the norm before clipping), and steps with a NaN or infinite gradient skipped.
/// </summary>
[Optimize(Adam, Lr = 1e-2, ClipGradNorm = 1.0, SkipNonFinite = true)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class ServicedAdamMlp : IMlp
{
    [Parameter(IMlp.Hidden, IMlp.Inputs, Init = Initialization.KaimingUniform)] public partial Span<float> W1 { get; }
    [Parameter(IMlp.Hidden)] public partial Span<float> B1 { get; }
    [Parameter(1, IMlp.Hidden, Init = Initialization.KaimingUniform)] public partial Span<float> W2 { get; }
    [Parameter(1)] public partial Span<float> B2 { get; }
}

// Every other optimizer Optim offers, on the same network, schedule and data (the train command's comparison table).

/// <summary>The MLP trained with RMSprop.</summary>
[Optimize(RmsProp, Lr = 3e-3)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class RmsPropMlp : IMlp
{
    [Parameter(IMlp.Hidden, IMlp.Inputs, Init = Initialization.KaimingUniform)] public partial Span<float> W1 { get; }
    [Parameter(IMlp.Hidden)] public partial Span<float> B1 { get; }
    [Parameter(1, IMlp.Hidden, Init = Initialization.KaimingUniform)] public partial Span<float> W2 { get; }
    [Parameter(1)] public partial Span<float> B2 { get; }
}

/// <summary>The MLP trained with Adagrad.</summary>
[Optimize(Adagrad, Lr = 5e-2)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class AdagradMlp : IMlp
{
    [Parameter(IMlp.Hidden, IMlp.Inputs, Init = Initialization.KaimingUniform)] public partial Span<float> W1 { get; }
    [Parameter(IMlp.Hidden)] public partial Span<float> B1 { get; }
    [Parameter(1, IMlp.Hidden, Init = Initialization.KaimingUniform)] public partial Span<float> W2 { get; }
    [Parameter(1)] public partial Span<float> B2 { get; }
}

/// <summary>The MLP trained with Adadelta.</summary>
[Optimize(Adadelta, Lr = 1.0)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class AdadeltaMlp : IMlp
{
    [Parameter(IMlp.Hidden, IMlp.Inputs, Init = Initialization.KaimingUniform)] public partial Span<float> W1 { get; }
    [Parameter(IMlp.Hidden)] public partial Span<float> B1 { get; }
    [Parameter(1, IMlp.Hidden, Init = Initialization.KaimingUniform)] public partial Span<float> W2 { get; }
    [Parameter(1)] public partial Span<float> B2 { get; }
}

/// <summary>The MLP trained with Adamax.</summary>
[Optimize(Adamax, Lr = 2e-2)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class AdamaxMlp : IMlp
{
    [Parameter(IMlp.Hidden, IMlp.Inputs, Init = Initialization.KaimingUniform)] public partial Span<float> W1 { get; }
    [Parameter(IMlp.Hidden)] public partial Span<float> B1 { get; }
    [Parameter(1, IMlp.Hidden, Init = Initialization.KaimingUniform)] public partial Span<float> W2 { get; }
    [Parameter(1)] public partial Span<float> B2 { get; }
}

/// <summary>The MLP trained with NAdam.</summary>
[Optimize(NAdam, Lr = 1e-2)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class NAdamMlp : IMlp
{
    [Parameter(IMlp.Hidden, IMlp.Inputs, Init = Initialization.KaimingUniform)] public partial Span<float> W1 { get; }
    [Parameter(IMlp.Hidden)] public partial Span<float> B1 { get; }
    [Parameter(1, IMlp.Hidden, Init = Initialization.KaimingUniform)] public partial Span<float> W2 { get; }
    [Parameter(1)] public partial Span<float> B2 { get; }
}

/// <summary>The MLP trained with RAdam.</summary>
[Optimize(RAdam, Lr = 1e-2)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class RAdamMlp : IMlp
{
    [Parameter(IMlp.Hidden, IMlp.Inputs, Init = Initialization.KaimingUniform)] public partial Span<float> W1 { get; }
    [Parameter(IMlp.Hidden)] public partial Span<float> B1 { get; }
    [Parameter(1, IMlp.Hidden, Init = Initialization.KaimingUniform)] public partial Span<float> W2 { get; }
    [Parameter(1)] public partial Span<float> B2 { get; }
}

/// <summary>The MLP trained with Rprop.</summary>
[Optimize(Rprop, Lr = 1e-3)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class RpropMlp : IMlp
{
    [Parameter(IMlp.Hidden, IMlp.Inputs, Init = Initialization.KaimingUniform)] public partial Span<float> W1 { get; }
    [Parameter(IMlp.Hidden)] public partial Span<float> B1 { get; }
    [Parameter(1, IMlp.Hidden, Init = Initialization.KaimingUniform)] public partial Span<float> W2 { get; }
    [Parameter(1)] public partial Span<float> B2 { get; }
}

/// <summary>The MLP trained with ASGD.</summary>
[Optimize(Asgd, Lr = 0.1)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class AsgdMlp : IMlp
{
    [Parameter(IMlp.Hidden, IMlp.Inputs, Init = Initialization.KaimingUniform)] public partial Span<float> W1 { get; }
    [Parameter(IMlp.Hidden)] public partial Span<float> B1 { get; }
    [Parameter(1, IMlp.Hidden, Init = Initialization.KaimingUniform)] public partial Span<float> W2 { get; }
    [Parameter(1)] public partial Span<float> B2 { get; }
}

/// <summary>The MLP trained with Lion.</summary>
[Optimize(Lion, Lr = 1e-3)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class LionMlp : IMlp
{
    [Parameter(IMlp.Hidden, IMlp.Inputs, Init = Initialization.KaimingUniform)] public partial Span<float> W1 { get; }
    [Parameter(IMlp.Hidden)] public partial Span<float> B1 { get; }
    [Parameter(1, IMlp.Hidden, Init = Initialization.KaimingUniform)] public partial Span<float> W2 { get; }
    [Parameter(1)] public partial Span<float> B2 { get; }
}

/// <summary>The MLP trained with LAMB.</summary>
[Optimize(Lamb, Lr = 1e-2)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class LambMlp : IMlp
{
    [Parameter(IMlp.Hidden, IMlp.Inputs, Init = Initialization.KaimingUniform)] public partial Span<float> W1 { get; }
    [Parameter(IMlp.Hidden)] public partial Span<float> B1 { get; }
    [Parameter(1, IMlp.Hidden, Init = Initialization.KaimingUniform)] public partial Span<float> W2 { get; }
    [Parameter(1)] public partial Span<float> B2 { get; }
}

/// <summary>The MLP trained with Adafactor.</summary>
[Optimize(Adafactor, Lr = 1e-2)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class AdafactorMlp : IMlp
{
    [Parameter(IMlp.Hidden, IMlp.Inputs, Init = Initialization.KaimingUniform)] public partial Span<float> W1 { get; }
    [Parameter(IMlp.Hidden)] public partial Span<float> B1 { get; }
    [Parameter(1, IMlp.Hidden, Init = Initialization.KaimingUniform)] public partial Span<float> W2 { get; }
    [Parameter(1)] public partial Span<float> B2 { get; }
}

/// <summary>The MLP trained with AdamW.</summary>
[Optimize(AdamW, Lr = 1e-2)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class AdamWMlp : IMlp
{
    [Parameter(IMlp.Hidden, IMlp.Inputs, Init = Initialization.KaimingUniform)] public partial Span<float> W1 { get; }
    [Parameter(IMlp.Hidden)] public partial Span<float> B1 { get; }
    [Parameter(1, IMlp.Hidden, Init = Initialization.KaimingUniform)] public partial Span<float> W2 { get; }
    [Parameter(1)] public partial Span<float> B2 { get; }
}

/// <summary>The MLP with Muon for its weight matrices and AdamW for its biases (Muon only takes matrices): parameter groups.</summary>
[Optimize(Muon, Lr = 0.02)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class MuonMlp : IMlp
{
    [Parameter(IMlp.Hidden, IMlp.Inputs, Init = Initialization.KaimingUniform)] public partial Span<float> W1 { get; }
    [Parameter(IMlp.Hidden), Optimize(AdamW, Lr = 1e-2)] public partial Span<float> B1 { get; }
    [Parameter(1, IMlp.Hidden, Init = Initialization.KaimingUniform)] public partial Span<float> W2 { get; }
    [Parameter(1), Optimize(AdamW, Lr = 1e-2)] public partial Span<float> B2 { get; }
}
