using System;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Optim.Training;

/// <summary>
/// Converts 4- and 8-byte values between this machine's byte order and the little-endian order Optim's files use.
/// On a little-endian machine (every platform .NET ships for today) both directions are plain copies.
/// </summary>
internal static class LittleEndianValues
{
    /// <summary>Writes <paramref name="values"/> into <paramref name="destination"/> (of exactly their size) little-endian.</summary>
    public static void Encode<T>(ReadOnlySpan<T> values, Span<byte> destination)
        where T : unmanaged
    {
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(destination);
        }
        else if (Unsafe.SizeOf<T>() == sizeof(uint))
        {
            BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<T, uint>(values), MemoryMarshal.Cast<byte, uint>(destination));
        }
        else
        {
            BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<T, ulong>(values), MemoryMarshal.Cast<byte, ulong>(destination));
        }
    }

    /// <summary>Turns values just read as little-endian bytes into this machine's byte order, in place.</summary>
    public static void DecodeInPlace<T>(Span<T> values)
        where T : unmanaged
    {
        if (BitConverter.IsLittleEndian)
        {
            return;
        }

        if (Unsafe.SizeOf<T>() == sizeof(uint))
        {
            Span<uint> words = MemoryMarshal.Cast<T, uint>(values);
            BinaryPrimitives.ReverseEndianness(words, words);
        }
        else
        {
            Span<ulong> words = MemoryMarshal.Cast<T, ulong>(values);
            BinaryPrimitives.ReverseEndianness(words, words);
        }
    }
}
