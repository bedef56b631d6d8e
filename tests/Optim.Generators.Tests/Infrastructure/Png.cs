using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Text;

namespace Optim.Generators.Tests.Infrastructure;

/// <summary>
/// Decodes the 8-bit RGB/RGBA, non-interlaced PNG files a browser screenshot produces into packed 0xRRGGBB pixels, so a
/// test can look at what was drawn. Anything else is refused with an exception naming what is unsupported.
/// </summary>
internal sealed class Png
{
    private Png(int width, int height, int[] pixels)
    {
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Row-major 0xRRGGBB pixels (alpha dropped).</summary>
    public int[] Pixels { get; }

    public static Png Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (!file.AsSpan().StartsWith(signature))
        {
            throw new InvalidDataException(path + " is not a PNG file");
        }

        int width = 0, height = 0, channels = 0;
        using var compressed = new MemoryStream();
        for (int at = signature.Length; at + 8 <= file.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(at));
            string type = Encoding.ASCII.GetString(file, at + 4, 4);
            ReadOnlySpan<byte> data = file.AsSpan(at + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                channels = data[9] switch
                {
                    2 => 3,
                    6 => 4,
                    _ => throw new NotSupportedException($"PNG colour type {data[9]}"),
                };
                if (data[8] != 8 || data[12] != 0)
                {
                    throw new NotSupportedException($"PNG bit depth {data[8]}, interlace {data[12]}");
                }
            }
            else if (type == "IDAT")
            {
                compressed.Write(data);
            }

            at += 12 + length;
        }

        compressed.Position = 0;
        using var inflater = new ZLibStream(compressed, CompressionMode.Decompress);
        int stride = width * channels;
        byte[] previous = new byte[stride];
        byte[] row = new byte[stride];
        int[] pixels = new int[width * height];
        for (int y = 0; y < height; y++)
        {
            int filter = inflater.ReadByte();
            inflater.ReadExactly(row);
            Unfilter(filter, row, previous, channels);
            for (int x = 0; x < width; x++)
            {
                int p = x * channels;
                pixels[(y * width) + x] = (row[p] << 16) | (row[p + 1] << 8) | row[p + 2];
            }

            (previous, row) = (row, previous);
        }

        return new Png(width, height, pixels);
    }

    /// <summary>Reverses one of PNG's five per-row filters in place.</summary>
    private static void Unfilter(int filter, byte[] row, byte[] above, int bpp)
    {
        for (int i = 0; i < row.Length; i++)
        {
            int left = i >= bpp ? row[i - bpp] : 0;
            int up = above[i];
            int upLeft = i >= bpp ? above[i - bpp] : 0;
            int predictor = filter switch
            {
                0 => 0,
                1 => left,
                2 => up,
                3 => (left + up) / 2,
                4 => Paeth(left, up, upLeft),
                _ => throw new InvalidDataException($"PNG row filter {filter}"),
            };
            row[i] = (byte)(row[i] + predictor);
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
