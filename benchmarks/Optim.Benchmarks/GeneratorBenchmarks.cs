using System;
using System.Globalization;
using System.Linq;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Optim.Generators;

namespace Optim.Benchmarks;

/// <summary>
/// The generator's cost in a project of 200 annotated models (each in its own file, as in a real project):
/// a full first run, and a run after an edit to an unrelated file, which should find every step cached. Both
/// runs get a compilation they have not seen, so both pay the compiler's own cold costs (binding the trees they
/// look at) as they would in a build or in the IDE.
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private const int Models = 200;
    private static readonly string[] Optimizers = { "Sgd, Lr = 0.1, Momentum = 0.9", "Momentum", "Adam, Lr = 1e-3", "AdamW, Amsgrad = true" };

    private CSharpCompilation _compilation = null!;
    private CSharpCompilation _edited = null!;
    private GeneratorDriver _warm = null!;
    private SyntaxTree _unrelated = null!;
    private int _edits;

    [GlobalSetup]
    public void Setup()
    {
        var options = new CSharpParseOptions(LanguageVersion.CSharp13);
        var trees = Enumerable.Range(0, Models).Select(i => CSharpSyntaxTree.ParseText(Model(i), options, path: $"Model{i}.cs")).ToList();
        _unrelated = CSharpSyntaxTree.ParseText("public static class Unrelated { public static int Value => 0; }", options, path: "Unrelated.cs");
        trees.Add(_unrelated);

        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(System.IO.Path.PathSeparator)
            .Select(p => MetadataReference.CreateFromFile(p))
            .Append(MetadataReference.CreateFromFile(typeof(IOptimizable).Assembly.Location));
        _compilation = CSharpCompilation.Create("Project", trees, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        _warm = NewDriver(options).RunGenerators(_compilation);
        _edited = _compilation;
    }

    [Benchmark(Description = "first run, 200 models")]
    public GeneratorDriver FirstRun()
    {
        // A new compilation object (same trees and references): nothing bound yet, as at the start of a build.
        CSharpCompilation fresh = _compilation.RemoveAllSyntaxTrees().AddSyntaxTrees(_compilation.SyntaxTrees);
        return NewDriver((CSharpParseOptions)_compilation.SyntaxTrees.First().Options).RunGenerators(fresh);
    }

    [Benchmark(Description = "rerun after unrelated edit")]
    public GeneratorDriver IncrementalRun()
    {
        // Each iteration edits the unrelated file again, so the driver always sees a new compilation.
        SyntaxTree current = _edited.SyntaxTrees.Last();
        SyntaxTree next = current.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From($"public static class Unrelated {{ public static int Value => {++_edits}; }}"));
        _edited = _edited.ReplaceSyntaxTree(current, next);
        _warm = _warm.RunGenerators(_edited);
        return _warm;
    }

    private static CSharpGeneratorDriver NewDriver(CSharpParseOptions options) =>
        CSharpGeneratorDriver.Create(new[] { new OptimizerGenerator().AsSourceGenerator() }, parseOptions: options);

    private static string Model(int i)
    {
        var source = new StringBuilder("using System;\nusing Optim;\nusing static Optim.Optimizer;\n\nnamespace Project.Models;\n\n");
        source.Append(CultureInfo.InvariantCulture, $"[Optimize({Optimizers[i % Optimizers.Length]})]\npublic partial class Model{i}\n{{\n");
        for (int p = 0; p < 4; p++)
        {
            source.Append(CultureInfo.InvariantCulture, $"    [Parameter({i + 1}, {p + 3})] public partial Span<float> P{p} {{ get; }}\n");
        }

        return source.Append("}\n").ToString();
    }
}
