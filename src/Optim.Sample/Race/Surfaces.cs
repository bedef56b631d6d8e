using System;

namespace Optim.Sample.Race;

/// <summary>A 2-D test function with its gradient, standard domain, start point and minima.</summary>
internal sealed record Surface(
    string Name,
    string Formula,
    Func<double, double, double> F,
    Func<double, double, (double X, double Y)> Gradient,
    (double X0, double X1, double Y0, double Y1) Domain,
    (double X, double Y) Start,
    (double X, double Y)[] Minima,
    bool LogLevels)
{
    /// <summary>The lowest value of the function at its minima.</summary>
    public double MinimumValue => F(Minima[0].X, Minima[0].Y);

    /// <summary>Distance from (x, y) to the nearest minimum.</summary>
    public double Distance(double x, double y)
    {
        double best = double.PositiveInfinity;
        foreach (var (mx, my) in Minima)
        {
            best = Math.Min(best, Math.Sqrt(((x - mx) * (x - mx)) + ((y - my) * (y - my))));
        }

        return best;
    }

    private static readonly double Cos30 = Math.Cos(Math.PI / 6), Sin30 = Math.Sin(Math.PI / 6);

    public static readonly Surface[] All =
    [
        new(
            "Rosenbrock",
            "f(x, y) = (1 − x)² + 100 (y − x²)²",
            (x, y) => ((1 - x) * (1 - x)) + (100 * (y - (x * x)) * (y - (x * x))),
            (x, y) => ((-2 * (1 - x)) - (400 * x * (y - (x * x))), 200 * (y - (x * x))),
            (-2, 2, -1, 3),
            (-1.5, 2.5),
            [(1, 1)],
            LogLevels: true),
        new(
            "Beale",
            "f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
            Beale,
            BealeGradient,
            (-4.5, 4.5, -4.5, 4.5),
            (1, 1.5),
            [(3, 0.5)],
            LogLevels: true),
        new(
            "Himmelblau",
            "f(x, y) = (x² + y − 11)² + (x + y² − 7)²",
            (x, y) => Math.Pow((x * x) + y - 11, 2) + Math.Pow(x + (y * y) - 7, 2),
            (x, y) => ((4 * x * ((x * x) + y - 11)) + (2 * (x + (y * y) - 7)), (2 * ((x * x) + y - 11)) + (4 * y * (x + (y * y) - 7))),
            (-5, 5, -5, 5),
            (0, 0),
            [(3, 2), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)],
            LogLevels: true),
        new(
            "Rastrigin",
            "f(x, y) = 20 + x² − 10 cos 2πx + y² − 10 cos 2πy",
            (x, y) => 20 + (x * x) - (10 * Math.Cos(2 * Math.PI * x)) + (y * y) - (10 * Math.Cos(2 * Math.PI * y)),
            (x, y) => ((2 * x) + (20 * Math.PI * Math.Sin(2 * Math.PI * x)), (2 * y) + (20 * Math.PI * Math.Sin(2 * Math.PI * y))),
            (-5.12, 5.12, -5.12, 5.12),
            (2.2, -3.6),
            [(0, 0)],
            LogLevels: false),
        new(
            "Saddle",
            "f(x, y) = x² − y² + y⁴ / 4   (saddle at the origin, minima at (0, ±√2))",
            (x, y) => (x * x) - (y * y) + (Math.Pow(y, 4) / 4),
            (x, y) => (2 * x, (-2 * y) + Math.Pow(y, 3)),
            (-2, 2, -2.5, 2.5),
            (1.8, 0.001),
            [(0, Math.Sqrt(2)), (0, -Math.Sqrt(2))],
            LogLevels: false),
        new(
            "Ravine",
            "f(x, y) = ½ (100 u² + v²), (u, v) = (x, y) rotated by 30°   (condition number 100)",
            (x, y) => Ravine(x, y),
            RavineGradient,
            (-3, 3, -3, 3),
            (-2.5, 2),
            [(0, 0)],
            LogLevels: true),
    ];

    private static double Beale(double x, double y)
    {
        double a = 1.5 - x + (x * y), b = 2.25 - x + (x * y * y), c = 2.625 - x + (x * y * y * y);
        return (a * a) + (b * b) + (c * c);
    }

    private static (double, double) BealeGradient(double x, double y)
    {
        double a = 1.5 - x + (x * y), b = 2.25 - x + (x * y * y), c = 2.625 - x + (x * y * y * y);
        return (
            (2 * a * (y - 1)) + (2 * b * ((y * y) - 1)) + (2 * c * ((y * y * y) - 1)),
            (2 * a * x) + (2 * b * 2 * x * y) + (2 * c * 3 * x * y * y));
    }

    private static double Ravine(double x, double y)
    {
        double u = (Cos30 * x) + (Sin30 * y), v = (-Sin30 * x) + (Cos30 * y);
        return 0.5 * ((100 * u * u) + (v * v));
    }

    private static (double, double) RavineGradient(double x, double y)
    {
        double u = (Cos30 * x) + (Sin30 * y), v = (-Sin30 * x) + (Cos30 * y);
        double du = 100 * u, dv = v;
        return ((Cos30 * du) - (Sin30 * dv), (Sin30 * du) + (Cos30 * dv));
    }
}
