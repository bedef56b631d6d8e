using System;
using System.Collections.Generic;
using System.Linq;

namespace Optim.Generators.Tests.Oracle;

/// <summary>
/// Plain scalar float32 implementations of the optimizers added after SGD/Momentum/Adam/AdamW (those live in
/// Runtime/ScalarOracle.cs), written from PyTorch's single-tensor algorithms as one loop per tensor with no vectors.
/// They follow the operation order Optim documents (per-step scalars in double, rounded once; constants rounded once
/// to float; PyTorch's two-formula lerp) so that agreement with the generated Step() can be demanded bit for bit. Sums
/// over a tensor go lane by lane (element i to lane i mod 16) and are added with <see cref="KernelMath.SumLanes(ReadOnlySpan{float})"/>;
/// matrix routines are the library's own <see cref="MatrixKernels"/> (tested for width independence on their own).
/// </summary>
internal sealed class RuleOracle
{
    private readonly string _optimizer;
    private readonly IReadOnlyDictionary<string, double> _h;
    private readonly int[][] _shapes;
    private readonly float[][] _state;
    private long _t;
    private double _power1 = 1, _power2 = 1, _muProduct = 1, _decayPower = 1;

    public RuleOracle(string optimizer, IReadOnlyDictionary<string, double> hyperparameters, int[][] shapes)
    {
        _optimizer = optimizer;
        _h = hyperparameters;
        _shapes = shapes;
        int n = shapes.Sum(s => s.Aggregate(1, (a, b) => a * b));
        _state = Enumerable.Range(0, 4).Select(_ => new float[n]).ToArray();
    }

    private double H(string name) => _h[name];

    private bool Flag(string name) => _h[name] != 0;

    private static float F(double value) => (float)value;

    private static float Sign(float x) => x > 0f ? 1f : (x < 0f ? -1f : x);

    /// <summary>PyTorch's start.lerp(end, w) for a constant w, as Steps.Lerp writes it.</summary>
    private static float Lerp(float start, float end, double w) =>
        Math.Abs(w) < 0.5 ? start + (F(w) * (end - start)) : end - ((end - start) * F(1 - w));

    /// <summary>The gradient as PyTorch prepares it: negated when maximizing, then g + λθ.</summary>
    private float Gradient(float g, float p, double weightDecay)
    {
        if (Flag("Maximize"))
        {
            g = -g;
        }

        return weightDecay != 0 ? g + (F(weightDecay) * p) : g;
    }

    public void Step(float[] p, float[] grad, double lr)
    {
        _t++;
        switch (_optimizer)
        {
            case "RmsProp": RmsProp(p, grad, lr); break;
            case "Adagrad": Adagrad(p, grad, lr); break;
            case "Adadelta": Adadelta(p, grad, lr); break;
            case "Adamax": Adamax(p, grad, lr); break;
            case "NAdam": NAdam(p, grad, lr); break;
            case "RAdam": RAdam(p, grad, lr); break;
            case "Rprop": Rprop(p, grad, lr); break;
            case "Asgd": Asgd(p, grad, lr); break;
            case "Lion": Lion(p, grad, lr); break;
            case "Lamb": Lamb(p, grad, lr); break;
            case "Adafactor": Adafactor(p, grad, lr); break;
            case "Muon": Muon(p, grad, lr); break;
            default: throw new ArgumentException(_optimizer);
        }
    }

    private void RmsProp(float[] p, float[] grad, double lr)
    {
        float[] v = _state[0], average = _state[1], buffer = _state[2];
        float gamma = F(lr);
        double alpha = H("Alpha");
        for (int i = 0; i < p.Length; i++)
        {
            float g = Gradient(grad[i], p[i], H("WeightDecay"));
            v[i] = (F(alpha) * v[i]) + (F(1 - alpha) * (g * g));
            float variance = v[i];
            if (Flag("Centered"))
            {
                average[i] = average[i] + (F(1 - alpha) * (g - average[i]));
                variance = v[i] - (average[i] * average[i]);
            }

            float avg = MathF.Sqrt(variance) + F(H("Eps"));
            if (H("Momentum") > 0)
            {
                buffer[i] = (F(H("Momentum")) * buffer[i]) + (g / avg);
                p[i] = p[i] - (gamma * buffer[i]);
            }
            else
            {
                p[i] = p[i] - (gamma * (g / avg));
            }
        }
    }

