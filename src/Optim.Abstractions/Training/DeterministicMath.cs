using System;

namespace Optim.Training;

/// <summary>
/// The logarithm, sine and cosine the normal initializers need, computed with IEEE 754 additions, multiplications and
/// divisions only. <see cref="Math.Log(double)"/>, <see cref="Math.Sin"/> and <see cref="Math.Cos"/> call the
/// platform's C library, whose last bit differs between glibc, Windows and macOS; these give the same bits everywhere
/// (the JIT never fuses a multiply and an add on its own). Accurate to a few units in the last place.
/// </summary>
internal static class DeterministicMath
{
    // ln 2 split so that e·Ln2Hi is exact for any double exponent e (Ln2Hi has 21 trailing zero bits).
    private const double Ln2Hi = 6.93147180369123816490e-01;
    private const double Ln2Lo = 1.90821492927058770002e-10;
    private const double Sqrt2 = 1.4142135623730951;
    private const double PiOver4 = Math.PI / 4;

    /// <summary>The natural logarithm of a positive, finite, normal <paramref name="x"/>.</summary>
    public static double Log(double x)
    {
        // x = m·2^e with m in (√2/2, √2]; ln m = 2·atanh(s) = 2s·(1 + s²/3 + s⁴/5 + …), s = (m − 1)/(m + 1), |s| ≤ 0.172.
        ulong bits = BitConverter.DoubleToUInt64Bits(x);
        int exponent = (int)(bits >> 52) - 1023;
        double m = BitConverter.UInt64BitsToDouble((bits & 0x000F_FFFF_FFFF_FFFFUL) | 0x3FF0_0000_0000_0000UL);
        if (m > Sqrt2)
        {
            m *= 0.5;
            exponent++;
        }

        double s = (m - 1) / (m + 1);
        double s2 = s * s;
        double series = 1.0 / 23;
        for (int k = 21; k >= 3; k -= 2)
        {
            series = (1.0 / k) + (s2 * series);
        }

        double twoS = 2 * s;
        return (exponent * Ln2Hi) + ((twoS * s2 * series) + twoS + (exponent * Ln2Lo));
    }

    /// <summary>The sine and cosine of 2π·<paramref name="turns"/>, for <paramref name="turns"/> in [0, 1).</summary>
    public static (double Sin, double Cos) SinCosTurns(double turns)
    {
        // 2π·turns = (π/4)·(octant + f): reduce exactly to an angle in [0, π/4], then place it by symmetry.
        double eighths = turns * 8;
        int octant = (int)eighths;
        double f = eighths - octant;
        double sin, cos;
        if ((octant & 1) == 0)
        {
            (sin, cos) = SinCosSmall(PiOver4 * f);
        }
        else
        {
            (cos, sin) = SinCosSmall(PiOver4 * (1 - f));
        }

        return (octant >> 1) switch
        {
            0 => (sin, cos),
            1 => (cos, -sin),
            2 => (-sin, -cos),
            _ => (-cos, sin),
        };
    }

    /// <summary>Taylor series of sine and cosine for x in [0, π/4], where the first omitted terms are below 10⁻¹⁹.</summary>
    private static (double Sin, double Cos) SinCosSmall(double x)
    {
        double x2 = x * x;
        double sin = -1.0 / 121645100408832000;                // −1/19!
        sin = (1.0 / 355687428096000) + (x2 * sin);            // 1/17!
        sin = (-1.0 / 1307674368000) + (x2 * sin);             // −1/15!
        sin = (1.0 / 6227020800) + (x2 * sin);                 // 1/13!
        sin = (-1.0 / 39916800) + (x2 * sin);                  // −1/11!
        sin = (1.0 / 362880) + (x2 * sin);                     // 1/9!
        sin = (-1.0 / 5040) + (x2 * sin);                      // −1/7!
        sin = (1.0 / 120) + (x2 * sin);                        // 1/5!
        sin = (-1.0 / 6) + (x2 * sin);                         // −1/3!
        double cos = -1.0 / 6402373705728000;                  // −1/18!
        cos = (1.0 / 20922789888000) + (x2 * cos);             // 1/16!
        cos = (-1.0 / 87178291200) + (x2 * cos);               // −1/14!
        cos = (1.0 / 479001600) + (x2 * cos);                  // 1/12!
        cos = (-1.0 / 3628800) + (x2 * cos);                   // −1/10!
        cos = (1.0 / 40320) + (x2 * cos);                      // 1/8!
        cos = (-1.0 / 720) + (x2 * cos);                       // −1/6!
        cos = (1.0 / 24) + (x2 * cos);                         // 1/4!
        cos = (-1.0 / 2) + (x2 * cos);                         // −1/2!
        return (x + (x * x2 * sin), 1 + (x2 * cos));
    }
}
