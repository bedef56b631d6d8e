using System;
using System.Text;

namespace Optim.Training;

/// <summary>
/// The 64-bit FNV-1a hash: stable across machines, processes and .NET versions (unlike <c>string.GetHashCode</c>),
/// so a hash written into a file today still identifies the same text tomorrow.
/// </summary>
internal static class Fnv1a64
{
    private const ulong OffsetBasis = 0xCBF29CE484222325;
    private const ulong Prime = 0x100000001B3;

    /// <summary>The FNV-1a 64 hash of <paramref name="bytes"/>.</summary>
    public static ulong Hash(ReadOnlySpan<byte> bytes)
    {
        ulong hash = OffsetBasis;
        foreach (byte b in bytes)
        {
            hash = (hash ^ b) * Prime;
        }

        return hash;
    }

    /// <summary>
    /// The FNV-1a 64 hash of <paramref name="text"/>'s UTF-8 bytes (a lone surrogate as U+FFFD, as Encoding.UTF8 writes
    /// it), encoded a character at a time so that nothing is allocated: a model's constructor hashes parameter names.
    /// </summary>
    public static ulong Hash(string text)
    {
        ulong hash = OffsetBasis;
        Span<byte> utf8 = stackalloc byte[4];
        foreach (Rune rune in text.EnumerateRunes())
        {
            foreach (byte b in utf8[..rune.EncodeToUtf8(utf8)])
            {
                hash = (hash ^ b) * Prime;
            }
        }

        return hash;
    }
}
