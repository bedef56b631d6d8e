using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;

namespace Optim.Training;

/// <summary>
/// What a model's checkpoint holds, and what loading one expects: the model's type name, its optimizer, a description
/// of its layout (stored as a 64-bit hash), and the named sections of values (parameters, state buffers) and named
/// scalars (step count, learning rate, running products) in the order they are written, and the hyperparameters the
/// model was compiled with (recorded in the checkpoint and compared on load). Build one per model type and share it
/// between <see cref="CheckpointWriter{T}"/> and <see cref="CheckpointReader"/>.
/// </summary>
public sealed class CheckpointLayout
{
    private readonly Dictionary<string, int> _sectionIndex = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _scalarIndex = new(StringComparer.Ordinal);

    /// <param name="modelType">The model's type name, e.g. <c>"Mlp"</c>.</param>
    /// <param name="optimizer">The optimizer's name, e.g. <c>"Adam"</c>.</param>
    /// <param name="description">
    /// Everything that must match for a checkpoint to fit: parameter names and shapes, state buffers, groups. Only its
    /// hash is stored, so any change to the text makes older checkpoints refuse to load.
    /// </param>
    /// <param name="sections">The sections of values, in writing order; names are unique.</param>
    /// <param name="scalars">The scalars, in writing order; names are unique.</param>
    /// <param name="hyperparameters">
    /// The values the model was compiled with (learning rate, betas, schedule arguments, …), in writing order; names are
    /// unique. A checkpoint records them, and loading it into a model whose values differ is refused unless the caller
    /// allows it. Null or empty: none.
    /// </param>
    /// <exception cref="ArgumentException">
    /// A name is empty, not valid UTF-16, longer than 65,536 UTF-8 bytes, or used twice; a section length is negative.
    /// </exception>
    public CheckpointLayout(
        string modelType,
        string optimizer,
        string description,
        IReadOnlyList<CheckpointSection> sections,
        IReadOnlyList<CheckpointScalar> scalars,
        IReadOnlyList<CheckpointHyperparameter>? hyperparameters = null)
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(sections);
        ArgumentNullException.ThrowIfNull(scalars);
        ModelType = modelType;
        Optimizer = optimizer;
        Description = description;
        ModelTypeUtf8 = Encode(modelType, nameof(modelType));
        OptimizerUtf8 = Encode(optimizer, nameof(optimizer));
        Hash = Fnv1a64.Hash(Encode(description, nameof(description), allowEmpty: true));

        var sectionCopy = new CheckpointSection[sections.Count];
        for (int i = 0; i < sectionCopy.Length; i++)
        {
            CheckpointSection section = sections[i];
            Encode(section.Name, nameof(sections));
            if (section.Length < 0)
            {
                throw new ArgumentException($"Section '{section.Name}' has a negative length.", nameof(sections));
            }

            if (!_sectionIndex.TryAdd(section.Name, i))
            {
                throw new ArgumentException($"Two sections are named '{section.Name}'.", nameof(sections));
            }

            sectionCopy[i] = section;
        }

        var scalarCopy = new CheckpointScalar[scalars.Count];
        for (int i = 0; i < scalarCopy.Length; i++)
        {
            CheckpointScalar scalar = scalars[i];
            Encode(scalar.Name, nameof(scalars));
            if (scalar.Kind is not (CheckpointScalarKind.WholeNumber or CheckpointScalarKind.RealNumber))
            {
                throw new ArgumentException($"Scalar '{scalar.Name}' has an undefined kind ({(int)scalar.Kind}).", nameof(scalars));
            }

            if (!_scalarIndex.TryAdd(scalar.Name, i))
            {
                throw new ArgumentException($"Two scalars are named '{scalar.Name}'.", nameof(scalars));
            }

            scalarCopy[i] = scalar;
        }

