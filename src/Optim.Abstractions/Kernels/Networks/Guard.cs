using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Optim.Kernels;

/// <summary>
/// The one check every network kernel makes before it addresses memory by reference: each span holds at least the
/// values its shape arguments name. A wrong plan fails with an exception naming the buffer, never a read or write
/// outside it. (Values such as class or embedding indices are the caller's to validate.)
/// </summary>
internal static class Guard
{
    /// <summary>
    /// Throws unless <paramref name="length"/> ≥ <paramref name="needed"/> (computed in 64 bits, so no shape overflows it).
    /// The checks inline (a small kernel makes a dozen per call) and the throws live in methods of their own.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Fits(int length, long needed, string buffer)
    {
        if ((ulong)needed > (ulong)length)
        {
            TooShort(length, needed, buffer);
        }
    }

    /// <summary>Throws unless every size is at least 1 (and a stride, when given, too).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Positive(int value, string name)
    {
        if (value < 1)
        {
            NotPositive(value, name);
        }
    }

    [DoesNotReturn]
    private static void TooShort(int length, long needed, string buffer) =>
        throw new ArgumentException($"{buffer} holds {length} values; its shape needs {needed}.", buffer);

    [DoesNotReturn]
    private static void NotPositive(int value, string name) =>
        throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least 1.");
}
