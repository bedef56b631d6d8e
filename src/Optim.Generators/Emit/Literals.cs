using System.Globalization;
using Optim.Generators.Model;

namespace Optim.Generators.Emit;

/// <summary>C# literals in invariant culture with round-trip precision.</summary>
internal static class Literals
{
    private static readonly char[] DoubleMarkers = { '.', 'E', 'e' };

    public static string Double(double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            return NonFinite("double", value);
        }

        string text = value.ToString("R", CultureInfo.InvariantCulture);
        if (double.Parse(text, CultureInfo.InvariantCulture) != value)
        {
            text = value.ToString("G17", CultureInfo.InvariantCulture);
        }

        return text.IndexOfAny(DoubleMarkers) >= 0 ? text : text + ".0";
    }

    public static string Float(float value)
    {
        if (float.IsNaN(value) || float.IsInfinity(value))
        {
            return NonFinite("float", value);
        }

        string text = value.ToString("R", CultureInfo.InvariantCulture);
        if (float.Parse(text, CultureInfo.InvariantCulture) != value)
        {
            text = value.ToString("G9", CultureInfo.InvariantCulture);
        }

        return text + "f";
    }

    /// <summary>NaN and the infinities by name (a custom rule's constants may fold to them, e.g. 1f / 0f).</summary>
    private static string NonFinite(string type, double value) =>
        double.IsNaN(value) ? type + ".NaN" : value > 0 ? type + ".PositiveInfinity" : type + ".NegativeInfinity";

    /// <summary>The constant <paramref name="value"/> rounded once to the element type.</summary>
    public static string Element(double value, ElementType element) =>
        element == ElementType.Float ? Float((float)value) : Double(value);

    public static string Keyword(this ElementType element) => element == ElementType.Float ? "float" : "double";

}