    private void Adagrad(float[] p, float[] grad, double lr)
    {
        float[] sum = _state[0];
        float clr = F(lr / (1.0 + ((_t - 1.0) * H("LrDecay"))));
        for (int i = 0; i < p.Length; i++)
        {
            float g = Gradient(grad[i], p[i], H("WeightDecay"));
            float previous = H("InitialAccumulatorValue") != 0 && _t == 1 ? F(H("InitialAccumulatorValue")) : sum[i];
            sum[i] = previous + (g * g);
            float std = MathF.Sqrt(sum[i]) + F(H("Eps"));
            p[i] = p[i] - (clr * (g / std));
        }
    }

    private void Adadelta(float[] p, float[] grad, double lr)
    {
        float[] v = _state[0], u = _state[1];
        float gamma = F(lr), eps = F(H("Eps"));
        double rho = H("Rho");
        for (int i = 0; i < p.Length; i++)
        {
            float g = Gradient(grad[i], p[i], H("WeightDecay"));
            v[i] = (F(rho) * v[i]) + (F(1 - rho) * (g * g));
            float delta = MathF.Sqrt(u[i] + eps) / MathF.Sqrt(v[i] + eps) * g;
            u[i] = (F(rho) * u[i]) + (F(1 - rho) * (delta * delta));
            p[i] = p[i] - (gamma * delta);
        }
    }

    private void Adamax(float[] p, float[] grad, double lr)
    {
        float[] m = _state[0], u = _state[1];
        _power1 *= H("Beta1");
        float clr = F(lr / (1.0 - _power1));
        for (int i = 0; i < p.Length; i++)
        {
            float g = Gradient(grad[i], p[i], H("WeightDecay"));
            m[i] = (F(H("Beta1")) * m[i]) + (F(1 - H("Beta1")) * g);
            u[i] = Math.Max(F(H("Beta2")) * u[i], Math.Abs(g) + F(H("Eps")));
            p[i] = p[i] - (clr * (m[i] / u[i]));
        }
    }

    private void NAdam(float[] p, float[] grad, double lr)
    {
        float[] m = _state[0], v = _state[1];
        double b1 = H("Beta1"), psi = H("MomentumDecay");
        double decayStep = Math.Pow(0.96, psi);
        _decayPower *= decayStep;
        _muProduct = _muProduct * (b1 * (1.0 - (0.5 * _decayPower)));
        _power2 *= H("Beta2");
        double mu = b1 * (1.0 - (0.5 * _decayPower));
        double muNext = b1 * (1.0 - (0.5 * (_decayPower * decayStep)));
        float bc2 = F(1.0 - _power2);
        float gradStep = F(lr * (1.0 - mu) / (1.0 - _muProduct));
        float avgStep = F(lr * muNext / (1.0 - (_muProduct * muNext)));
        bool decoupled = Flag("DecoupledWeightDecay");
        float decay = F(1.0 - (lr * H("WeightDecay")));
        for (int i = 0; i < p.Length; i++)
        {
            if (decoupled && H("WeightDecay") != 0)
            {
                p[i] = p[i] * decay;
            }

            float g = Gradient(grad[i], p[i], decoupled ? 0 : H("WeightDecay"));
            m[i] = (F(b1) * m[i]) + (F(1 - b1) * g);
            v[i] = (F(H("Beta2")) * v[i]) + (F(1 - H("Beta2")) * (g * g));
            float denom = MathF.Sqrt(v[i] / bc2) + F(H("Eps"));
            p[i] = p[i] - (gradStep * (g / denom));
            p[i] = p[i] - (avgStep * (m[i] / denom));
        }
    }

