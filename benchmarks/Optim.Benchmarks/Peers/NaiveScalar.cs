using System;

namespace Optim.Benchmarks.Peers;

/// <summary>
/// The update written the way a hand-rolled training loop (or PyTorch's single-tensor reference) writes it:
/// one scalar loop per parameter array, no SIMD, hyperparameters as fields.
/// </summary>
public abstract class NaiveScalar : IPeer
{
    protected NaiveScalar(int size)
    {
        Params = Tensors.Arrays(size, 1);
        Grads = Tensors.Arrays(size, 100);
    }

    protected float[][] Params { get; }

    protected float[][] Grads { get; }

    public abstract void Step();
}

/// <summary>SGD with momentum 0.9 (PyTorch's buffer convention).</summary>
public sealed class NaiveSgdMomentum(int size) : NaiveScalar(size)
{
    private readonly float[][] _buffers = Tensors.Arrays(size, 0, zero: true);
    private readonly float _lr = 0.01f, _momentum = 0.9f;
    private long _step;

    public override void Step()
    {
        _step++;
        for (int t = 0; t < Params.Length; t++)
        {
            float[] p = Params[t], g = Grads[t], b = _buffers[t];
            for (int i = 0; i < p.Length; i++)
            {
                b[i] = _step == 1 ? g[i] : _momentum * b[i] + g[i];
                p[i] -= _lr * b[i];
            }
        }
    }
}

/// <summary>Heavy-ball momentum v = βv + (1 − β)g; θ −= γv.</summary>
public sealed class NaiveHeavyBall(int size) : NaiveScalar(size)
{
    private readonly float[][] _velocity = Tensors.Arrays(size, 0, zero: true);
    private readonly float _lr = 0.01f, _beta = 0.9f;

    public override void Step()
    {
        for (int t = 0; t < Params.Length; t++)
        {
            float[] p = Params[t], g = Grads[t], v = _velocity[t];
            for (int i = 0; i < p.Length; i++)
            {
                v[i] = _beta * v[i] + (1 - _beta) * g[i];
                p[i] -= _lr * v[i];
            }
        }
    }
}

/// <summary>Adam with bias corrections computed once per step, as in PyTorch's single-tensor path.</summary>
public sealed class NaiveAdam(int size) : NaiveScalar(size)
{
    private readonly float[][] _m = Tensors.Arrays(size, 0, zero: true);
    private readonly float[][] _v = Tensors.Arrays(size, 0, zero: true);
    private readonly double _lr = 1e-3, _beta1 = 0.9, _beta2 = 0.999, _eps = 1e-8;
    private long _step;

    public override void Step()
    {
        _step++;
        float stepSize = (float)(_lr / (1 - Math.Pow(_beta1, _step)));
        float bc2Sqrt = (float)Math.Sqrt(1 - Math.Pow(_beta2, _step));
        float beta1 = (float)_beta1, beta2 = (float)_beta2, eps = (float)_eps;
        for (int t = 0; t < Params.Length; t++)
        {
            float[] p = Params[t], g = Grads[t], m = _m[t], v = _v[t];
            for (int i = 0; i < p.Length; i++)
            {
                m[i] = beta1 * m[i] + (1 - beta1) * g[i];
                v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
                p[i] -= stepSize * m[i] / (MathF.Sqrt(v[i]) / bc2Sqrt + eps);
            }
        }
    }
}
