using System;

namespace Optim;

/// <summary>
/// Asks the Optim source generator to complete this partial class with parameter storage, gradient buffers,
/// optimizer state and allocation-free <c>Step()</c> / <c>ZeroGrad()</c>.
/// </summary>
/// <remarks>
/// On a <c>[Parameter]</c> property, the attribute puts that parameter in its own group: another optimizer (with that
/// optimizer's defaults), or the class's optimizer with other hyperparameters (unnamed ones inherit the class's values).
/// Each group keeps its own fused loop; the model still steps with one <c>Step()</c>, and a group with its own Lr follows
/// <c>LearningRate</c> in proportion.
/// Hyperparameters have PyTorch's meaning and PyTorch's names in PascalCase. A hyperparameter left unnamed
/// takes PyTorch's default for the chosen optimizer. Naming one the optimizer does not use is a warning (OPT0008).
/// Every value is a compile-time constant, except the learning rate, which the generated
/// <c>LearningRate</c> property lets you change while training.
/// </remarks>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class OptimizeAttribute : Attribute
{
    /// <summary>Selects the optimization algorithm.</summary>
    public OptimizeAttribute(Optimizer optimizer) => Optimizer = optimizer;

    /// <summary>The optimization algorithm.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Initial learning rate (all optimizers; default 1e-3).</summary>
    public double Lr { get; set; }

    /// <summary>SGD and RMSprop momentum factor (default 0).</summary>
    public double Momentum { get; set; }

    /// <summary>SGD dampening for momentum (default 0).</summary>
    public double Dampening { get; set; }

    /// <summary>SGD Nesterov momentum (default false; needs Momentum &gt; 0 and Dampening = 0).</summary>
    public bool Nesterov { get; set; }

    /// <summary>Weight decay: L2 penalty for SGD and Adam, decoupled decay for AdamW (default 0; AdamW 0.01).</summary>
    public double WeightDecay { get; set; }

    /// <summary>Maximize the objective instead of minimizing it (every optimizer but Momentum; default false).</summary>
    public bool Maximize { get; set; }

    /// <summary>Momentum optimizer's averaging coefficient (default 0.9).</summary>
    public double Beta { get; set; }

    /// <summary>Adam's first-moment coefficient (default 0.9).</summary>
    public double Beta1 { get; set; }

    /// <summary>Adam's second-moment coefficient (default 0.999).</summary>
    public double Beta2 { get; set; }

    /// <summary>Term added to the denominator for numerical stability (default 1e-8; Adagrad 1e-10, Adadelta 1e-6).</summary>
    public double Eps { get; set; }

    /// <summary>Use the AMSGrad variant of Adam / AdamW (default false).</summary>
    public bool Amsgrad { get; set; }

    /// <summary>RMSprop's smoothing constant (default 0.99); ASGD's power for the η update (default 0.75).</summary>
    public double Alpha { get; set; }

    /// <summary>RMSprop: normalise by the estimated variance of the gradient (default false).</summary>
    public bool Centered { get; set; }

    /// <summary>Adagrad's learning-rate decay (default 0).</summary>
    public double LrDecay { get; set; }

    /// <summary>Adagrad's starting value of the sum of squared gradients (default 0).</summary>
    public double InitialAccumulatorValue { get; set; }

    /// <summary>Adadelta's coefficient for the running averages (default 0.9).</summary>
    public double Rho { get; set; }

    /// <summary>NAdam's momentum decay ψ (default 4e-3).</summary>
    public double MomentumDecay { get; set; }

    /// <summary>NAdam and RAdam: decay weights as AdamW does instead of adding an L2 term to the gradient (default false).</summary>
    public bool DecoupledWeightDecay { get; set; }

    /// <summary>Rprop's multiplicative decrease factor (default 0.5).</summary>
    public double EtaMinus { get; set; }

    /// <summary>Rprop's multiplicative increase factor (default 1.2).</summary>
    public double EtaPlus { get; set; }

    /// <summary>Rprop's smallest step size (default 1e-6).</summary>
    public double StepSizeMin { get; set; }

    /// <summary>Rprop's largest step size (default 50).</summary>
    public double StepSizeMax { get; set; }

    /// <summary>ASGD's decay term λ (default 1e-4).</summary>
    public double Lambd { get; set; }

    /// <summary>ASGD's step at which averaging starts (default 1e6).</summary>
    public double T0 { get; set; }

    /// <summary>Adafactor's decay rate of β₂: 1 − β₂ₜ = t^Beta2Decay (default −0.8).</summary>
    public double Beta2Decay { get; set; }

    /// <summary>Adafactor's floor of the second-moment estimate (default: the machine epsilon of the element type).</summary>
    public double Eps1 { get; set; }

    /// <summary>Adafactor's floor of the parameter RMS in the relative step size (default 1e-3).</summary>
    public double Eps2 { get; set; }

    /// <summary>Adafactor's update-clipping threshold (default 1.0).</summary>
    public double D { get; set; }

    /// <summary>Muon's Newton–Schulz iterations (default 5).</summary>
    public int NsSteps { get; set; }

    /// <summary>
    /// Muon: scale the learning rate by 0.2·√max(rows, cols) to match AdamW's update RMS (PyTorch's adjust_lr_fn
    /// "match_rms_adamw"); false (the default) uses √max(1, rows/cols) ("original").
    /// </summary>
    public bool MatchRmsAdamW { get; set; }

    /// <summary>
    /// Threads one <c>Step()</c> may use. 0 (the default) is automatic: models of at least
    /// <see cref="AutomaticParallelThreshold"/> parameters split each step across the machine's processors,
    /// smaller ones stay on the calling thread. 1 always stays on the calling thread; n ≥ 2 uses up to n threads
    /// whatever the size (each thread gets at least <see cref="StepWorkers.MinimumSlice"/> elements).
    /// </summary>
    public int Threads { get; set; }

    /// <summary>
    /// Clips gradients by their global norm before every step, as <c>torch.nn.utils.clip_grad_norm_(max_norm)</c>: the L2
    /// norm ‖g‖ of all the model's gradients (every group) is computed in one pass before the update, and the update uses
    /// g · min(1, ClipGradNorm / (‖g‖ + 1e−6)). The model then exposes <c>LastGradNorm</c>. 0 (the default) does not clip.
    /// Applies to the whole model: set it on the class.
    /// </summary>
    public double ClipGradNorm { get; set; }

    /// <summary>
    /// Skips a step whose gradients hold a NaN or an infinity (optax's <c>apply_if_finite</c>): parameters, optimizer
    /// state, step count and schedule position stay as they were, and the model's <c>SkippedSteps</c> counts it. Checked
    /// in the same pass as <see cref="ClipGradNorm"/>'s norm. Applies to the whole model: set it on the class.
    /// </summary>
    public bool SkipNonFinite { get; set; }

    /// <summary>Parameter count from which <see cref="Threads"/> = 0 makes <c>Step()</c> parallel.</summary>
    public const int AutomaticParallelThreshold = 1 << 19;
}
