using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Optim.Kernels;

/// <summary>
/// One element-wise operation of up to three operands, written once per vector width and once for a single element with
/// the same IEEE operations in the same order, so every width gives the same bits. The network kernels run these through
/// <see cref="Lanes"/>: as a map (one output per element) or as a sum (their terms added in a fixed lane order).
/// </summary>
internal interface IElementOp<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    T Apply(T a, T b, T c);

    Vector128<T> Apply(Vector128<T> a, Vector128<T> b, Vector128<T> c);

    Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c);

    Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c);
}

/// <summary>a.</summary>
internal readonly struct Identity<T> : IElementOp<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public T Apply(T a, T b, T c) => a;

    public Vector128<T> Apply(Vector128<T> a, Vector128<T> b, Vector128<T> c) => a;

    public Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c) => a;

    public Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c) => a;
}

/// <summary>a + b.</summary>
internal readonly struct Sum2<T> : IElementOp<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public T Apply(T a, T b, T c) => a + b;

    public Vector128<T> Apply(Vector128<T> a, Vector128<T> b, Vector128<T> c) => a + b;

    public Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c) => a + b;

    public Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c) => a + b;
}

/// <summary>a·b.</summary>
internal readonly struct Product2<T> : IElementOp<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public T Apply(T a, T b, T c) => a * b;

    public Vector128<T> Apply(Vector128<T> a, Vector128<T> b, Vector128<T> c) => a * b;

    public Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c) => a * b;

    public Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c) => a * b;
}

/// <summary>(a·b)·c.</summary>
internal readonly struct Product3<T> : IElementOp<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public T Apply(T a, T b, T c) => a * b * c;

    public Vector128<T> Apply(Vector128<T> a, Vector128<T> b, Vector128<T> c) => a * b * c;

    public Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c) => a * b * c;

    public Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c) => a * b * c;
}

/// <summary>a + b·c (one multiply, then one add: never fused).</summary>
internal readonly struct AddProduct<T> : IElementOp<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public T Apply(T a, T b, T c) => a + (b * c);

    public Vector128<T> Apply(Vector128<T> a, Vector128<T> b, Vector128<T> c) => a + (b * c);

    public Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c) => a + (b * c);

    public Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c) => a + (b * c);
}

/// <summary>a·s for a scalar s.</summary>
internal readonly struct Scaled<T>(T s) : IElementOp<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public T Apply(T a, T b, T c) => a * s;

    public Vector128<T> Apply(Vector128<T> a, Vector128<T> b, Vector128<T> c) => a * Vector128.Create(s);

    public Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c) => a * Vector256.Create(s);

    public Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c) => a * Vector512.Create(s);
}

/// <summary>a + s for a scalar s.</summary>
internal readonly struct Shifted<T>(T s) : IElementOp<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public T Apply(T a, T b, T c) => a + s;

    public Vector128<T> Apply(Vector128<T> a, Vector128<T> b, Vector128<T> c) => a + Vector128.Create(s);

    public Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c) => a + Vector256.Create(s);

    public Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c) => a + Vector512.Create(s);
}

/// <summary>(a − m)² for a scalar m.</summary>
internal readonly struct SquaredDeviation<T>(T m) : IElementOp<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public T Apply(T a, T b, T c)
    {
        T d = a - m;
        return d * d;
    }

    public Vector128<T> Apply(Vector128<T> a, Vector128<T> b, Vector128<T> c)
    {
        Vector128<T> d = a - Vector128.Create(m);
        return d * d;
    }

    public Vector256<T> Apply(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        Vector256<T> d = a - Vector256.Create(m);
        return d * d;
    }

    public Vector512<T> Apply(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        Vector512<T> d = a - Vector512.Create(m);
        return d * d;
    }
}
