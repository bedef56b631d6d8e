using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Xunit.Abstractions;

namespace Optim.Generators.Tests.Infrastructure;

/// <summary>
/// The largest error a numerical test saw for each quantity it checked, as a fraction of the bound it allowed, written
/// to the test's output when the test ends: the figures a closing note quotes come from the assertions themselves
/// (<c>dotnet test --filter … --logger "console;verbosity=detailed"</c> prints them). Thread-safe: CsCheck samples run
/// on several threads.
/// </summary>
public sealed class WorstErrors(ITestOutputHelper output) : IDisposable
{
    private readonly Dictionary<string, (int Count, double Error, double Fraction)> _worst = new(StringComparer.Ordinal);

    /// <summary>Notes one checked value: its error and the bound the test allowed it (the assertion is the caller's).</summary>
    public void Add(string quantity, double error, double bound)
    {
        double fraction = bound > 0 ? error / bound : (error == 0 ? 0 : double.PositiveInfinity);
        lock (_worst)
        {
            _worst.TryGetValue(quantity, out var seen);
            _worst[quantity] = (seen.Count + 1, Math.Max(seen.Error, error), Math.Max(seen.Fraction, fraction));
        }
    }

    public void Dispose()
    {
        lock (_worst)
        {
            foreach (var (quantity, (count, error, fraction)) in _worst.OrderBy(pair => pair.Key, StringComparer.Ordinal))
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{quantity}: {count} values, largest error {error:E2} ({fraction:0.0E+0} of its bound)"));
            }
        }
    }
}