        var hyperparameterCopy = new CheckpointHyperparameter[hyperparameters?.Count ?? 0];
        var hyperparameterNames = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < hyperparameterCopy.Length; i++)
        {
            CheckpointHyperparameter hyperparameter = hyperparameters![i];
            Encode(hyperparameter.Name, nameof(hyperparameters));
            if (!hyperparameterNames.Add(hyperparameter.Name))
            {
                throw new ArgumentException($"Two hyperparameters are named '{hyperparameter.Name}'.", nameof(hyperparameters));
            }

            hyperparameterCopy[i] = hyperparameter;
        }

        Sections = Array.AsReadOnly(sectionCopy);
        Scalars = Array.AsReadOnly(scalarCopy);
        Hyperparameters = Array.AsReadOnly(hyperparameterCopy);
    }

    /// <summary>The model's type name.</summary>
    public string ModelType { get; }

    /// <summary>The optimizer's name.</summary>
    public string Optimizer { get; }

    /// <summary>The layout description whose hash the checkpoint stores.</summary>
    public string Description { get; }

    /// <summary>The 64-bit FNV-1a hash of <see cref="Description"/>'s UTF-8 bytes, as stored in the checkpoint.</summary>
    public ulong Hash { get; }

    /// <summary>The sections of values, in writing order.</summary>
    public ReadOnlyCollection<CheckpointSection> Sections { get; }

    /// <summary>The scalars, in writing order.</summary>
    public ReadOnlyCollection<CheckpointScalar> Scalars { get; }

    /// <summary>The hyperparameters the model was compiled with, in writing order.</summary>
    public ReadOnlyCollection<CheckpointHyperparameter> Hyperparameters { get; }

    internal byte[] ModelTypeUtf8 { get; }

    internal byte[] OptimizerUtf8 { get; }

    /// <summary>The position of section <paramref name="name"/>, or an exception naming it.</summary>
    internal int SectionIndex(string name) =>
        _sectionIndex.TryGetValue(name ?? throw new ArgumentNullException(nameof(name)), out int index)
            ? index
            : throw new ArgumentException($"The layout of '{ModelType}' has no section '{name}'.", nameof(name));

    /// <summary>The position of scalar <paramref name="name"/>, or an exception naming it.</summary>
    internal int ScalarIndex(string name) =>
        _scalarIndex.TryGetValue(name ?? throw new ArgumentNullException(nameof(name)), out int index)
            ? index
            : throw new ArgumentException($"The layout of '{ModelType}' has no scalar '{name}'.", nameof(name));

    private static byte[] Encode(string text, string parameter, bool allowEmpty = false)
    {
        ArgumentNullException.ThrowIfNull(text, parameter);
        if (!allowEmpty && text.Length == 0)
        {
            throw new ArgumentException("A name must not be empty.", parameter);
        }

        byte[] utf8 = StrictUtf8.GetBytes(text, parameter);
        if (!allowEmpty && utf8.Length > CheckpointFormat.MaxNameBytes)
        {
            throw new ArgumentException($"A name is at most {CheckpointFormat.MaxNameBytes} UTF-8 bytes long; '{text[..40]}…' is {utf8.Length}.", parameter);
        }

        return utf8;
    }
}

/// <summary>A named run of values in a checkpoint: one parameter, or one optimizer state buffer.</summary>
/// <param name="Name">The section's name, unique in its layout.</param>
/// <param name="Length">The number of values.</param>
public readonly record struct CheckpointSection(string Name, int Length);

/// <summary>A named scalar in a checkpoint: the step count, the learning rate, a running product, ….</summary>
/// <param name="Name">The scalar's name, unique in its layout.</param>
/// <param name="Kind">Whether it is a 64-bit integer or a double.</param>
public readonly record struct CheckpointScalar(string Name, CheckpointScalarKind Kind);

/// <summary>
/// A compile-time hyperparameter of the model a checkpoint was saved from: <c>Lr</c>, <c>Beta1</c>, <c>Group1.Eps</c>,
/// <c>Schedule.CosineAnnealingLR.TMax</c>, …; flags are 1 (true) or 0 (false).
/// </summary>
/// <param name="Name">The hyperparameter's name, unique in its layout.</param>
/// <param name="Value">Its value; values compare bit for bit.</param>
public readonly record struct CheckpointHyperparameter(string Name, double Value);

/// <summary>The type of a checkpoint scalar; the numeric values are the format's kind codes.</summary>
public enum CheckpointScalarKind : byte
{
    /// <summary>A 64-bit signed integer (a step count, a schedule position).</summary>
    WholeNumber = 0,

    /// <summary>A double (a learning rate, a running product such as β₁ᵗ).</summary>
    RealNumber = 1,
}
