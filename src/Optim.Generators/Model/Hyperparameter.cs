using System.Globalization;

namespace Optim.Generators.Model;

/// <summary>The range a hyperparameter's value must lie in.</summary>
internal enum Constraint
{
    /// <summary>A bool flag (stored as 0 or 1).</summary>
    Flag,

    /// <summary>Finite and greater than 0.</summary>
    Positive,

    /// <summary>Finite and at least 0.</summary>
    NonNegative,

    /// <summary>In [0, 1).</summary>
    HalfOpenUnit,

    /// <summary>In [0, 1].</summary>
    ClosedUnit,

    /// <summary>In (0, 1).</summary>
    OpenUnit,

    /// <summary>Finite and greater than 1.</summary>
    AboveOne,

    /// <summary>Any finite number.</summary>
    Finite,

    /// <summary>A whole number of at least 1 (an int argument).</summary>
    Count,

    /// <summary>0 or less.</summary>
    NonPositive,

    /// <summary>Finite and at least 1.</summary>
    AtLeastOne,
}

/// <summary>One named argument of <c>[Optimize]</c>: PascalCase of PyTorch's name, its default and its range.</summary>
internal sealed record Hyperparameter(string Name, Constraint Constraint, double Default)
{
    public bool IsFlag => Constraint == Constraint.Flag;

    /// <summary>Why <paramref name="value"/> is invalid, or null when it is valid.</summary>
    public string? Check(double value)
    {
        if (IsFlag)
        {
            return null;
        }

        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            return "it must be a finite number";
        }

        return Constraint switch
        {
            Constraint.Positive when value <= 0 => "it must be greater than 0",
            Constraint.NonNegative when value < 0 => "it must be 0 or greater",
            Constraint.HalfOpenUnit when value < 0 || value >= 1 => "it must be in [0, 1)",
            Constraint.ClosedUnit when value < 0 || value > 1 => "it must be in [0, 1]",
            Constraint.OpenUnit when value <= 0 || value >= 1 => "it must be in (0, 1)",
            Constraint.AboveOne when value <= 1 => "it must be greater than 1",
            Constraint.Count when value < 1 || value != System.Math.Floor(value) => "it must be a whole number of at least 1",
            Constraint.NonPositive when value > 0 => "it must be 0 or less",
            Constraint.AtLeastOne when value < 1 => "it must be 1 or greater",
            _ => null,
        };
    }

    /// <summary>A default of NaN stands for "the machine epsilon of the element type" (Adafactor's eps1).</summary>
    public string Format(double value) => IsFlag
        ? (value != 0 ? "true" : "false")
        : double.IsNaN(value) ? "machine epsilon" : value.ToString("R", CultureInfo.InvariantCulture);
}
