using System.Collections.Generic;
using System.Linq;
using Optim.Generators.Common;
using Optim.Generators.Model.Schedules;

namespace Optim.Generators.Model;

/// <summary>The element type of a model's parameters.</summary>
internal enum ElementType
{
    Float,
    Double,
}

/// <summary>Facts about an element type that layout and emission share.</summary>
internal static class ElementTypeFacts
{
    /// <summary>Elements per 64-byte cache line (the width of the widest vector).</summary>
    public static int PerLine(this ElementType element) => element == ElementType.Float ? 16 : 8;
}

/// <summary>The chosen optimizer and the value of every hyperparameter it has (defaults filled in).</summary>
internal sealed record OptimizerSpec(int Id, EquatableArray<OptimizerSpec.Value> Values)
{
    /// <summary>A hyperparameter's value; flags are 0 or 1.</summary>
    internal sealed record Value(string Name, double Number);
}

/// <summary>The fused gradient services of [Optimize(ClipGradNorm = …, SkipNonFinite = …)].</summary>
/// <param name="ClipGradNorm">The largest gradient norm, or 0 for no clipping.</param>
/// <param name="SkipNonFinite">Whether a step with a NaN or infinite gradient changes nothing.</param>
internal sealed record GradientServices(double ClipGradNorm, bool SkipNonFinite)
{
    public bool Clips => ClipGradNorm > 0;

    /// <summary>Whether Step() first reads every gradient (for the norm, the finiteness check or both).</summary>
    public bool Any => Clips || SkipNonFinite;
}

/// <summary>One type declaration to reopen: <c>partial {Keyword} {Name}</c>.</summary>
/// <param name="Keyword">"class", "record", "struct", ...</param>
/// <param name="Name">Name with type parameters, e.g. "Model&lt;T&gt;".</param>
internal sealed record TypeHeader(string Keyword, string Name);

/// <summary>One <c>[Parameter]</c> property.</summary>
/// <param name="Name">Property name.</param>
/// <param name="Modifiers">The declaration's modifiers, verbatim (the implementation must repeat them).</param>
/// <param name="Accessibility">Its accessibility keywords, given to the gradient view too.</param>
/// <param name="Shape">Dimensions, outermost first (empty for a scalar).</param>
/// <param name="Offset">Offset of its first element in the parameter section (parameters sit group by group).</param>
/// <param name="Length">Number of elements.</param>
/// <param name="Group">Its parameter group: 0 for the class's [Optimize], else the index into <see cref="ModelSpec.PropertyGroups"/> plus 1.</param>
/// <param name="Init">How Initialize(seed) fills it; null for zeros.</param>
/// <param name="TensorName">Its name in .safetensors files when not the property's (a layer's "0.weight").</param>
internal sealed record ParameterSpec(string Name, string Modifiers, string Accessibility, EquatableArray<int> Shape, int Offset, int Length, int Group = 0, InitSpec? Init = null, string? TensorName = null)
{
    /// <summary>Its tensor's name in .safetensors files: a layer's PyTorch state_dict key, else the property's name.</summary>
    public string FileName => TensorName ?? Name.TrimStart('@');
}

/// <summary>
/// A parameter's [Parameter(Init = …)]: the member of Optim.Initialization and the arguments its initializer takes,
/// already validated.
/// </summary>
/// <param name="Scheme">The Optim.Initialization member's name ("Uniform", "KaimingNormal", …).</param>
/// <param name="Arguments">Its arguments after the span, shape and seed, as C# literals (e.g. "-0.5", "1.0").</param>
/// <param name="TakesShape">Whether the initializer takes the shape (the fan-based schemes).</param>
/// <param name="Math">The distribution, for the doc comment (e.g. "U(−0.5, 0.5)").</param>
internal sealed record InitSpec(string Scheme, EquatableArray<string> Arguments, bool TakesShape, string Math);

/// <summary>Everything the emitter needs for one model, made only of strings, numbers and equatable arrays.</summary>
/// <param name="Namespace">Containing namespace, empty for the global namespace.</param>
/// <param name="ContainingTypes">Types that contain the model, outermost first.</param>
/// <param name="Type">The model class itself.</param>
/// <param name="HintName">File name of the generated source.</param>
/// <param name="Element">Element type of every parameter.</param>
/// <param name="Parameters">Parameters in declaration order.</param>
/// <param name="Optimizer">Chosen optimizer and hyperparameters.</param>
/// <param name="Threads">The attribute's Threads: 0 automatic, 1 single-threaded, n up to n threads.</param>
/// <param name="Schedule">The compile-time learning-rate schedule, if the model declares one.</param>
/// <param name="PropertyGroups">Optimizers chosen by [Optimize] on parameter properties, one per distinct choice.</param>
/// <param name="CustomRule">The rule compiled from the class's [UpdateRule] method, when a group uses Optimizer.Custom.</param>
/// <param name="Services">Gradient clipping and the non-finite skip, applied to every group before the update.</param>
/// <param name="Network">The network read from the class's layers and [Forward] method, if it declares one.</param>
internal sealed record ModelSpec(
    string Namespace,
    EquatableArray<TypeHeader> ContainingTypes,
    TypeHeader Type,
    string HintName,
    ElementType Element,
    EquatableArray<ParameterSpec> Parameters,
    OptimizerSpec Optimizer,
    int Threads,
    ScheduleSpec? Schedule,
    EquatableArray<OptimizerSpec> PropertyGroups = default,
    UpdateRule? CustomRule = null,
    GradientServices? Services = null,
    Networks.NetworkSpec? Network = null)
{
    /// <summary>The update rule of one of the model's groups, reading clipped gradients when the model clips.</summary>
    public UpdateRule RuleFor(OptimizerSpec group)
    {
        UpdateRule rule = OptimizerCatalog.Find(group.Id)!.Build(group, Element, group.Id == Optimizers.Custom.Id ? CustomRule : null);
        return Services is { Clips: true } ? Lowering.GradientClipping.Apply(rule) : rule;
    }

    /// <summary>Every group's optimizer: the class's first, then <see cref="PropertyGroups"/>.</summary>
    public IReadOnlyList<OptimizerSpec> Groups => new[] { Optimizer }.Concat(PropertyGroups).ToList();

    /// <summary>Same as Optim.OptimizeAttribute.AutomaticParallelThreshold (a test keeps them equal).</summary>
    public const int AutomaticParallelThreshold = 1 << 19;

    /// <summary>Whether Step() splits its loop across threads.</summary>
    public bool IsParallel => Threads >= 2 || (Threads == 0 && ParameterCount >= AutomaticParallelThreshold);

    /// <summary>Total number of trainable values.</summary>
    public int ParameterCount => Parameters.Sum(p => p.Length);
}
