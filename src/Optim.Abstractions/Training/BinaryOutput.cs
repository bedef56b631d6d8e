using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Optim.Training;

/// <summary>
/// Writes little-endian fields and value arrays to a stream, optionally keeping the CRC-32 of every byte written.
/// </summary>
internal sealed class BinaryOutput(Stream stream, bool checksummed)
{
    private const int ChunkBytes = 1 << 16;

    private byte[]? _scratch;

    /// <summary>The CRC-32 of everything written so far (0 when not checksummed).</summary>
    public uint Crc { get; private set; }

    /// <summary>Writes <paramref name="bytes"/> as they are.</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        if (checksummed)
        {
            Crc = Crc32.Append(Crc, bytes);
        }

        stream.Write(bytes);
    }

    /// <summary>Writes one byte.</summary>
    public void WriteByte(byte value) => Write([value]);

    /// <summary>Writes a 32-bit unsigned integer, little-endian.</summary>
    public void WriteUInt32(uint value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(uint)];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        Write(bytes);
    }

    /// <summary>Writes a 64-bit unsigned integer, little-endian.</summary>
    public void WriteUInt64(ulong value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        Write(bytes);
    }

    /// <summary>Writes a length-prefixed string: its byte count as a 32-bit unsigned integer, then its UTF-8 bytes.</summary>
    public void WriteString(byte[] utf8)
    {
        WriteUInt32((uint)utf8.Length);
        Write(utf8);
    }

    /// <summary>Writes <paramref name="values"/> little-endian, a bounded chunk at a time.</summary>
    public void WriteValues<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        int chunk = ChunkBytes / Unsafe.SizeOf<T>();
        while (!values.IsEmpty)
        {
            ReadOnlySpan<T> part = values[..Math.Min(chunk, values.Length)];
            if (BitConverter.IsLittleEndian)
            {
                Write(MemoryMarshal.AsBytes(part));
            }
            else
            {
                _scratch ??= new byte[ChunkBytes];
                Span<byte> bytes = _scratch.AsSpan(0, part.Length * Unsafe.SizeOf<T>());
                LittleEndianValues.Encode(part, bytes);
                Write(bytes);
            }

            values = values[part.Length..];
        }
    }
}
