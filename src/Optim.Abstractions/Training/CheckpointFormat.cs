using System;

namespace Optim.Training;

/// <summary>The constants of Optim's checkpoint format (docs/checkpoints.md describes it byte by byte).</summary>
internal static class CheckpointFormat
{
    /// <summary>The format version <see cref="CheckpointWriter{T}"/> writes.</summary>
    public const uint CurrentVersion = 2;

    /// <summary>The longest name (model type, optimizer, section or scalar) a checkpoint may hold, in UTF-8 bytes.</summary>
    public const int MaxNameBytes = 1 << 16;

    /// <summary>Element type code of <see cref="float"/> values.</summary>
    public const byte Float = 0;

    /// <summary>Element type code of <see cref="double"/> values.</summary>
    public const byte Double = 1;

    /// <summary>The eight bytes every checkpoint starts with.</summary>
    public static ReadOnlySpan<byte> Magic => "OPTIMCKP"u8;

    /// <summary>The element type code of <typeparamref name="T"/>.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither float nor double.</exception>
    public static byte ElementCode<T>() =>
        typeof(T) == typeof(float) ? Float
        : typeof(T) == typeof(double) ? Double
        : throw new NotSupportedException($"Checkpoints hold float or double values, not {typeof(T).Name}.");

    /// <summary>The C# name of the element type with code <paramref name="code"/> (0 or 1).</summary>
    public static string ElementName(byte code) => code == Float ? "float" : "double";

    /// <summary>The size in bytes of the element type with code <paramref name="code"/> (0 or 1).</summary>
    public static int ElementSize(byte code) => code == Float ? sizeof(float) : sizeof(double);

    /// <summary>A scalar kind in words, for messages.</summary>
    public static string Describe(CheckpointScalarKind kind) => kind == CheckpointScalarKind.WholeNumber ? "a 64-bit integer" : "a double";
}
