using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Optim.Sample.Race;

/// <summary>
/// The <c>race</c> command: every optimizer Optim offers races down six test surfaces, each with the learning rate
/// the same search picked for it, and again with PyTorch's defaults. Writes race.html and race.svg.
/// </summary>
internal static class RaceCommand
{
    public static int Run(string? outputFolder)
    {
        string folder = Path.GetFullPath(outputFolder ?? Path.Combine(Environment.CurrentDirectory, "race-output"));
        Directory.CreateDirectory(folder);
        var clock = Stopwatch.StartNew();

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"The optimizer race: {RacerKind.All.Length} racers, {Surface.All.Length} surfaces, {RaceRunner.Steps} steps."));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Fair race: each racer's learning rate is the best of {RaceRunner.Candidates.Length} tried ({RaceRunner.Candidates[0]:G2} to {RaceRunner.Candidates[^1]:G2}), scored by the mean log10(f − f_min) over the run."));
        Console.WriteLine();

        var races = new List<SurfaceRace>();
        foreach (Surface surface in Surface.All)
        {
            var tuned = RacerKind.All.Select(r => RaceRunner.Tuned(r, surface)).ToList();
            var defaults = RacerKind.All.Select(r => RaceRunner.Race(r, surface, r.Create().LearningRate)).ToList();
            races.Add(new SurfaceRace(surface, tuned, defaults));

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{surface.Name}"));
            foreach (Run run in tuned.OrderBy(r => r.Finish >= 0 ? r.Finish : r.Diverged >= 0 ? int.MaxValue : 100_000 + r.Distances[^1]))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {run.Racer.Name,-20} lr {run.Lr,-8:G3} {RacePage.Outcome(run)}"));
            }
        }

        string html = Path.Combine(folder, "race.html"), svg = Path.Combine(folder, "race.svg");
        RacePage.WriteHtml(html, races);
        RacePage.WriteSvg(svg, races[0]);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Wrote {html}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  and {svg} (the final frame of the {races[0].Surface.Name} race) in {clock.Elapsed.TotalSeconds:F1} s."));
        Console.WriteLine("Open race.html in a browser: it is self-contained and works offline.");
        return 0;
    }
}
