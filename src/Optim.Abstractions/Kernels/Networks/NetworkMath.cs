using System;

namespace Optim.Kernels;

/// <summary>
/// The error function for GELU, from IEEE additions, multiplications, divisions and one <see cref="Math.Exp"/>, so the
/// same input gives the same bits on every path (there is no Math.Erf to call). Accurate to about 1e-14 relative.
/// </summary>
internal static class NetworkMath
{
    /// <summary>2/√π.</summary>
    private const double TwoOverSqrtPi = 1.1283791670955126;

    /// <summary>1/√π.</summary>
    private const double OneOverSqrtPi = 0.5641895835477563;

    /// <summary>1/√2 (PyTorch's M_SQRT1_2).</summary>
    public const double Sqrt1Over2 = 0.7071067811865476;

    /// <summary>1/√(2π): the standard normal density at 0.</summary>
    public const double InverseSqrt2Pi = 0.3989422804014327;

    /// <summary>erf(z).</summary>
    public static double Erf(double z)
    {
        if (double.IsNaN(z))
        {
            return z;
        }

        double a = Math.Abs(z);
        double value;
        if (a <= 2.5)
        {
            // Maclaurin series: erf z = 2/√π Σ (−1)ⁿ z²ⁿ⁺¹ / (n! (2n + 1)); at most 40 terms below 2.5.
            double z2 = a * a;
            double term = a;
            double sum = a;
            for (int n = 1; n <= 60; n++)
            {
                term *= -z2 / n;
                double next = term / ((2 * n) + 1);
                sum += next;
                if (Math.Abs(next) < 1e-17 * sum)
                {
                    break;
                }
            }

            value = TwoOverSqrtPi * sum;
        }
        else
        {
            // erfc z = e^(−z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + …)))), the continued fraction evaluated from
            // its 60th level up (converged to double precision from 2.5 on).
            double t = a;
            for (int k = 60; k >= 1; k--)
            {
                t = a + (0.5 * k / t);
            }

            value = 1 - (Math.Exp(-a * a) * OneOverSqrtPi / t);
        }

        return z < 0 ? -value : value;
    }
}
