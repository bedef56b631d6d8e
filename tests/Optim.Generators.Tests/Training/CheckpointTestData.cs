using System;
using System.IO;
using System.Numerics;
using Optim.Training;

namespace Optim.Generators.Tests.Training;

/// <summary>
/// A small Adam-like model's checkpoint (two parameters, two moment buffers, three scalars), written the way generated
/// code will write it and restored the way generated code will restore it: read and validate, then copy every entry.
/// </summary>
internal static class CheckpointTestData
{
    public const string Description = "W[2,3] B[3]; state expAvg expAvgSq; scalars step lr beta1Power";

    public static CheckpointLayout Layout(
        string model = "Mlp",
        string optimizer = "Adam",
        string description = Description,
        int stateLength = 9,
        CheckpointScalarKind lrKind = CheckpointScalarKind.RealNumber,
        double beta1 = 0.9,
        CheckpointHyperparameter[]? hyperparameters = null) =>
        new(model, optimizer, description,
            [new("W", 6), new("B", 3), new("expAvg", stateLength), new("expAvgSq", stateLength)],
            [new("step", CheckpointScalarKind.WholeNumber), new("lr", lrKind), new("beta1Power", CheckpointScalarKind.RealNumber)],
            hyperparameters ?? [new("Lr", 3e-4), new("Beta1", beta1), new("Amsgrad", 0)]);

    /// <summary>The model's values: distinct, and including the awkward ones (−0, ∞, NaN, subnormal, extremes).</summary>
    public sealed class Model<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T[] W { get; } = new T[6];
        public T[] B { get; } = new T[3];
        public T[] ExpAvg { get; } = new T[9];
        public T[] ExpAvgSq { get; } = new T[9];
        public long Step { get; set; }
        public double Lr { get; set; }
        public double Beta1Power { get; set; }

        public static Model<T> Sample()
        {
            var model = new Model<T> { Step = 1_234_567_890_123L, Lr = 3e-4, Beta1Power = Math.Pow(0.9, 17) };
            T[] special = [T.NegativeZero, T.PositiveInfinity, T.NaN, T.Epsilon, T.CreateTruncating(3e38), -T.Epsilon];
            special.CopyTo(model.W, 0);
            for (int i = 0; i < 3; i++)
            {
                model.B[i] = T.CreateTruncating(0.1 * (i + 1));
            }

            for (int i = 0; i < 9; i++)
            {
                model.ExpAvg[i] = T.CreateTruncating(-0.01 * i);
                model.ExpAvgSq[i] = T.CreateTruncating(1e-5 * (i + 1) * (i + 1));
            }

            return model;
        }

        /// <summary>A model whose every value is a sentinel, to show that a failed load wrote nothing.</summary>
        public static Model<T> Sentinel()
        {
            var model = new Model<T> { Step = -7, Lr = -7, Beta1Power = -7 };
            foreach (T[] values in new[] { model.W, model.B, model.ExpAvg, model.ExpAvgSq })
            {
                values.AsSpan().Fill(T.CreateTruncating(-7));
            }

            return model;
        }

        /// <summary>What generated code will emit for SaveCheckpoint.</summary>
        public void Save(CheckpointWriter<T> writer)
        {
            writer.WriteSection("W", W);
            writer.WriteSection("B", B);
            writer.WriteSection("expAvg", ExpAvg);
            writer.WriteSection("expAvgSq", ExpAvgSq);
            writer.WriteScalar("step", Step);
            writer.WriteScalar("lr", Lr);
            writer.WriteScalar("beta1Power", Beta1Power);
            writer.Commit();
        }

        /// <summary>What generated code will emit for LoadCheckpoint.</summary>
        public void Load(CheckpointContents<T> checkpoint)
        {
            checkpoint.CopySectionTo("W", W);
            checkpoint.CopySectionTo("B", B);
            checkpoint.CopySectionTo("expAvg", ExpAvg);
            checkpoint.CopySectionTo("expAvgSq", ExpAvgSq);
            Step = checkpoint.GetInt64("step");
            Lr = checkpoint.GetDouble("lr");
            Beta1Power = checkpoint.GetDouble("beta1Power");
        }

        /// <summary>Every value's bits, for exact comparison (NaN included).</summary>
        public string Bits()
        {
            var bytes = new MemoryStream();
            foreach (T[] values in new[] { W, B, ExpAvg, ExpAvgSq })
            {
                bytes.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
            }

            bytes.Write(BitConverter.GetBytes(Step));
            bytes.Write(BitConverter.GetBytes(Lr));
            bytes.Write(BitConverter.GetBytes(Beta1Power));
            return Convert.ToHexString(bytes.ToArray());
        }
    }

    public static byte[] Save<T>(Model<T> model, CheckpointLayout? layout = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var stream = new MemoryStream();
        using (var writer = new CheckpointWriter<T>(stream, layout ?? Layout()))
        {
            model.Save(writer);
        }

        return stream.ToArray();
    }

    /// <summary>CRC-32 (IEEE, as zlib) bit by bit, straight from its definition: the reference for the format's checksum.</summary>
    public static uint ReferenceCrc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }

    /// <summary>FNV-1a 64 straight from its definition: the reference for the layout hash.</summary>
    public static ulong ReferenceFnv1a64(ReadOnlySpan<byte> bytes)
    {
        ulong hash = 14695981039346656037;
        foreach (byte b in bytes)
        {
            hash ^= b;
            hash *= 1099511628211;
        }

        return hash;
    }
}

/// <summary>A read-only stream that cannot seek or tell its length, like a network or pipe stream.</summary>
internal sealed class ForwardOnlyStream(byte[] bytes) : Stream
{
    private readonly MemoryStream _inner = new(bytes);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7)); // short reads on purpose
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
