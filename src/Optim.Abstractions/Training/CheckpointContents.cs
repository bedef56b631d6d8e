using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Numerics;
using static System.FormattableString;

namespace Optim.Training;

/// <summary>
/// A checkpoint that <see cref="CheckpointReader"/> has read in full, checked and found to fit its layout. Copying
/// out of it cannot fail for a reason in the file, so a model restores either every value or none.
/// </summary>
/// <typeparam name="T">The model's element type.</typeparam>
public sealed class CheckpointContents<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[][] _sections;
    private readonly ulong[] _scalars;

    internal CheckpointContents(CheckpointLayout layout, T[][] sections, ulong[] scalars, uint formatVersion, IReadOnlyList<CheckpointHyperparameter>? hyperparameters, bool hyperparametersMatch)
    {
        Layout = layout;
        _sections = sections;
        _scalars = scalars;
        FormatVersion = formatVersion;
        Hyperparameters = hyperparameters is null ? null : new ReadOnlyCollection<CheckpointHyperparameter>([.. hyperparameters]);
        HyperparametersMatch = hyperparametersMatch;
    }

    /// <summary>The layout the checkpoint was checked against.</summary>
    public CheckpointLayout Layout { get; }

    /// <summary>The format version of the file: 2 today, 1 for checkpoints written before hyperparameters were recorded.</summary>
    public uint FormatVersion { get; }

    /// <summary>The hyperparameters the checkpoint was saved with, as recorded; null for a version-1 checkpoint, which does not record them.</summary>
    public ReadOnlyCollection<CheckpointHyperparameter>? Hyperparameters { get; }

    /// <summary>
    /// Whether the checkpoint's state was produced under the layout's hyperparameters: true when it records exactly the
    /// layout's, false when the read allowed other ones. A version-1 checkpoint records none: true (assumed) unless the
    /// read allowed hyperparameter changes.
    /// </summary>
    public bool HyperparametersMatch { get; }

    /// <summary>The values of section <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The layout has no section <paramref name="name"/>.</exception>
    public ReadOnlySpan<T> GetSection(string name) => _sections[Layout.SectionIndex(name)];

    /// <summary>Copies section <paramref name="name"/> into <paramref name="destination"/>, which must have its length.</summary>
    /// <exception cref="ArgumentException">
    /// The layout has no section <paramref name="name"/>, or <paramref name="destination"/>'s length differs from the
    /// section's (nothing is copied).
    /// </exception>
    public void CopySectionTo(string name, Span<T> destination)
    {
        T[] values = _sections[Layout.SectionIndex(name)];
        if (destination.Length != values.Length)
        {
            throw new ArgumentException(Invariant($"Section '{name}' has {values.Length} values but the destination holds {destination.Length}."), nameof(destination));
        }

        values.CopyTo(destination);
    }

    /// <summary>The 64-bit integer scalar <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The layout has no scalar <paramref name="name"/>, or it is a double.</exception>
    public long GetInt64(string name) => (long)Scalar(name, CheckpointScalarKind.WholeNumber);

    /// <summary>The double scalar <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The layout has no scalar <paramref name="name"/>, or it is a 64-bit integer.</exception>
    public double GetDouble(string name) => BitConverter.UInt64BitsToDouble(Scalar(name, CheckpointScalarKind.RealNumber));

    private ulong Scalar(string name, CheckpointScalarKind kind)
    {
        int index = Layout.ScalarIndex(name);
        CheckpointScalarKind actual = Layout.Scalars[index].Kind;
        return actual == kind
            ? _scalars[index]
            : throw new ArgumentException($"Scalar '{name}' is {CheckpointFormat.Describe(actual)}, not {CheckpointFormat.Describe(kind)}.", nameof(name));
    }
}
