using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace Optim.Generators.Tests.Data;

/// <summary>Writes tiny IDX files (plain or gzip) into a temporary folder that is deleted on dispose.</summary>
internal sealed class IdxFiles : IDisposable
{
    public IdxFiles()
    {
        Folder = Path.Combine(Path.GetTempPath(), "optim-idx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }

    /// <summary>The bytes of an IDX file: the magic number, the dimensions (big-endian) and the data.</summary>
    public static byte[] Encode(int magic, int[] dims, byte[] data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int d = 0; d < dims.Length; d++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dims[d]);
        }

        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    public static byte[] Gzip(byte[] bytes)
    {
        using var memory = new MemoryStream();
        using (var gzip = new GZipStream(memory, CompressionLevel.Fastest))
        {
            gzip.Write(bytes);
        }

        return memory.ToArray();
    }

    /// <summary>Writes <paramref name="bytes"/> (gzip-compressed first if <paramref name="gzip"/>) as <paramref name="name"/>.</summary>
    public string Write(string name, byte[] bytes, bool gzip = false)
    {
        string path = Path.Combine(Folder, name);
        File.WriteAllBytes(path, gzip ? Gzip(bytes) : bytes);
        return path;
    }

    /// <summary>An images file of <paramref name="count"/> images of rows × columns: pixel k of the file is (k·7 + 3) mod 256.</summary>
    public string Images(string name, int count, int rows, int columns, bool gzip = false) =>
        Write(name, Encode(0x803, [count, rows, columns], Pattern(count * rows * columns)), gzip);

    public string Labels(string name, byte[] labels, bool gzip = false) => Write(name, Encode(0x801, [labels.Length], labels), gzip);

    public static byte[] Pattern(int length)
    {
        var data = new byte[length];
        for (int k = 0; k < length; k++)
        {
            data[k] = (byte)((k * 7 + 3) % 256);
        }

        return data;
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
