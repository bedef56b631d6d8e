using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Optim.DocTests;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.Docs;

/// <summary>
/// Every C# block in README.md and docs/ compiles, with the generator run, as a file of a new console project that
/// references the Optim package: the SDK's implicit usings for a console app plus the package's own global usings
/// (read from src/Optim.Abstractions/buildTransitive/Optim.props). A fragment states what it needs with doc-test
/// directives (<see cref="MarkdownBlock"/>); a diagnostic example states the IDs it must produce; a block that is not
/// meant to compile says so and why. Every other block names its language.
/// </summary>
public sealed class DocumentationBlockTests
{
    /// <summary>What `dotnet new console` enables with ImplicitUsings (Microsoft.NET.Sdk's list).</summary>
    private static readonly string[] ConsoleImplicitUsings =
        ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    /// <summary>Fence languages that are not compiled (commands, project files, program output, data).</summary>
    private static readonly string[] OtherLanguages = ["sh", "xml", "text", "json", "python"];

    private static readonly Lazy<IReadOnlyList<MarkdownBlock>> Blocks = new(() => MarkdownBlock.InRepository(Repository.Root));

    public static TheoryData<string> CSharpBlocks()
    {
        var data = new TheoryData<string>();
        foreach (MarkdownBlock block in Blocks.Value.Where(b => b.Language == "csharp" && b.Skip is null))
        {
            data.Add(block.ToString());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CSharpBlocks))]
    public void Every_CSharp_block_of_the_docs_compiles_with_the_generator(string where)
    {
        MarkdownBlock block = Blocks.Value.Single(b => b.ToString() == where);
        string[] sources =
        [
            GlobalUsings(),
            block.Source,
            .. block.With.Select(name => MarkdownBlock.Named(Blocks.Value, name).Code),
        ];

        string[] found = Diagnose(sources).Select(d => d.Id).Distinct().Order(StringComparer.Ordinal).ToArray();
        string[] expected = block.Expect.Distinct().Order(StringComparer.Ordinal).ToArray();
        Assert.True(
            expected.SequenceEqual(found),
            $"{where}: expected [{string.Join(", ", expected)}], got:\n{string.Join('\n', Diagnose(sources).Select(d => d.ToString()))}");
    }

    [Fact]
    public void Every_code_block_of_the_docs_names_its_language_and_every_skipped_CSharp_block_says_why()
    {
        Assert.NotEmpty(Blocks.Value);
        Assert.All(Blocks.Value, block =>
        {
            Assert.True(block.Language == "csharp" || OtherLanguages.Contains(block.Language),
                $"{block}: a fence names its language: csharp (compiled by this test) or one of {string.Join(", ", OtherLanguages)}, not '{block.Language}'.");
            Assert.True(block.Skip is null || (block.Language == "csharp" && block.Skip.Length > 0),
                $"{block}: only a C# block is skipped, with its reason.");
            Assert.True(block.Expect.Count == 0 || block.Skip is null, $"{block}: a skipped block expects nothing.");
        });
    }

    [Fact]
    public void The_directives_above_a_fence_belong_to_that_block_and_a_misspelt_one_is_an_error()
    {
        string[] page =
        [
            "<!-- doc-test name: first -->",
            "```csharp",
            "class A { }",
            "```",
            "text between",
            "<!-- doc-test with: first -->",
            "<!-- doc-test expect: OPT0001, CS0751 -->",
            "```csharp",
            "class B { }",
            "```",
        ];
        var blocks = MarkdownBlock.Parse("page.md", page).ToList();

        Assert.Equal(2, blocks.Count);
        Assert.Equal(("first", 2, "class A { }"), (blocks[0].Name, blocks[0].Line, blocks[0].Code));
        Assert.Empty(blocks[0].Expect);
        Assert.Equal(["first"], blocks[1].With);
        Assert.Equal(["OPT0001", "CS0751"], blocks[1].Expect);

        var error = Assert.Throws<InvalidOperationException>(() => MarkdownBlock.Parse("page.md", ["<!-- doc-test skipp: x -->", "```csharp", "```"]).ToList());
        Assert.Contains("skipp", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_block_that_does_not_compile_is_reported_with_the_compilers_errors()
    {
        // The check itself: the README's old Usage block (Forward, Backward, batch and steps undefined) fails it.
        string fragment = """
            var model = new Mlp();
            for (int step = 0; step < steps; step++) { model.ZeroGrad(); Forward(model, batch); model.Step(); }

            [Optimize(Adam, Lr = 1e-3)]
            public partial class Mlp { [Parameter(5, 10)] public partial Span<float> W1 { get; } }
            """;
        string[] ids = Diagnose([GlobalUsings(), fragment]).Select(d => d.Id).Distinct().Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["CS0103"], ids);
    }

    /// <summary>The errors and warnings of the sources compiled with the generator's output, generator diagnostics included.</summary>
    private static List<Diagnostic> Diagnose(IEnumerable<string> sources)
    {
        // A console project: documentation comments are not checked (no GenerateDocumentationFile).
        CSharpParseOptions options = GeneratorHarness.ParseOptions.WithDocumentationMode(DocumentationMode.Parse);
        CSharpCompilation compilation = GeneratorHarness.Compilation(sources, options);
        bool program = compilation.SyntaxTrees.Any(t => t.GetRoot().ChildNodes().OfType<GlobalStatementSyntax>().Any());
        compilation = compilation.WithOptions(compilation.Options.WithOutputKind(program ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary));
        GeneratorHarness.Driver(options).RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        return generatorDiagnostics.Concat(output.GetDiagnostics())
            .Where(d => d.Severity is DiagnosticSeverity.Error or DiagnosticSeverity.Warning)
            .ToList();
    }

    /// <summary>The global usings a console project referencing the package has: the SDK's, then the package's props.</summary>
    private static string GlobalUsings()
    {
        XDocument props = XDocument.Load(Path.Combine(Repository.Root, "src", "Optim.Abstractions", "buildTransitive", "Optim.props"));
        var optim = props.Descendants("Using")
            .Select(u => (u.Attribute("Static")?.Value == "true" ? "static " : "") + u.Attribute("Include")!.Value)
            .ToList();
        Assert.Equal(["Optim", "static Optim.Optimizer"], optim);
        return string.Join('\n', ConsoleImplicitUsings.Concat(optim).Select(u => $"global using {u};"));
    }
}
