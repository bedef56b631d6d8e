using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

namespace Optim.Generators.Model;

/// <summary>The hyperparameter values of one model, defaults filled in, looked up by name.</summary>
internal sealed class HyperValues
{
    private readonly Dictionary<string, double> _values;

    public HyperValues(IEnumerable<OptimizerSpec.Value> values, ElementType element = ElementType.Float)
    {
        _values = values.ToDictionary(v => v.Name, v => v.Number);
        Element = element;
    }

    /// <summary>The model's element type (for defaults that depend on it, like a machine epsilon).</summary>
    public ElementType Element { get; }

    /// <summary>The machine epsilon of the element type: 2⁻²³ for float, 2⁻⁵² for double.</summary>
    public double MachineEpsilon => Element == ElementType.Float ? 1.1920928955078125e-07 : 2.220446049250313e-16;

    public double this[string name] => _values[name];

    public bool Flag(string name) => _values[name] != 0;
}

/// <summary>A hyperparameter combination that is invalid although each value is in range.</summary>
/// <param name="Blame">The hyperparameter the diagnostic points at.</param>
/// <param name="Reason">Why the combination is invalid.</param>
internal sealed record ComboError(string Blame, string Reason);

/// <summary>
/// What Optim knows about one optimizer: its hyperparameters (names, defaults, ranges), the rules that tie
/// them together, and how to build its <see cref="UpdateRule"/> from their values.
/// </summary>
internal sealed class OptimizerDefinition
{
    private readonly Func<HyperValues, IEnumerable<ComboError>> _check;
    private readonly Func<HyperValues, UpdateRule> _build;

    public OptimizerDefinition(
        int id,
        string name,
        ImmutableArray<Hyperparameter> hyperparameters,
        Func<HyperValues, UpdateRule> build,
        Func<HyperValues, IEnumerable<ComboError>>? check = null,
        bool requiresMatrices = false)
    {
        RequiresMatrices = requiresMatrices;
        Id = id;
        Name = name;
        Hyperparameters = hyperparameters;
        _build = build;
        _check = check ?? (_ => Enumerable.Empty<ComboError>());
    }

    /// <summary>The value of the <c>Optim.Optimizer</c> enum.</summary>
    public int Id { get; }

    /// <summary>The enum member's name.</summary>
    public string Name { get; }

    public ImmutableArray<Hyperparameter> Hyperparameters { get; }

    /// <summary>Whether every parameter must be a matrix (two dimensions), as Muon's orthogonalization needs.</summary>
    public bool RequiresMatrices { get; }

    public Hyperparameter? Find(string name) => Hyperparameters.FirstOrDefault(h => h.Name == name);

    public IEnumerable<ComboError> CheckCombination(HyperValues values) => _check(values);

    /// <summary>The rule for these hyperparameters; a custom optimizer passes the rule its [UpdateRule] method compiled to.</summary>
    public UpdateRule Build(OptimizerSpec spec, ElementType element = ElementType.Float, UpdateRule? custom = null)
    {
        var values = new HyperValues(spec.Values, element);
        return (custom ?? _build(values)) with { Settings = Describe(values) };
    }

    /// <summary>"Lr = 0.001, Beta1 = 0.9, ..." in declaration order.</summary>
    public string Describe(HyperValues values) =>
        string.Join(", ", Hyperparameters.Select(h => $"{h.Name} = {h.Format(values[h.Name])}"));
}