    private void RAdam(float[] p, float[] grad, double lr)
    {
        float[] m = _state[0], v = _state[1];
        double b2 = H("Beta2");
        _power1 *= H("Beta1");
        _power2 *= b2;
        double bc1 = 1.0 - _power1, bc2 = 1.0 - _power2;
        double rhoInf = (2 / (1 - b2)) - 1;
        double rhoT = rhoInf - (2.0 * _t * _power2 / bc2);
        bool rectified = rhoT > 5.0;
        // γ·rₜ·√(1 − β₂ᵗ)/(1 − β₁ᵗ) with rₜ = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ)), written with N = ρₜ·(1 − β₂ᵗ).
        double scaledRho = (rhoInf * bc2) - (2.0 * _t * _power2);
        double rectScaled = Math.Sqrt((scaledRho - (4.0 * bc2)) * (scaledRho - (2.0 * bc2)) * rhoInf / ((rhoInf - 4.0) * (rhoInf - 2.0) * scaledRho));
        float adaptive = F(lr / bc1 * rectScaled), plain = F(lr / bc1);
        bool decoupled = Flag("DecoupledWeightDecay");
        float decay = F(1.0 - (lr * H("WeightDecay")));
        for (int i = 0; i < p.Length; i++)
        {
            if (decoupled && H("WeightDecay") != 0)
            {
                p[i] = p[i] * decay;
            }

            float g = Gradient(grad[i], p[i], decoupled ? 0 : H("WeightDecay"));
            m[i] = (F(H("Beta1")) * m[i]) + (F(1 - H("Beta1")) * g);
            v[i] = (F(b2) * v[i]) + (F(1 - b2) * (g * g));
            p[i] = rectified ? p[i] - (adaptive * (m[i] / (MathF.Sqrt(v[i]) + F(H("Eps"))))) : p[i] - (plain * m[i]);
        }
    }

    private void Rprop(float[] p, float[] grad, double lr)
    {
        float[] prev = _state[0], stepSize = _state[1];
        float gamma = F(lr);
        for (int i = 0; i < p.Length; i++)
        {
            float g = Gradient(grad[i], p[i], 0);
            float product = g * prev[i];
            float factor = product > 0 ? F(H("EtaPlus")) : (product < 0 ? F(H("EtaMinus")) : 1f);
            float current = _t == 1 ? gamma : stepSize[i];
            stepSize[i] = Math.Min(Math.Max(current * factor, F(H("StepSizeMin"))), F(H("StepSizeMax")));
            float kept = product < 0 ? 0f : g;
            p[i] = p[i] - (Sign(kept) * stepSize[i]);
            prev[i] = kept;
        }
    }

    private void Asgd(float[] p, float[] grad, double lr)
    {
        float[] ax = _state[0];
        double lambd = H("Lambd");
        float eta = F(lr / Math.Pow(1.0 + (lambd * lr * (_t - 1.0)), H("Alpha")));
        float decay = F(1.0 - (lambd * eta));
        float mu = F(1.0 / Math.Max(1.0, _t - 1.0 - H("T0")));
        bool muIsOne = mu == 1.0;
        for (int i = 0; i < p.Length; i++)
        {
            float g = Gradient(grad[i], p[i], H("WeightDecay"));
            p[i] = p[i] * decay;
            p[i] = p[i] - (eta * g);
            ax[i] = muIsOne ? p[i] : ax[i] + (mu * (p[i] - ax[i]));
        }
    }

    private void Lion(float[] p, float[] grad, double lr)
    {
        float[] m = _state[0];
        float gamma = F(lr), decay = F(1.0 - (lr * H("WeightDecay")));
        for (int i = 0; i < p.Length; i++)
        {
            if (H("WeightDecay") != 0)
            {
                p[i] = p[i] * decay;
            }

            float g = Gradient(grad[i], p[i], 0);
            float c = (F(H("Beta1")) * m[i]) + (F(1 - H("Beta1")) * g);
            p[i] = p[i] - (gamma * Sign(c));
            m[i] = (F(H("Beta2")) * m[i]) + (F(1 - H("Beta2")) * g);
        }
    }

