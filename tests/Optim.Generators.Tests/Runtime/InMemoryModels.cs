using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.Runtime;

/// <summary>
/// Compiles model source with the generator and given preprocessor symbols (e.g. DEBUG, as in a user's Debug
/// build), so that tests can run generated code compiled the way a user's project would compile it.
/// </summary>
internal static class InMemoryModels
{
    /// <summary>The generator's output compiled with <paramref name="symbols"/> defined, checked free of errors.</summary>
    public static Compilation Compile(string source, OutputKind kind, params string[] symbols)
    {
        CSharpParseOptions options = GeneratorHarness.ParseOptions.WithPreprocessorSymbols(symbols);
        GeneratorHarness.Run run = GeneratorHarness.Generate([source], options);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompileDiagnostics);
        return run.Output.WithOptions(((CSharpCompilationOptions)run.Output.Options).WithOutputKind(kind));
    }

    /// <summary>Loads the compiled models into a collectible context and creates <paramref name="typeName"/>.</summary>
    public static IOptimizable Create(string source, string typeName, params string[] symbols)
    {
        Compilation compilation = Compile(source, OutputKind.DynamicallyLinkedLibrary, symbols);
        using var image = new MemoryStream();
        EmitResult emitted = compilation.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        image.Position = 0;

        // Optim.Abstractions is not loaded into the new context: it resolves to the test's own copy, so the model
        // implements the same IOptimizable the test sees.
        var context = new AssemblyLoadContext("Models " + Guid.NewGuid(), isCollectible: true);
        Assembly assembly = context.LoadFromStream(image);
        Type type = assembly.GetType(typeName) ?? throw new ArgumentException(typeName + " not found in " + string.Join(", ", assembly.GetTypes().Select(t => t.FullName)));
        return (IOptimizable)Activator.CreateInstance(type)!;
    }
}
