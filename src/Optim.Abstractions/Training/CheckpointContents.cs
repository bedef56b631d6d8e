using System;
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

    internal CheckpointContents(CheckpointLayout layout, T[][] sections, ulong[] scalars)
    {
        Layout = layout;
        _sections = sections;
        _scalars = scalars;
    }

    /// <summary>The layout the checkpoint was checked against.</summary>
    public CheckpointLayout Layout { get; }

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
