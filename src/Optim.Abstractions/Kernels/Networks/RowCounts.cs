namespace Optim.Kernels;

/// <summary>
/// A register block's number of rows as a type: a kernel generic over it is compiled once per block size, each with its
/// own registers, and the JIT drops the accumulators a size does not use (Dense.Small.cs, Dense.Pair.cs, Conv2d.Weights.cs).
/// </summary>
internal interface IRowCount
{
    static abstract int Count { get; }
}

internal readonly struct Rows1 : IRowCount
{
    public static int Count => 1;
}

internal readonly struct Rows2 : IRowCount
{
    public static int Count => 2;
}

internal readonly struct Rows3 : IRowCount
{
    public static int Count => 3;
}

internal readonly struct Rows4 : IRowCount
{
    public static int Count => 4;
}

internal readonly struct Rows5 : IRowCount
{
    public static int Count => 5;
}

internal readonly struct Rows6 : IRowCount
{
    public static int Count => 6;
}

internal readonly struct Rows7 : IRowCount
{
    public static int Count => 7;
}

internal readonly struct Rows8 : IRowCount
{
    public static int Count => 8;
}

internal readonly struct Rows9 : IRowCount
{
    public static int Count => 9;
}
