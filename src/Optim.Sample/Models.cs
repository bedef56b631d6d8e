using System;
using static Optim.Optimizer;

namespace Optim.Sample;

/// <summary>
/// The sample network, written once: <c>nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 1))</c> trained on the
/// mean squared error. The generator reads <see cref="Forward"/> and writes, for every optimizer class below, the batched
/// forward pass, the loss and the backward pass (<c>TrainStep</c>, <c>Predict</c>); the layers start as PyTorch's do.
/// Module names follow the Sequential's state_dict ("0.weight", "2.bias").
/// </summary>
internal abstract class SeedNetwork
{
    /// <summary>Number of input features.</summary>
    internal const int Inputs = 10;

    /// <summary>Number of hidden units.</summary>
    internal const int HiddenUnits = 5;

    [Linear(Inputs, HiddenUnits, Module = "0", WeightInit = Initialization.KaimingUniform, BiasInit = Initialization.Zeros)] public abstract Linear<float> Hidden { get; }

    [Linear(HiddenUnits, 1, Module = "2", WeightInit = Initialization.KaimingUniform, BiasInit = Initialization.Zeros)] public abstract Linear<float> Output { get; }

    [Forward(MaxBatch = TrainCommand.BatchSize, Criterion = Criterion.MeanSquared)]
    public Tensor<float> Forward([Shape(Inputs)] Tensor<float> x) => Output.Forward(Nn.Relu(Hidden.Forward(x)));
}

/// <summary>
/// What the trainer needs of a model: the members Optim generates for a network (or, for
/// <see cref="HandWritten.HandWrittenAdamMlp"/>, writes by hand), implemented implicitly.
/// </summary>
internal interface ISeedMlp : IOptimizable<float>
{
    /// <summary>Zero-grad, forward, loss, backward and Step() on one batch; returns the loss before the step.</summary>
    float TrainStep(ReadOnlySpan<float> x, ReadOnlySpan<float> target, int batch);

    /// <summary>The network's outputs for a batch.</summary>
    void Predict(ReadOnlySpan<float> x, Span<float> output, int batch);

    /// <summary>Draws every parameter again from <paramref name="seed"/> (PyTorch's default schemes for the layers).</summary>
    void Initialize(int seed);
}

// The same network for every optimizer; only the [Optimize] line differs. Optim generates storage, gradients,
// optimizer state, the passes, Initialize(seed), Step() and ZeroGrad() for each at compile time. Each follows the same
// learning-rate schedule, compiled into its Step(): a linear warm-up from a tenth of the rate, then cosine annealing to
// zero by the last step (PyTorch's SequentialLR of LinearLR and CosineAnnealingLR).

/// <summary>The MLP trained with plain stochastic gradient descent.</summary>
[Optimize(Sgd, Lr = 0.1)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class SgdMlp : SeedNetwork, ISeedMlp;

/// <summary>The MLP trained with heavy-ball momentum (an exponential moving average of the gradients).</summary>
[Optimize(Momentum, Lr = 0.1, Beta = 0.9)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class MomentumMlp : SeedNetwork, ISeedMlp;

/// <summary>The MLP trained with Adam.</summary>
[Optimize(Adam, Lr = 1e-2)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class AdamMlp : SeedNetwork, ISeedMlp;

/// <summary>
/// The MLP trained with Adam and the training services of the checkpoint command: gradients clipped to norm 1 in the
/// step (LastGradNorm reports the norm before clipping), and steps with a NaN or infinite gradient skipped.
/// </summary>
[Optimize(Adam, Lr = 1e-2, ClipGradNorm = 1.0, SkipNonFinite = true)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class ServicedAdamMlp : SeedNetwork, ISeedMlp;

/// <summary>The MLP trained with RMSprop.</summary>
[Optimize(RmsProp, Lr = 3e-3)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class RmsPropMlp : SeedNetwork, ISeedMlp;

/// <summary>The MLP trained with Adagrad.</summary>
[Optimize(Adagrad, Lr = 5e-2)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class AdagradMlp : SeedNetwork, ISeedMlp;

/// <summary>The MLP trained with Adadelta.</summary>
[Optimize(Adadelta, Lr = 1.0)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class AdadeltaMlp : SeedNetwork, ISeedMlp;

/// <summary>The MLP trained with Adamax.</summary>
[Optimize(Adamax, Lr = 2e-2)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class AdamaxMlp : SeedNetwork, ISeedMlp;

/// <summary>The MLP trained with NAdam.</summary>
[Optimize(NAdam, Lr = 1e-2)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class NAdamMlp : SeedNetwork, ISeedMlp;

/// <summary>The MLP trained with RAdam.</summary>
[Optimize(RAdam, Lr = 1e-2)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class RAdamMlp : SeedNetwork, ISeedMlp;

/// <summary>The MLP trained with Rprop.</summary>
[Optimize(Rprop, Lr = 1e-3)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class RpropMlp : SeedNetwork, ISeedMlp;

/// <summary>The MLP trained with ASGD.</summary>
[Optimize(Asgd, Lr = 0.1)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class AsgdMlp : SeedNetwork, ISeedMlp;

/// <summary>The MLP trained with Lion.</summary>
[Optimize(Lion, Lr = 1e-3)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class LionMlp : SeedNetwork, ISeedMlp;

/// <summary>The MLP trained with LAMB.</summary>
[Optimize(Lamb, Lr = 1e-2)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class LambMlp : SeedNetwork, ISeedMlp;

/// <summary>The MLP trained with Adafactor.</summary>
[Optimize(Adafactor, Lr = 1e-2)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class AdafactorMlp : SeedNetwork, ISeedMlp;

/// <summary>The MLP trained with AdamW.</summary>
[Optimize(AdamW, Lr = 1e-2)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class AdamWMlp : SeedNetwork, ISeedMlp;

/// <summary>
/// The MLP with Muon for its weight matrices and AdamW for its biases (Muon only takes matrices): a parameter group per
/// layer. Its layers are declared here, not inherited, to carry their own [Optimize].
/// </summary>
[Optimize(AdamW, Lr = 1e-2)]
[LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = TrainCommand.TotalSteps - TrainCommand.WarmupSteps, WarmupSteps = TrainCommand.WarmupSteps)]
internal sealed partial class MuonMlp : ISeedMlp
{
    [Linear(SeedNetwork.Inputs, SeedNetwork.HiddenUnits, Module = "0", WeightInit = Initialization.KaimingUniform, BiasInit = Initialization.Zeros), Optimize(Muon, Lr = 0.02)] public partial Linear<float> Hidden { get; }

    [Linear(SeedNetwork.HiddenUnits, 1, Module = "2", WeightInit = Initialization.KaimingUniform, BiasInit = Initialization.Zeros), Optimize(Muon, Lr = 0.02)] public partial Linear<float> Output { get; }

    [Forward(MaxBatch = TrainCommand.BatchSize, Criterion = Criterion.MeanSquared)]
    public Tensor<float> Forward([Shape(SeedNetwork.Inputs)] Tensor<float> x) => Output.Forward(Nn.Relu(Hidden.Forward(x)));
}
