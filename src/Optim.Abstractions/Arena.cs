using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Optim;

/// <summary>
/// The one allocation a generated model makes: a pinned array holding its parameters, gradients and
/// optimizer state, whose first element sits on a 64-byte boundary so every section of the arena starts
/// on a cache line and vector loads never split one.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct Arena<T>
    where T : unmanaged
{
    /// <summary>Alignment of the arena's first element, in bytes.</summary>
    public const int Alignment = 64;

    private readonly T[] _array;
    private readonly int _origin;

    /// <summary>Allocates a zeroed arena of <paramref name="length"/> elements on the pinned object heap.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative or too large.</exception>
    /// <exception cref="InsufficientMemoryException">
    /// (An <see cref="OutOfMemoryException"/>.) The memory is not available; the message says how much was asked for.
    /// </exception>
    public Arena(int length)
        : this(length, null)
    {
    }

    /// <summary>
    /// Allocates a zeroed arena of <paramref name="length"/> elements on the pinned object heap for the model named
    /// <paramref name="owner"/> (generated models pass their type's name, so that a failed allocation names them).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative or too large.</exception>
    /// <exception cref="InsufficientMemoryException">
    /// (An <see cref="OutOfMemoryException"/>.) The memory is not available. The message names <paramref name="owner"/> and the bytes asked for; the runtime's
    /// own exception is the inner exception.
    /// </exception>
    public Arena(int length, string? owner)
    {
        int slack = Alignment / Unsafe.SizeOf<T>();
        if (length < 0 || length > Array.MaxLength - slack)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "An arena holds between 0 and Array.MaxLength elements.");
        }

        try
        {
            _array = GC.AllocateArray<T>(length + slack, pinned: true);
        }
        catch (OutOfMemoryException e)
        {
            throw OutOfMemory(length, slack, owner, e);
        }

        _origin = OriginOf(_array);
        Length = length;
    }

    /// <summary>Number of usable elements.</summary>
    public int Length { get; }

    /// <summary>A reference to the first (64-byte aligned) element.</summary>
    public ref T Origin => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_array), _origin);

    /// <summary>The whole arena.</summary>
    public Span<T> Span => new(_array, _origin, Length);

    /// <summary>A view of <paramref name="length"/> elements starting at <paramref name="start"/>.</summary>
    public Span<T> Slice(int start, int length) => new(_array, _origin + start, length);

    private static InsufficientMemoryException OutOfMemory(int length, int slack, string? owner, OutOfMemoryException inner)
    {
        long bytes = ((long)length + slack) * Unsafe.SizeOf<T>();
        string who = owner is null ? $"An Optim arena of {typeof(T).Name}" : $"Model {owner}";
        return new InsufficientMemoryException(string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"{who} could not allocate its arena: {bytes:N0} bytes ({bytes / (1024.0 * 1024 * 1024):F2} GiB; {length:N0} {typeof(T).Name} elements for ")
            + "parameters, gradients and optimizer state, plus alignment) are not available to this process.",
            inner);
    }

    // The array is pinned for its whole life, so the address and thus the offset never change.
    private static int OriginOf(T[] array) => KernelMath.ElementsToLine(ref MemoryMarshal.GetArrayDataReference(array));
}
