namespace Optim;

/// <summary>
/// The optimization algorithms Optim can generate. Import with <c>using static Optim.Optimizer;</c>
/// so that <c>[Optimize(Adam, Lr = 1e-3)]</c> reads like PyTorch.
/// </summary>
public enum Optimizer
{
    /// <summary>
    /// PyTorch's <c>torch.optim.SGD</c>: Lr, Momentum, Dampening, Nesterov, WeightDecay (L2), Maximize.
    /// </summary>
    Sgd = 0,

    /// <summary>
    /// Heavy-ball momentum as an exponential moving average: <c>v = Beta*v + (1-Beta)*g; w -= Lr*v</c>, v starting at 0.
    /// Hyperparameters: Lr, Beta.
    /// </summary>
    Momentum = 1,

    /// <summary>
    /// PyTorch's <c>torch.optim.Adam</c>: Lr, Beta1, Beta2, Eps, WeightDecay (L2 added to the gradient), Amsgrad, Maximize.
    /// </summary>
    Adam = 2,

    /// <summary>
    /// PyTorch's <c>torch.optim.AdamW</c>: Adam with decoupled weight decay <c>w *= 1 - Lr*WeightDecay</c> (default 0.01).
    /// </summary>
    AdamW = 3,

    /// <summary>
    /// PyTorch's <c>torch.optim.RMSprop</c>: Lr (1e-2), Alpha (0.99), Eps (1e-8), WeightDecay, Momentum, Centered, Maximize.
    /// </summary>
    RmsProp = 4,

    /// <summary>
    /// PyTorch's <c>torch.optim.Adagrad</c>: Lr (1e-2), LrDecay, WeightDecay, InitialAccumulatorValue, Eps (1e-10), Maximize.
    /// </summary>
    Adagrad = 5,

    /// <summary>PyTorch's <c>torch.optim.Adadelta</c>: Lr (1.0), Rho (0.9), Eps (1e-6), WeightDecay, Maximize.</summary>
    Adadelta = 6,

    /// <summary>PyTorch's <c>torch.optim.Adamax</c>: Lr (2e-3), Beta1, Beta2, Eps, WeightDecay, Maximize.</summary>
    Adamax = 7,

    /// <summary>
    /// PyTorch's <c>torch.optim.NAdam</c>: Lr (2e-3), Beta1, Beta2, Eps, WeightDecay, MomentumDecay (4e-3),
    /// DecoupledWeightDecay, Maximize.
    /// </summary>
    NAdam = 8,

    /// <summary>PyTorch's <c>torch.optim.RAdam</c>: Lr (1e-3), Beta1, Beta2, Eps, WeightDecay, DecoupledWeightDecay, Maximize.</summary>
    RAdam = 9,

    /// <summary>
    /// PyTorch's <c>torch.optim.Rprop</c>: Lr (1e-2), EtaMinus (0.5), EtaPlus (1.2), StepSizeMin (1e-6), StepSizeMax (50), Maximize.
    /// </summary>
    Rprop = 10,

    /// <summary>
    /// PyTorch's <c>torch.optim.ASGD</c>: Lr (1e-2), Lambd (1e-4), Alpha (0.75), T0 (1e6), WeightDecay, Maximize. The averaged
    /// parameters are exposed as <c>{Parameter}Averaged</c> and <c>AveragedParameters</c>.
    /// </summary>
    Asgd = 11,

    /// <summary>
    /// Lion (Chen et al. 2023): <c>w *= 1 - Lr*WeightDecay; w -= Lr*sign(Beta1*m + (1-Beta1)*g); m = Beta2*m + (1-Beta2)*g</c>.
    /// Lr (1e-4), Beta1 (0.9), Beta2 (0.99), WeightDecay (decoupled), Maximize.
    /// </summary>
    Lion = 12,

    /// <summary>
    /// LAMB (You et al. 2019, Algorithm 2): Adam's bias-corrected direction plus decoupled weight decay, scaled per parameter
    /// tensor by the trust ratio ‖w‖/‖r‖ (1 when either is 0). Lr (1e-3), Beta1 (0.9), Beta2 (0.999), Eps (1e-6), WeightDecay (0).
    /// </summary>
    Lamb = 13,

    /// <summary>
    /// PyTorch's <c>torch.optim.Adafactor</c>: relative step size min(Lr, 1/√t) scaled by the parameter RMS (at least Eps2),
    /// a second moment factored into row and column averages for matrices (a full one for vectors), and update clipping by
    /// the update's RMS over D. Lr (1e-2), Beta2Decay (−0.8), Eps1 (machine epsilon of the element type), Eps2 (1e-3),
    /// D (1.0), WeightDecay (0, decoupled), Maximize.
    /// </summary>
    Adafactor = 14,

    /// <summary>
    /// PyTorch's <c>torch.optim.Muon</c> (2.9): momentum, then each matrix's update orthogonalized by NsSteps Newton–Schulz
    /// iterations in the element type, scaled by the shape-adjusted rate. Lr (1e-3), WeightDecay (0.1, decoupled), Momentum
    /// (0.95), Nesterov (true), Eps (1e-7), NsSteps (5), MatchRmsAdamW (false: PyTorch's adjust_lr_fn "original").
    /// Every parameter must be a matrix (OPT0030).
    /// </summary>
    Muon = 15,

    /// <summary>
    /// Your own rule: the class's one <c>[UpdateRule]</c> static method, written for one element in plain C#, compiled by
    /// the generator into the same fused, vectorised <c>Step()</c> the built-in optimizers get. The generated step gives,
    /// bit for bit, what calling the method once per element gives. Lr (1e-3) is the rate passed as its <c>lr</c>.
    /// </summary>
    Custom = 16,
}
