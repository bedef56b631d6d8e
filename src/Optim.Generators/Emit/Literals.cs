using System.Globalization;
using Optim.Generators.Model;

namespace Optim.Generators.Emit;

/// <summary>C# literals in invariant culture with round-trip precision.</summary>
internal static class Literals
{
    private static readonly char[] DoubleMarkers = { '.', 'E', 'e' };

    public static string Double(double value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        if (double.Parse(text, CultureInfo.InvariantCulture) != value)
        {
            text = value.ToString("G17", CultureInfo.InvariantCulture);
        }

        return text.IndexOfAny(DoubleMarkers) >= 0 ? text : text + ".0";
    }

    public static string Float(float value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        if (float.Parse(text, CultureInfo.InvariantCulture) != value)
        {
            text = value.ToString("G9", CultureInfo.InvariantCulture);
        }

        return text + "f";
    }

    /// <summary>The constant <paramref name="value"/> rounded once to the element type.</summary>
    public static string Element(double value, ElementType element) =>
        element == ElementType.Float ? Float((float)value) : Double(value);

    public static string Keyword(this ElementType element) => element == ElementType.Float ? "float" : "double";

}