    private void Lamb(float[] p, float[] grad, double lr)
    {
        float[] m = _state[0], v = _state[1];
        _power1 *= H("Beta1");
        _power2 *= H("Beta2");
        double bc1 = 1.0 - _power1, bc2Sqrt = Math.Sqrt(1.0 - _power2);
        float scale = F(bc2Sqrt / bc1), epsHat = F(H("Eps") * bc2Sqrt);
        float[] update = _state[2];
        float Direction(int i)
        {
            float r = scale * (m[i] / (MathF.Sqrt(v[i]) + epsHat));
            return H("WeightDecay") != 0 ? r + (F(H("WeightDecay")) * p[i]) : r;
        }

        float[] thetaLanes = new float[16], updateLanes = new float[16];
        foreach (var (start, length, _, _) in Tensors())
        {
            Array.Clear(thetaLanes);
            Array.Clear(updateLanes);
            for (int i = start; i < start + length; i++)
            {
                m[i] = (F(H("Beta1")) * m[i]) + (F(1 - H("Beta1")) * grad[i]);
                v[i] = (F(H("Beta2")) * v[i]) + (F(1 - H("Beta2")) * (grad[i] * grad[i]));
                float r = update[i] = Direction(i);
                thetaLanes[(i - start) % 16] += p[i] * p[i];
                updateLanes[(i - start) % 16] += r * r;
            }

            double paramNorm = Math.Sqrt(KernelMath.SumLanes(thetaLanes)), updateNorm = Math.Sqrt(KernelMath.SumLanes(updateLanes));
            double trust = paramNorm > 0.0 && updateNorm > 0.0 ? paramNorm / updateNorm : 1.0;
            float stepSize = F(lr * trust);
            for (int i = start; i < start + length; i++)
            {
                p[i] = p[i] - (stepSize * update[i]);
            }
        }
    }

