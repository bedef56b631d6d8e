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
}
