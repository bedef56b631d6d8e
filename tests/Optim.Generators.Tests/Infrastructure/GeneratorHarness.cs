using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Optim.Generators;

namespace Optim.Generators.Tests.Infrastructure;

/// <summary>Runs the Optim generator in-process over source text, as the compiler would.</summary>
internal static class GeneratorHarness
{
    /// <summary>C# 13 with documentation comments checked, as in a project with GenerateDocumentationFile.</summary>
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.CSharp13, DocumentationMode.Diagnose);

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        string tpa = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        return tpa.Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(path) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(IOptimizable).Assembly.Location)
            .Append(typeof(Optim.Distributed.MpiWorld).Assembly.Location)   // docs/distributed.md's blocks use it
            .Distinct()
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    });

    /// <summary>Compilation of the given sources (file names Model0.cs, Model1.cs, …).</summary>
    public static CSharpCompilation Compilation(IEnumerable<string> sources, CSharpParseOptions? options = null) =>
        CSharpCompilation.Create(
            "Models",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, options ?? ParseOptions, path: $"Model{i}.cs")),
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, optimizationLevel: OptimizationLevel.Release));

    public static GeneratorDriver Driver(CSharpParseOptions? options = null) =>
        CSharpGeneratorDriver.Create(
            new[] { new OptimizerGenerator().AsSourceGenerator() },
            parseOptions: options ?? ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Whether an output step's value, (sources, diagnostics), holds generated code (the diagnostics output holds none).</summary>
    private static bool ProducesSource(object? value) =>
        value is System.Runtime.CompilerServices.ITuple { Length: 2 } produced && produced[0] is System.Collections.IEnumerable sources && sources.GetEnumerator().MoveNext();

    /// <summary>Runs the generator once over <paramref name="sources"/>.</summary>
    public static Run Generate(params string[] sources) => Generate(sources, null);

    public static Run Generate(IEnumerable<string> sources, CSharpParseOptions? options)
    {
        CSharpCompilation compilation = Compilation(sources, options);
        GeneratorDriver driver = Driver(options).RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> _);
        GeneratorDriverRunResult result = driver.GetRunResult();
        AssertRerunIsCached(driver, compilation);
        return new Run(result, output);
    }

    /// <summary>
    /// Every test's generator run is repeated on a clone of the compilation (NetEscapades' AssertRunsEqual): nothing may
    /// be produced again. The code outputs and every tracked step are Cached or Unchanged; the diagnostics output reads
    /// the compilation (for real source locations), so it may re-run, reporting the same.
    /// </summary>
    private static void AssertRerunIsCached(GeneratorDriver driver, CSharpCompilation compilation)
    {
        GeneratorRunResult second = driver.RunGenerators(compilation.Clone()).GetRunResult().Results.Single();
        string[] ours = { OptimizerGenerator.TrackingNames.Parse, OptimizerGenerator.TrackingNames.Language, OptimizerGenerator.TrackingNames.Model, OptimizerGenerator.TrackingNames.Diagnostics };
        var steps = second.TrackedSteps.Where(s => ours.Contains(s.Key)).SelectMany(s => s.Value.SelectMany(step => step.Outputs).Select(o => (Step: s.Key, o.Value, o.Reason)))
            .Concat(second.TrackedOutputSteps.SelectMany(s => s.Value.SelectMany(step => step.Outputs).Where(o => ProducesSource(o.Value)).Select(o => (Step: s.Key, o.Value, o.Reason))));
        foreach (var (step, value, reason) in steps)
        {
            if (reason is not (IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged))
            {
                throw new InvalidOperationException($"Re-running the generator on an identical compilation produced a {reason} output of step {step} ({value}): the pipeline is not cacheable.");
            }
        }
    }

    /// <summary>
    /// Generates and compiles <paramref name="source"/> (no generator diagnostic and no compiler error allowed) and loads
    /// the assembly into a load context of its own named <paramref name="context"/>.
    /// </summary>
    public static System.Reflection.Assembly Load(string source, string context)
    {
        Run run = Generate(source);
        Xunit.Assert.Empty(run.GeneratorDiagnostics);
        using var image = new MemoryStream();
        var emitted = run.Output.Emit(image);
        Xunit.Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        return new System.Runtime.Loader.AssemblyLoadContext(context).LoadFromStream(new MemoryStream(image.ToArray()));
    }

    /// <summary>One generator run: what it produced and the compilation that includes its output.</summary>
    public sealed record Run(GeneratorDriverRunResult Result, Compilation Output)
    {
        public GeneratorRunResult Generator => Result.Results.Single();

        /// <summary>Diagnostics the generator reported.</summary>
        public ImmutableArray<Diagnostic> GeneratorDiagnostics => Generator.Diagnostics;

        /// <summary>Compiler errors anywhere, and every warning (XML documentation included) in generated code.</summary>
        public ImmutableArray<Diagnostic> CompileDiagnostics =>
            Output.GetDiagnostics()
                .Where(d => d.Severity == DiagnosticSeverity.Error
                    || (d.Severity == DiagnosticSeverity.Warning && Generator.GeneratedSources.Any(s => s.SyntaxTree == d.Location.SourceTree)))
                .ToImmutableArray();

        public IReadOnlyList<(string HintName, string Text)> Sources =>
            Generator.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())).ToList();
    }
}
