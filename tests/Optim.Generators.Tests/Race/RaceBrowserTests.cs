using System;
using System.IO;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.Race;

/// <summary>
/// The sample's race page, loaded in a real headless Chromium: no script errors, every racer's path and loss
/// curve drawn on every surface in both races, a screenshot saved. CI installs Debian's chromium; elsewhere the
/// test is skipped (and says so) when no browser is installed.
/// </summary>
public sealed class RaceBrowserTests
{
    private static readonly string[] BrowserFlags =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--hide-scrollbars",
    ];

    /// <summary>In the long run (Category=Long): two browser launches beside the race, and most machines skip it anyway.</summary>
    [SkippableFact]
    [Trait("Category", "Long")]
    public void Race_page_renders_every_racer_without_script_errors()
    {
        string? chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);
        bool ci = Environment.GetEnvironmentVariable("CI") == "true";
        Assert.False(chromium is null && ci, "CI must install Debian's chromium (see .ci/run).");
        Skip.If(chromium is null, "Chromium is not installed: apt-get install chromium to run the browser test.");

        string folder = Path.Combine(Path.GetTempPath(), "optim-race-" + Guid.NewGuid().ToString("N"));
        var (exit, output, error) = Processes.Run("dotnet", ["exec", Processes.BuiltAssembly("src/Optim.Sample", "Optim.Sample.dll"), "race", folder]);
        Assert.True(exit == 0, $"race command failed ({exit}): {error}\n{output}");
        Assert.Contains(folder, output, StringComparison.Ordinal);
        string page = Path.Combine(folder, "race.html");
        Assert.True(File.Exists(Path.Combine(folder, "race.svg")), "race.svg missing");

        // Self-contained: nothing is loaded from anywhere else.
        string html = File.ReadAllText(page);
        Assert.DoesNotMatch(new Regex("""(src|href)\s*=\s*["']?(https?:|//)""", RegexOptions.IgnoreCase), html);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);

        string profile = Path.Combine(folder, "profile");
        var dom = Processes.Run(chromium!, [.. BrowserFlags, "--user-data-dir=" + profile, "--virtual-time-budget=10000", "--dump-dom", new Uri(page).AbsoluteUri], timeoutSeconds: 120);
        Assert.True(dom.ExitCode == 0, "chromium failed: " + dom.Error);
        string root = Regex.Match(dom.Output, "<html[^>]*>").Value;
        Assert.Contains("data-race-status=\"ok\"", root, StringComparison.Ordinal);
        Assert.Matches("<div id=\"errors\" role=\"alert\"></div>", dom.Output);

        int Attribute(string name) => int.Parse(Regex.Match(root, $"data-{name}=\"(\\d+)\"").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        int expected = Attribute("frames") * Attribute("racers");
        Assert.Equal(12, Attribute("frames")); // six surfaces, tuned and default races
        Assert.Equal(18, Attribute("racers")); // every optimizer Optim offers, SGD and Adam in two variants each
        Assert.Equal(expected, Attribute("paths"));
        Assert.Equal(expected, Attribute("drawn-paths"));
        Assert.Equal(expected, Attribute("chart-lines"));

        string screenshot = Path.Combine(Repository.Root, "tests", "Optim.Generators.Tests", "TestResults", "race.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        File.Delete(screenshot);
        var shot = Processes.Run(chromium!, [.. BrowserFlags, "--user-data-dir=" + profile, "--window-size=1280,1250", "--screenshot=" + screenshot, new Uri(page).AbsoluteUri], timeoutSeconds: 120);
        Assert.True(shot.ExitCode == 0, "chromium screenshot failed: " + shot.Error);
        AssertScreenshotShowsTheRace(Png.Read(screenshot), html);
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>
    /// What the screenshot must show: the full window, mostly not blank (contour maps and charts), and every racer's
    /// colour (from the page's own data) drawn in solid pixels somewhere, so a page that renders blank or without its
    /// paths fails.
    /// </summary>
    private static void AssertScreenshotShowsTheRace(Png png, string html)
    {
        Assert.Equal((1280, 1250), (png.Width, png.Height));
        var counts = png.Pixels.GroupBy(p => p).ToDictionary(g => g.Key, g => g.Count());
        int white = counts.GetValueOrDefault(0xFFFFFF);
        Assert.True(white < png.Pixels.Length * 0.9, $"{white} of {png.Pixels.Length} pixels are white");
        Assert.True(counts.Count > 1000, $"only {counts.Count} distinct colours: contours and curves are missing");

        string[] colours = Regex.Matches(html, "\"color\":\"#([0-9A-Fa-f]{6})\"").Select(m => m.Groups[1].Value).Distinct().ToArray();
        Assert.True(colours.Length >= 8, $"the page names {colours.Length} racer colours");
        foreach (string colour in colours)
        {
            int pixels = counts.GetValueOrDefault(int.Parse(colour, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(pixels >= 100, $"racer colour #{colour} covers {pixels} pixels of the screenshot");
        }
    }
}
