using System;

namespace Optim.Generators.Tests.Runtime;

/// <summary>An optimizer's configuration, named as in the [Optimize] attribute.</summary>
internal sealed record OracleConfig(
    string Optimizer,
    double Lr,
    double Momentum = 0,
    double Dampening = 0,
    bool Nesterov = false,
    double WeightDecay = 0,
    bool Maximize = false,
    double Beta = 0.9,
    double Beta1 = 0.9,
    double Beta2 = 0.999,
    double Eps = 1e-8,
    bool Amsgrad = false);

/// <summary>
/// A plain scalar float32 implementation of each optimizer, written from PyTorch's documented single-tensor
/// algorithms: one loop, no vectors, scalars computed in double and rounded once, as PyTorch does. Adam uses the
/// algebraically identical form Optim documents (running products for β^t, one division per element with
/// ε̂ = ε·√(1 − β₂ᵗ)), so that agreement can be demanded bit for bit.
/// </summary>
internal sealed class ScalarOracle
{
    private readonly OracleConfig _c;
    private readonly float[] _buf1;
    private readonly float[] _buf2;
    private readonly float[] _buf3;
    private long _t;
    private double _beta1Power = 1, _beta2Power = 1;

    public ScalarOracle(OracleConfig config, int size)
    {
        _c = config;
        _buf1 = new float[size];
        _buf2 = new float[size];
        _buf3 = new float[size];
    }

    public void Step(float[] p, float[] grad, double lr)
    {
        _t++;
        switch (_c.Optimizer)
        {
            case "Sgd": Sgd(p, grad, lr); break;
            case "Momentum": HeavyBall(p, grad, lr); break;
            case "Adam": Adam(p, grad, lr, decoupled: false); break;
            case "AdamW": Adam(p, grad, lr, decoupled: true); break;
            default: throw new ArgumentException(_c.Optimizer);
        }
    }

    private void Sgd(float[] p, float[] grad, double lr)
    {
        float[] buffer = _buf1;
        for (int i = 0; i < p.Length; i++)
        {
            float g = _c.Maximize ? -grad[i] : grad[i];
            if (_c.WeightDecay != 0)
            {
                g = g + (float)_c.WeightDecay * p[i];
            }

            if (_c.Momentum != 0)
            {
                // torch: buf = clone(d_p) on the first step, then buf.mul_(momentum).add_(d_p, alpha=1 - dampening)
                buffer[i] = _t == 1
                    ? g
                    : _c.Dampening == 0 ? (float)_c.Momentum * buffer[i] + g : (float)_c.Momentum * buffer[i] + (float)(1 - _c.Dampening) * g;
                g = _c.Nesterov ? g + (float)_c.Momentum * buffer[i] : buffer[i];
            }

            p[i] = p[i] - (float)lr * g;
        }
    }

    private void HeavyBall(float[] p, float[] grad, double lr)
    {
        float[] v = _buf1;
        for (int i = 0; i < p.Length; i++)
        {
            v[i] = (float)_c.Beta * v[i] + (float)(1 - _c.Beta) * grad[i];
            p[i] = p[i] - (float)lr * v[i];
        }
    }

    private void Adam(float[] p, float[] grad, double lr, bool decoupled)
    {
        float[] m = _buf1, v = _buf2, vMax = _buf3;
        _beta1Power *= _c.Beta1;
        _beta2Power *= _c.Beta2;
        double biasCorrection1 = 1 - _beta1Power;
        double biasCorrection2Sqrt = Math.Sqrt(1 - _beta2Power);
        float stepSize = (float)(lr * biasCorrection2Sqrt / biasCorrection1);
        float epsHat = (float)(_c.Eps * biasCorrection2Sqrt);
        for (int i = 0; i < p.Length; i++)
        {
            if (decoupled && _c.WeightDecay != 0)
            {
                p[i] = p[i] * (float)(1 - lr * _c.WeightDecay);
            }

            float g = _c.Maximize ? -grad[i] : grad[i];
            if (!decoupled && _c.WeightDecay != 0)
            {
                g = g + (float)_c.WeightDecay * p[i];
            }

            m[i] = (float)_c.Beta1 * m[i] + (float)(1 - _c.Beta1) * g;
            v[i] = (float)_c.Beta2 * v[i] + (float)(1 - _c.Beta2) * (g * g);
            float second = v[i];
            if (_c.Amsgrad)
            {
                vMax[i] = Math.Max(vMax[i], v[i]);
                second = vMax[i];
            }

            float denom = MathF.Sqrt(second) + epsHat;
            p[i] = p[i] - stepSize * (m[i] / denom);
        }
    }
}
