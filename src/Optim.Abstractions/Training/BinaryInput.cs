using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using static System.FormattableString;

namespace Optim.Training;

/// <summary>
/// Reads little-endian fields and value arrays from a stream, optionally keeping the CRC-32 of every byte read, and
/// turns every way the stream can end early or hold nonsense into an <see cref="InvalidDataException"/> that says
/// where and in what.
/// </summary>
internal sealed class BinaryInput
{
    private const int ChunkBytes = 1 << 16;

    private readonly Stream _stream;
    private readonly string _file;
    private readonly bool _checksummed;
    private readonly long _length;
    private byte[]? _scratch;

    /// <param name="stream">The stream, positioned at the file's first byte.</param>
    /// <param name="file">What the stream holds, for messages ("checkpoint", "safetensors file").</param>
    /// <param name="checksummed">Whether to keep the CRC-32 of the bytes read.</param>
    public BinaryInput(Stream stream, string file, bool checksummed)
    {
        _stream = stream;
        _file = file;
        _checksummed = checksummed;
        _length = stream.CanSeek ? stream.Length - stream.Position : -1;
    }

    /// <summary>Bytes read so far.</summary>
    public long Position { get; private set; }

    /// <summary>The file's length in bytes, or −1 when the stream cannot tell.</summary>
    public long Length => _length;

    /// <summary>The CRC-32 of the bytes read so far (0 when not checksummed).</summary>
    public uint Crc { get; private set; }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns the number of bytes read.</summary>
    public int ReadAtMost(Span<byte> buffer)
    {
        int read = _stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (_checksummed)
        {
            Crc = Crc32.Append(Crc, buffer[..read]);
        }

        Position += read;
        return read;
    }

    /// <summary>Fills <paramref name="buffer"/>, or throws if the stream ends first.</summary>
    public void ReadExactly(Span<byte> buffer, string what)
    {
        if (ReadAtMost(buffer) < buffer.Length)
        {
            throw Truncated(what);
        }
    }

    /// <summary>Reads one byte.</summary>
    public byte ReadByte(string what)
    {
        Span<byte> bytes = stackalloc byte[1];
        ReadExactly(bytes, what);
        return bytes[0];
    }

    /// <summary>Reads a 32-bit unsigned integer, little-endian.</summary>
    public uint ReadUInt32(string what)
    {
        Span<byte> bytes = stackalloc byte[sizeof(uint)];
        ReadExactly(bytes, what);
        return BinaryPrimitives.ReadUInt32LittleEndian(bytes);
    }

    /// <summary>Reads a 64-bit unsigned integer, little-endian.</summary>
    public ulong ReadUInt64(string what)
    {
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        ReadExactly(bytes, what);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }

    /// <summary>Reads a string written by <see cref="BinaryOutput.WriteString"/>: a 32-bit byte count, then UTF-8.</summary>
    public string ReadString(int maxBytes, string what)
    {
        uint length = ReadUInt32($"the length of {what}");
        if (length > maxBytes)
        {
            throw Corrupt(Invariant($"{what} is said to be {length} bytes long, more than the {maxBytes}-byte limit"));
        }

        Require(length, what);
        byte[] bytes = new byte[length];
        ReadExactly(bytes, what);
        try
        {
            return StrictUtf8.Encoding.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"The {_file} is corrupted: {what} is not valid UTF-8.", e);
        }
    }

    /// <summary>Fills <paramref name="destination"/> with values stored little-endian.</summary>
    public void ReadValues<T>(Span<T> destination, string what)
        where T : unmanaged
    {
        int chunk = ChunkBytes / Unsafe.SizeOf<T>();
        while (!destination.IsEmpty)
        {
            Span<T> part = destination[..Math.Min(chunk, destination.Length)];
            ReadExactly(MemoryMarshal.AsBytes(part), what);
            LittleEndianValues.DecodeInPlace(part);
            destination = destination[part.Length..];
        }
    }

    /// <summary>Reads and discards <paramref name="bytes"/> bytes (they still count towards the CRC).</summary>
    public void Skip(long bytes, string what)
    {
        _scratch ??= new byte[ChunkBytes];
        while (bytes > 0)
        {
            int part = (int)Math.Min(bytes, ChunkBytes);
            ReadExactly(_scratch.AsSpan(0, part), what);
            bytes -= part;
        }
    }

    /// <summary>
    /// Throws at once if the stream's length is known and fewer than <paramref name="bytes"/> bytes remain, so that a
    /// corrupted count fails before anything is allocated for it.
    /// </summary>
    public void Require(long bytes, string what)
    {
        if (_length >= 0 && bytes > _length - Position)
        {
            throw new InvalidDataException(Invariant(
                $"The {_file} is truncated or corrupted: {what} needs {bytes} bytes at byte {Position}, but only {_length - Position} remain."));
        }
    }

    /// <summary>Throws if anything follows the bytes read so far.</summary>
    public void RequireEnd(string after)
    {
        long extra;
        if (_length >= 0)
        {
            extra = _length - Position;
        }
        else
        {
            _scratch ??= new byte[ChunkBytes];
            extra = 0;
            for (int read; (read = _stream.Read(_scratch)) > 0;)
            {
                extra += read;
            }
        }

        if (extra > 0)
        {
            throw new InvalidDataException(Invariant($"The {_file} has {extra} bytes of unexpected data after {after} (at byte {Position})."));
        }
    }

    /// <summary>An exception saying the file is corrupted, and how.</summary>
    public InvalidDataException Corrupt(string message) => new($"The {_file} is corrupted: {message}.");

    private InvalidDataException Truncated(string what) =>
        new(Invariant($"The {_file} is truncated: it ends after {Position} bytes, in {what}."));
}
