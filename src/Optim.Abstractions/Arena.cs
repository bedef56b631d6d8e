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
    public Arena(int length)
    {
        int slack = Alignment / Unsafe.SizeOf<T>();
        if (length < 0 || length > Array.MaxLength - slack)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "An arena holds between 0 and Array.MaxLength elements.");
        }

        _array = GC.AllocateArray<T>(length + slack, pinned: true);
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

    private static unsafe int OriginOf(T[] array)
    {
        // The array is pinned for its whole life, so the address and thus the offset never change.
        nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        nuint misalignment = address % Alignment;
        return misalignment == 0 ? 0 : (int)((Alignment - misalignment) / (nuint)Unsafe.SizeOf<T>());
    }
}
