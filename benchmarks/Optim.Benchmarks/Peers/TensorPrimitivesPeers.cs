using System;
using System.Numerics.Tensors;

namespace Optim.Benchmarks.Peers;

/// <summary>
/// The best a .NET user can compose from a library: each update built from
/// System.Numerics.Tensors.TensorPrimitives calls (vectorized, one pass over memory per call).
/// </summary>
public abstract class TensorPrimitivesPeer : IPeer
{
    protected TensorPrimitivesPeer(int size)
    {
        Params = Tensors.Arrays(size, 1);
        Grads = Tensors.Arrays(size, 100);
        Scratch = new float[Tensors.Lengths(size)[0]];
    }

    protected float[][] Params { get; }

    protected float[][] Grads { get; }

    /// <summary>A temporary as long as the largest tensor, allocated once.</summary>
    protected float[] Scratch { get; }

    public abstract void Step();
}

public sealed class TensorPrimitivesSgdMomentum(int size) : TensorPrimitivesPeer(size)
{
    private readonly float[][] _buffers = Tensors.Arrays(size, 0, zero: true);

    public override void Step()
    {
        for (int t = 0; t < Params.Length; t++)
        {
            // b = μb + g; θ = θ − γb
            TensorPrimitives.MultiplyAdd(_buffers[t], 0.9f, Grads[t], _buffers[t]);
            TensorPrimitives.MultiplyAdd(_buffers[t], -0.01f, Params[t], Params[t]);
        }
    }
}

public sealed class TensorPrimitivesHeavyBall(int size) : TensorPrimitivesPeer(size)
{
    private readonly float[][] _velocity = Tensors.Arrays(size, 0, zero: true);

    public override void Step()
    {
        for (int t = 0; t < Params.Length; t++)
        {
            // v = βv + (1 − β)g; θ = θ − γv
            Span<float> scaled = Scratch.AsSpan(0, Params[t].Length);
            TensorPrimitives.Multiply(Grads[t], 0.1f, scaled);
            TensorPrimitives.MultiplyAdd(_velocity[t], 0.9f, scaled, _velocity[t]);
            TensorPrimitives.MultiplyAdd(_velocity[t], -0.01f, Params[t], Params[t]);
        }
    }
}

public sealed class TensorPrimitivesAdam(int size) : TensorPrimitivesPeer(size)
{
    private readonly float[][] _m = Tensors.Arrays(size, 0, zero: true);
    private readonly float[][] _v = Tensors.Arrays(size, 0, zero: true);
    private long _step;

    public override void Step()
    {
        _step++;
        float stepSize = (float)(1e-3 / (1 - Math.Pow(0.9, _step)));
        float bc2Sqrt = (float)Math.Sqrt(1 - Math.Pow(0.999, _step));
        for (int t = 0; t < Params.Length; t++)
        {
            float[] p = Params[t], g = Grads[t], m = _m[t], v = _v[t];
            Span<float> tmp = Scratch.AsSpan(0, p.Length);

            // m = β1·m + (1 − β1)·g
            TensorPrimitives.Multiply(g, 0.1f, tmp);
            TensorPrimitives.MultiplyAdd(m, 0.9f, tmp, m);

            // v = β2·v + (1 − β2)·g²
            TensorPrimitives.Multiply(g, g, tmp);
            TensorPrimitives.Multiply(tmp, 0.001f, tmp);
            TensorPrimitives.MultiplyAdd(v, 0.999f, tmp, v);

            // θ = θ − α·m / (√v / √(1 − β2ᵗ) + ε)
            TensorPrimitives.Sqrt(v, tmp);
            TensorPrimitives.Divide(tmp, bc2Sqrt, tmp);
            TensorPrimitives.Add(tmp, 1e-8f, tmp);
            TensorPrimitives.Divide(m, tmp, tmp);
            TensorPrimitives.MultiplyAdd(tmp, -stepSize, p, p);
        }
    }
}
