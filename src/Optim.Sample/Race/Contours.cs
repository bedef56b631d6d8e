using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Optim.Sample.Race;

/// <summary>Contour lines of a surface by marching squares, as one SVG path in pixel coordinates (y up).</summary>
internal static class Contours
{
    private const int Grid = 140;

    /// <summary>The contour levels: log-spaced above the minimum where the range calls for it, else evenly spaced.</summary>
    public static double[] Levels(Surface surface, double[,] values)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (double v in values)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        const int count = 16;
        var levels = new double[count];
        double fMin = surface.MinimumValue;
        for (int k = 0; k < count; k++)
        {
            double t = (k + 0.5) / count;
            levels[k] = surface.LogLevels
                ? fMin + Math.Pow(10, Math.Log10(1e-2) + (t * (Math.Log10(max - fMin) - Math.Log10(1e-2))))
                : min + (t * (max - min));
        }

        return levels;
    }

    /// <summary>An SVG path ("M x,y L x,y …") of every contour segment, mapped by <paramref name="toPixel"/>.</summary>
    public static string Path(Surface surface, Func<double, double, (double Px, double Py)> toPixel)
    {
        var (x0, x1, y0, y1) = surface.Domain;
        var values = new double[Grid + 1, Grid + 1];
        for (int i = 0; i <= Grid; i++)
        {
            for (int j = 0; j <= Grid; j++)
            {
                values[i, j] = surface.F(X(i), Y(j));
            }
        }

        var path = new StringBuilder();
        foreach (double level in Levels(surface, values))
        {
            for (int i = 0; i < Grid; i++)
            {
                for (int j = 0; j < Grid; j++)
                {
                    foreach (var ((ax, ay), (bx, by)) in Cell(values, i, j, level))
                    {
                        var a = toPixel(X(ax), Y(ay));
                        var b = toPixel(X(bx), Y(by));
                        path.Append(CultureInfo.InvariantCulture, $"M{a.Px:0.#},{a.Py:0.#}L{b.Px:0.#},{b.Py:0.#}");
                    }
                }
            }
        }

        return path.ToString();

        double X(double i) => x0 + ((x1 - x0) * i / Grid);
        double Y(double j) => y0 + ((y1 - y0) * j / Grid);
    }

    /// <summary>The segments where the level crosses cell (i, j), in fractional grid coordinates.</summary>
    private static IEnumerable<((double, double), (double, double))> Cell(double[,] v, int i, int j, double level)
    {
        double a = v[i, j], b = v[i + 1, j], c = v[i + 1, j + 1], d = v[i, j + 1];
        int index = (a > level ? 1 : 0) | (b > level ? 2 : 0) | (c > level ? 4 : 0) | (d > level ? 8 : 0);
        if (index is 0 or 15)
        {
            yield break;
        }

        // Crossing points on the four edges: bottom (a–b), right (b–c), top (d–c), left (a–d).
        (double, double) Bottom() => (i + Fraction(a, b), j);
        (double, double) Right() => (i + 1, j + Fraction(b, c));
        (double, double) Top() => (i + Fraction(d, c), j + 1);
        (double, double) Left() => (i, j + Fraction(a, d));
        double Fraction(double p, double q) => q == p ? 0.5 : Math.Clamp((level - p) / (q - p), 0, 1);

        bool centerAbove = (a + b + c + d) / 4 > level;
        switch (index)
        {
            case 1 or 14: yield return (Left(), Bottom()); break;
            case 2 or 13: yield return (Bottom(), Right()); break;
            case 3 or 12: yield return (Left(), Right()); break;
            case 4 or 11: yield return (Right(), Top()); break;
            case 6 or 9: yield return (Bottom(), Top()); break;
            case 7 or 8: yield return (Left(), Top()); break;
            case 5:
                // Saddle cell: a and c above. The centre decides which pairs of edges connect.
                if (centerAbove)
                {
                    yield return (Left(), Top());
                    yield return (Bottom(), Right());
                }
                else
                {
                    yield return (Left(), Bottom());
                    yield return (Right(), Top());
                }

                break;
            case 10:
                if (centerAbove)
                {
                    yield return (Left(), Bottom());
                    yield return (Right(), Top());
                }
                else
                {
                    yield return (Left(), Top());
                    yield return (Bottom(), Right());
                }

                break;
        }
    }
}
