using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.Runtime;

/// <summary>
/// The arena's padding (the elements of each section past its values) stays zero after any number of steps, for
/// every optimizer, even with hyperparameters that make the rule produce NaN on a zero gradient (Eps = 0: 0/0).
/// Whole-arena reductions (clipping, non-finite checks, norms) rely on it.
/// </summary>
public sealed class PaddingTests
{
    public static TheoryData<string> Optimizers => new(Enum.GetNames<Optimizer>());

    /// <summary>A custom rule that makes NaN from zeros (0/0) and writes every buffer it has.</summary>
    private const string HostileRule = "[UpdateRule] public static void Nan(ref float param, float grad, ref float s, float lr) { s = s / s + grad; param -= lr * s / grad; }";

    /// <summary>
    /// The state sections the generated layout comment lists ("[start, end) description"), with their number of values: the
    /// count the comment gives for a per-row or per-column section, else one per parameter.
    /// </summary>
    private static IEnumerable<(int Start, int End, int Values)> StateSections(GeneratorHarness.Run run, int parameterCount)
    {
        string generated = string.Concat(run.Output.SyntaxTrees.Select(t => t.ToString()));
        foreach (Match line in Regex.Matches(generated, @"^\s*//   \[(\d+), (\d+)\) (.*)$", RegexOptions.Multiline))
        {
            Match count = Regex.Match(line.Groups[3].Value, @": (\d+) values");
            yield return (int.Parse(line.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(line.Groups[2].Value, CultureInfo.InvariantCulture),
                count.Success ? int.Parse(count.Groups[1].Value, CultureInfo.InvariantCulture) : parameterCount);
        }
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Padding_stays_zero_with_hostile_hyperparameters(string optimizer)
    {
        // 111 + 3 values (matrices, which every optimizer accepts): neither a multiple of any vector width nor of a cache
        // line. Hyperparameters the optimizer does not have only draw OPT0008 warnings.
        string source = $$"""
            using System;
            using Optim;
            using static Optim.Optimizer;
            [Optimize({{optimizer}}, Eps = 0, WeightDecay = 0.01, Momentum = 0.9)]
            public sealed partial class Hostile
            {
                [Parameter(37, 3)] public partial Span<float> W { get; }
                [Parameter(3, 1)] public partial Span<float> B { get; }
            {{(optimizer == nameof(Optimizer.Custom) ? HostileRule : "")}}
            }
            """;
        GeneratorHarness.Run run = GeneratorHarness.Generate(source);
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        using var image = new MemoryStream();
        Assert.True(run.Output.Emit(image).Success);
        var context = new AssemblyLoadContext("padding", isCollectible: true);
        try
        {
            object model = context.LoadFromStream(new MemoryStream(image.ToArray())).GetType("Hostile")!.GetConstructor(Type.EmptyTypes)!.Invoke(null);
            var optimizable = (IOptimizable<float>)model;
            var random = new Random(7);
            for (int step = 0; step < 20; step++)
            {
                optimizable.ZeroGrad();
                Span<float> grad = optimizable.Gradients;
                for (int i = 0; i < grad.Length; i++)
                {
                    // Some exact zeros too, where Eps = 0 makes 0/0.
                    grad[i] = i % 5 == 0 ? 0 : (float)(random.NextDouble() - 0.5);
                }

                optimizable.Step();
            }

            var (array, origin, stride) = Arena(model);
            var sections = new List<(int Start, int End, int Values)> { (0, stride, optimizable.ParameterCount), (stride, 2 * stride, optimizable.ParameterCount) };
            sections.AddRange(StateSections(run, optimizable.ParameterCount));
            Assert.True(sections[^1].End <= array.Length - origin, "the sections fit in the arena");
            foreach (var (start, end, values) in sections)
            {
                for (int i = start + values; i < end; i++)
                {
                    float value = array[origin + i];
                    Assert.True(BitConverter.SingleToInt32Bits(value) == 0, $"{optimizer}: section [{start}, {end}), padding element {i - start} is {value}");
                }
            }
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>The model's arena array, its aligned origin and the section stride, read through reflection.</summary>
    private static (float[] Array, int Origin, int Stride) Arena(object model)
    {
        const BindingFlags Private = BindingFlags.NonPublic | BindingFlags.Instance;
        object arena = model.GetType().GetField("_optimArena", Private)!.GetValue(model)!;
        var array = (float[])arena.GetType().GetField("_array", Private)!.GetValue(arena)!;
        int origin = (int)arena.GetType().GetField("_origin", Private)!.GetValue(arena)!;
        int stride = (int)model.GetType().GetField("OptimStride", BindingFlags.NonPublic | BindingFlags.Static)!.GetRawConstantValue()!;
        return (array, origin, stride);
    }
}