    private void Adafactor(float[] p, float[] grad, double lr)
    {
        float[] rowVar = _state[0], colVar = _state[1];
        float blend = F(Math.Pow(_t, H("Beta2Decay")));
        float keep = F(1.0 - blend);
        bool small = blend < 0.5;
        double rho = Math.Min(lr, 1.0 / Math.Sqrt(_t));
        float decay = F(1.0 - (lr * H("WeightDecay")));
        double eps1 = H("Eps1");
        float floor = F(eps1 * eps1);
        float G(int i) => Flag("Maximize") ? -grad[i] : grad[i];
        float[] lanes = new float[16];
        foreach (var (start, length, rows, cols) in Tensors())
        {
            // ‖θ‖²: a matrix's rows each start again at lane 0 (element (r, c) to lane c mod 16), a vector's elements run on.
            Array.Clear(lanes);
            for (int i = start; i < start + length; i++)
            {
                lanes[(rows > 0 ? (i - start) % cols : i - start) % 16] += p[i] * p[i];
            }

            double alpha = Math.Max(H("Eps2"), Math.Sqrt(KernelMath.SumLanes(lanes)) / Math.Sqrt(length)) * rho;
            Array.Clear(lanes);
            Func<int, float> update;
            if (rows > 0)
            {
                // R̄ and C̄: each row's mean square summed by lane (element (r, c) to lane c mod 16), each column's in row order.
                float Blend(float average, float mean) => small ? average + (blend * (mean - average)) : mean - ((mean - average) * keep);
                float[] colSquares = new float[cols];
                double rowVarSum = 0;
                for (int r = 0; r < rows; r++)
                {
                    float[] rowLanes = new float[16];
                    for (int c = 0; c < cols; c++)
                    {
                        float square = grad[start + (r * cols) + c] * grad[start + (r * cols) + c];
                        colSquares[c] += square;
                        rowLanes[c % 16] += square;
                    }

                    rowVar[start + r] = Blend(rowVar[start + r], F(KernelMath.SumLanes(rowLanes)) / cols);
                    rowVarSum += rowVar[start + r];
                }

                for (int c = 0; c < cols; c++)
                {
                    colVar[start + c] = Blend(colVar[start + c], colSquares[c] / rows);
                }

                float rowMean = F(Math.Max(rowVarSum / rows, eps1));
                // 1/√max(R̄C̄ᵀ/mean(R̄), ε₁²) as its row factor 1/√R̄ times its column factor √(mean(R̄)/C̄), capped at 1/ε₁.
                float cap = 1f / MathF.Sqrt(floor);
                update = i => MathF.Min((1f / MathF.Sqrt(rowVar[start + ((i - start) / cols)])) * MathF.Sqrt(rowMean / colVar[start + ((i - start) % cols)]), cap) * G(i);
            }
            else
            {
                for (int i = start; i < start + length; i++)
                {
                    float squares = G(i) * G(i);
                    rowVar[i] = small ? rowVar[i] + (blend * (squares - rowVar[i])) : squares - ((squares - rowVar[i]) * keep);
                }

                update = i => 1f / MathF.Sqrt(Math.Max(rowVar[i], floor)) * G(i);
            }

            // ‖U‖²: a matrix's rows each start again at lane 0 (element (r, c) to lane c mod 16), a vector's elements run on.
            for (int i = start; i < start + length; i++)
            {
                float u = update(i);
                lanes[(rows > 0 ? (i - start) % cols : i - start) % 16] += u * u;
            }

            float stepSize = F(alpha / Math.Max(1.0, Math.Sqrt(KernelMath.SumLanes(lanes)) / (Math.Sqrt(length) * H("D"))));
            for (int i = start; i < start + length; i++)
            {
                float u = update(i);
                if (H("WeightDecay") != 0)
                {
                    p[i] = p[i] * decay;
                }

                p[i] = p[i] - (stepSize * u);
            }
        }
    }

    private void Muon(float[] p, float[] grad, double lr)
    {
        float[] buffer = _state[0], update = _state[1];
        double momentum = H("Momentum");
        float decay = F(1.0 - (lr * H("WeightDecay")));
        foreach (var (start, length, rows, cols) in Tensors())
        {
            for (int i = start; i < start + length; i++)
            {
                buffer[i] = Lerp(buffer[i], grad[i], 1 - momentum);
                update[i] = Flag("Nesterov") ? Lerp(grad[i], buffer[i], momentum) : buffer[i];
            }

            var workspace = new float[MatrixKernels.NewtonSchulzWorkspaceLength([rows, cols])];
            MatrixKernels.NewtonSchulz<float>(update.AsSpan(start, length), rows, cols, workspace, H("NsSteps"), H("Eps"), 3.4445, -4.775, 2.0315);
            float adjusted = Flag("MatchRmsAdamW")
                ? F(0.2 * Math.Sqrt(Math.Max((double)rows, cols)) * lr)
                : F(lr * Math.Sqrt(Math.Max(1.0, (double)rows / cols)));
            for (int i = start; i < start + length; i++)
            {
                if (H("WeightDecay") != 0)
                {
                    p[i] = p[i] * decay;
                }

                p[i] = p[i] - (adjusted * update[i]);
            }
        }
    }

    /// <summary>Each tensor's start, length and, for matrices, rows and columns (0 for vectors).</summary>
    private IEnumerable<(int Start, int Length, int Rows, int Cols)> Tensors()
    {
        int start = 0;
        foreach (int[] shape in _shapes)
        {
            int length = shape.Aggregate(1, (a, b) => a * b);
            yield return (start, length, shape.Length >= 2 ? shape[0] : 0, shape.Length >= 2 ? length / shape[0] : 0);
            start += length;
        }
    }
}
