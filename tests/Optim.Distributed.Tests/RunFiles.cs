using System;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Optim.Distributed.Tests;

/// <summary>What rank 0 of a helper run wrote to its output directory.</summary>
internal sealed record RunFiles(double[] Losses, ulong[][] Hashes, byte[] Parameters, long[] AllocatedBytes, long[] StateBytes)
{
    public static RunFiles Read(string directory)
    {
        double[] losses = File.ReadAllLines(Path.Combine(directory, "losses.txt")).Select(l => double.Parse(l, CultureInfo.InvariantCulture)).ToArray();
        ulong[][] hashes = File.ReadAllLines(Path.Combine(directory, "hashes.txt"))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(h => ulong.Parse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray())
            .ToArray();
        long[] allocated = File.ReadAllText(Path.Combine(directory, "allocated.txt"))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(a => long.Parse(a, CultureInfo.InvariantCulture)).ToArray();
        long[] state = File.ReadAllText(Path.Combine(directory, "state-bytes.txt"))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(a => long.Parse(a, CultureInfo.InvariantCulture)).ToArray();
        return new RunFiles(losses, hashes, File.ReadAllBytes(Path.Combine(directory, "parameters.bin")), allocated, state);
    }
}
