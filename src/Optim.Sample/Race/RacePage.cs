using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace Optim.Sample.Race;

/// <summary>All the runs of one surface: the tuned race and the default-hyperparameter race.</summary>
internal sealed record SurfaceRace(Surface Surface, IReadOnlyList<Run> Tuned, IReadOnlyList<Run> Defaults);

/// <summary>Writes the self-contained race.html (inline data, CSS and script; no external files) and race.svg.</summary>
internal static class RacePage
{
    /// <summary>Size of the contour map in pixels.</summary>
    public const int Size = 560;

    public static void WriteHtml(string path, IReadOnlyList<SurfaceRace> races)
    {
        string template = Template();
        string html = template.Replace("/*DATA*/null", Data(races), StringComparison.Ordinal);
        File.WriteAllText(path, html, new UTF8Encoding(false));
    }

    /// <summary>The final frame of <paramref name="race"/>'s tuned race as a standalone SVG.</summary>
    public static void WriteSvg(string path, SurfaceRace race)
    {
        var s = race.Surface;
        const int legendHeight = 24;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Size}\" height=\"{Size + 40 + (legendHeight * race.Tuned.Count)}\" font-family=\"sans-serif\" font-size=\"13\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n<g><path d=\"{Contours.Path(s, (x, y) => ToPixel(s, x, y))}\" fill=\"none\" stroke=\"#bbb\" stroke-width=\"0.7\"/></g>\n");
        foreach (var (mx, my) in s.Minima)
        {
            var (px, py) = ToPixel(s, mx, my);
            svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{px:0.#}\" cy=\"{py:0.#}\" r=\"5\" fill=\"none\" stroke=\"#000\" stroke-width=\"1.5\"/>\n");
        }

        svg.Append("<clipPath id=\"map\"><rect width=\"").Append(Size).Append("\" height=\"").Append(Size).Append("\"/></clipPath><g clip-path=\"url(#map)\">\n");
        foreach (Run run in race.Tuned)
        {
            string points = string.Join(" ", run.Points.Select(p => ToPixel(s, p.X, p.Y)).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Px:0.#},{p.Py:0.#}")));
            svg.Append(CultureInfo.InvariantCulture, $"<polyline points=\"{points}\" fill=\"none\" stroke=\"{run.Racer.Color}\" stroke-width=\"2\"/>\n");
        }

        svg.Append("</g>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"8\" y=\"{Size + 24}\" font-weight=\"bold\">{s.Name}: tuned learning rates, {RaceRunner.Steps} steps</text>\n");
        for (int r = 0; r < race.Tuned.Count; r++)
        {
            Run run = race.Tuned[r];
            int y = Size + 40 + (legendHeight * r) + 14;
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"8\" y=\"{y - 10}\" width=\"14\" height=\"4\" fill=\"{run.Racer.Color}\"/><text x=\"30\" y=\"{y}\">{run.Racer.Name} (lr {run.Lr:G3}): {Outcome(run)}</text>\n");
        }

        svg.Append("</svg>\n");
        File.WriteAllText(path, svg.ToString(), new UTF8Encoding(false));
    }

    /// <summary>"finished at step 42", "diverged at step 7" or "distance 0.31 at the end".</summary>
    public static string Outcome(Run run) =>
        run.Diverged >= 0 ? string.Create(CultureInfo.InvariantCulture, $"diverged at step {run.Diverged}")
        : run.Finish >= 0 ? string.Create(CultureInfo.InvariantCulture, $"finished at step {run.Finish}")
        : string.Create(CultureInfo.InvariantCulture, $"distance {run.Distances[^1]:G3} at the end");

    private static (double Px, double Py) ToPixel(Surface s, double x, double y)
    {
        var (x0, x1, y0, y1) = s.Domain;
        return ((x - x0) / (x1 - x0) * Size, Size - ((y - y0) / (y1 - y0) * Size));
    }

    private static string Data(IReadOnlyList<SurfaceRace> races)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteNumber("steps", RaceRunner.Steps);
            json.WriteNumber("size", Size);
            json.WriteNumber("epsilon", RaceRunner.Epsilon);
            json.WriteString("candidates", $"{RaceRunner.Candidates.Length} learning rates from {RaceRunner.Candidates[0]:G2} to {RaceRunner.Candidates[^1]:G2} (quarter decades)");
            json.WriteStartArray("racers");
            foreach (RacerKind racer in RacerKind.All)
            {
                json.WriteStartObject();
                json.WriteString("name", racer.Name);
                json.WriteString("color", racer.Color);
                json.WriteString("marker", racer.Marker);
                json.WriteString("rule", racer.UpdateRule);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("surfaces");
            foreach (SurfaceRace race in races)
            {
                Surface s = race.Surface;
                json.WriteStartObject();
                json.WriteString("name", s.Name);
                json.WriteString("formula", s.Formula);
                json.WriteString("contours", Contours.Path(s, (x, y) => ToPixel(s, x, y)));
                json.WriteStartArray("minima");
                foreach (var (mx, my) in s.Minima)
                {
                    WritePoint(json, ToPixel(s, mx, my));
                }

                json.WriteEndArray();
                json.WritePropertyName("start");
                WritePoint(json, ToPixel(s, s.Start.X, s.Start.Y));
                WriteRuns(json, "tuned", s, race.Tuned);
                WriteRuns(json, "defaults", s, race.Defaults);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        // Inside a <script> element, "</" must not appear literally.
        return Encoding.UTF8.GetString(stream.ToArray()).Replace("</", "<\\/", StringComparison.Ordinal);
    }

    private static void WriteRuns(Utf8JsonWriter json, string name, Surface s, IReadOnlyList<Run> runs)
    {
        json.WriteStartArray(name);
        foreach (Run run in runs)
        {
            json.WriteStartObject();
            json.WriteNumber("lr", run.Lr);
            json.WriteNumber("finish", run.Finish);
            json.WriteNumber("diverged", run.Diverged);
            json.WriteStartArray("path");
            foreach (var (x, y) in run.Points)
            {
                WritePoint(json, ToPixel(s, x, y));
            }

            json.WriteEndArray();
            json.WriteStartArray("gap");
            foreach (double gap in run.Gaps)
            {
                json.WriteNumberValue(Math.Round(gap, 12) is var g && double.IsFinite(g) ? g : 1e300);
            }

            json.WriteEndArray();
            json.WriteStartArray("distance");
            foreach (double distance in run.Distances)
            {
                json.WriteNumberValue(Math.Round(distance, 5));
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WritePoint(Utf8JsonWriter json, (double Px, double Py) p)
    {
        json.WriteStartArray();
        json.WriteNumberValue(Math.Round(Math.Clamp(p.Px, -1e5, 1e5), 1));
        json.WriteNumberValue(Math.Round(Math.Clamp(p.Py, -1e5, 1e5), 1));
        json.WriteEndArray();
    }

    private static string Template()
    {
        using Stream stream = typeof(RacePage).Assembly.GetManifestResourceStream("Optim.Sample.Race.race.html")
            ?? throw new InvalidOperationException("The race page template is not embedded in the sample.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
