using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace Optim.Data;

/// <summary>
/// Reads IDX files (the format of MNIST and Fashion-MNIST): a 4-byte magic number (two zero bytes, the element type,
/// the number of dimensions), each dimension as a big-endian 32-bit integer, then the elements. Only unsigned bytes
/// (type 0x08) are read: images of 3 dimensions (count, rows, columns) and labels of 1. A file that starts with
/// gzip's magic bytes is decompressed on the fly. Everything is checked: a wrong magic number, a zero or negative
/// dimension, a file shorter or longer than its header says, is an <see cref="InvalidDataException"/> naming the file
/// and what is wrong.
/// </summary>
public static class Idx
{
    /// <summary>The magic number of an IDX file of unsigned bytes in 3 dimensions (images).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>The magic number of an IDX file of unsigned bytes in 1 dimension (labels).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Reads an images file: <c>count × rows × columns</c> bytes, row by row.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a well-formed IDX images file.</exception>
    public static IdxImages ReadImages(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using Stream stream = Open(path);
        int[] dims = ReadHeader(stream, path, ImagesMagic, "images (unsigned bytes, 3 dimensions)");
        long size = (long)dims[0] * dims[1] * dims[2];
        if (size > Array.MaxLength)
        {
            throw new InvalidDataException($"{path}: {dims[0]} images of {dims[1]} x {dims[2]} is {size} bytes, more than an array holds.");
        }

        byte[] pixels = ReadBody(stream, path, (int)size, $"{dims[0]} images of {dims[1]} x {dims[2]}");
        return new IdxImages(pixels, dims[0], dims[1], dims[2]);
    }

    /// <summary>Reads a labels file: one byte per example.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a well-formed IDX labels file.</exception>
    public static byte[] ReadLabels(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using Stream stream = Open(path);
        int[] dims = ReadHeader(stream, path, LabelsMagic, "labels (unsigned bytes, 1 dimension)");
        return ReadBody(stream, path, dims[0], $"{dims[0]} labels");
    }

    /// <summary>Opens <paramref name="path"/>, through a gzip decompressor when it starts with gzip's magic bytes.</summary>
    private static Stream Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"IDX file not found: {path}", path);
        }

        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        Span<byte> head = stackalloc byte[2];
        int read = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return read == 2 && head[0] == 0x1F && head[1] == 0x8B ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    private static int[] ReadHeader(Stream stream, string path, int expectedMagic, string kind)
    {
        Span<byte> word = stackalloc byte[4];
        if (Fill(stream, path, word) < 4)
        {
            throw new InvalidDataException($"{path}: truncated: the file ends inside the 4-byte magic number.");
        }

        int magic = BinaryPrimitives.ReadInt32BigEndian(word);
        if (magic != expectedMagic)
        {
            throw new InvalidDataException(
                $"{path}: wrong magic number 0x{magic:X8}; an IDX file of {kind} starts with 0x{expectedMagic:X8}.");
        }

        var dims = new int[expectedMagic & 0xFF];
        for (int d = 0; d < dims.Length; d++)
        {
            if (Fill(stream, path, word) < 4)
            {
                throw new InvalidDataException($"{path}: truncated: the file ends inside the header (dimension {d + 1} of {dims.Length}).");
            }

            dims[d] = BinaryPrimitives.ReadInt32BigEndian(word);
            if (dims[d] <= 0)
            {
                throw new InvalidDataException($"{path}: dimension {d + 1} is {dims[d]}; every dimension must be at least 1.");
            }
        }

        return dims;
    }

    private static byte[] ReadBody(Stream stream, string path, int size, string what)
    {
        var data = new byte[size];
        int read = Fill(stream, path, data);
        if (read < size)
        {
            throw new InvalidDataException($"{path}: truncated: the header announces {what} ({size} bytes of data) but only {read} follow it.");
        }

        Span<byte> extra = stackalloc byte[1];
        if (Fill(stream, path, extra) != 0)
        {
            throw new InvalidDataException($"{path}: more data than the header announces ({what}, {size} bytes): not an IDX file of that shape.");
        }

        return data;
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; a corrupt gzip stream is named.</summary>
    private static int Fill(Stream stream, string path, Span<byte> buffer)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: the gzip stream is corrupt or truncated ({e.Message})", e);
        }
    }
}

/// <summary>The contents of an IDX images file: <see cref="Count"/> images of <see cref="Rows"/> × <see cref="Columns"/> bytes.</summary>
/// <param name="Pixels">Every image's bytes, row by row, image after image.</param>
/// <param name="Count">The number of images.</param>
/// <param name="Rows">The rows of one image.</param>
/// <param name="Columns">The columns of one image.</param>
public sealed record IdxImages(byte[] Pixels, int Count, int Rows, int Columns);
