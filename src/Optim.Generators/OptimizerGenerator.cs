using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using Optim.Generators.Common;
using Optim.Generators.Diagnostics;
using Optim.Generators.Emit;
using Optim.Generators.Lowering;
using Optim.Generators.Model;
using Optim.Generators.Parsing;

namespace Optim.Generators;

/// <summary>
/// The Optim source generator. Data flows one way: [Optimize] syntax → <see cref="ModelSpec"/> (parse) →
/// <see cref="UpdateRule"/> (model) → C# text (emit). Diagnostics travel on their own output, so a change that
/// only affects diagnostics does not re-emit code.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class OptimizerGenerator : IIncrementalGenerator
{
    /// <summary>Names of the tracked pipeline steps, for incrementality tests.</summary>
    public static class TrackingNames
    {
        public const string Parse = nameof(Parse);
        public const string Language = nameof(Language);
        public const string Model = nameof(Model);
        public const string Diagnostics = nameof(Diagnostics);
    }

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "Optim.OptimizeAttribute",
                static (node, _) => node is TypeDeclarationSyntax,
                ModelParser.Parse)
            .WithTrackingName(TrackingNames.Parse);

        var language = context.ParseOptionsProvider
            .Select(static (options, _) => options is CSharpParseOptions csharp
                ? new LanguageFacts((int)csharp.LanguageVersion >= 1300, csharp.LanguageVersion.ToDisplayString())
                : new LanguageFacts(true, ""))
            .WithTrackingName(TrackingNames.Language);

        var withLanguage = parsed.Combine(language);

        // The model to emit, or for a rejected one its placeholders; nothing without partial properties (C# 12 and older).
        var models = withLanguage
            .Select(static (pair, _) => pair.Right.SupportsPartialProperties ? (pair.Left.Model, pair.Left.Stub) : default)
            .WithTrackingName(TrackingNames.Model);

        var diagnostics = withLanguage
            .Select(static (pair, _) => pair.Right.SupportsPartialProperties
                ? pair.Left.Diagnostics
                : pair.Left.Diagnostics.Concat(new[] { DiagnosticInfo.Create(Descriptors.LanguageVersionTooLow, pair.Left.AttributeLocation, pair.Right.Version) }).ToEquatableArray())
            .WithTrackingName(TrackingNames.Diagnostics);

        context.RegisterSourceOutput(models, static (output, item) =>
        {
            var (model, stub) = item;
            if (model is null)
            {
                if (stub is not null)
                {
                    output.AddSource(stub.HintName, SourceText.From(StubEmitter.Emit(stub), System.Text.Encoding.UTF8));
                }

                return;
            }

            try
            {
                var rules = model.Groups.Select(model.RuleFor).ToList();
                output.AddSource(model.HintName, SourceText.From(ModelEmitter.Emit(ModelLayout.Create(model, rules)), System.Text.Encoding.UTF8));
                if (model.Network is not null)
                {
                    output.AddSource(model.HintName.Replace(".g.cs", ".Network.g.cs"), SourceText.From(Emit.Networks.NetworkEmitter.Emit(model), System.Text.Encoding.UTF8));
                }
            }
            catch (Exception exception)
            {
                output.ReportDiagnostic(Diagnostic.Create(Descriptors.InternalError, Location.None, model.Type.Name, exception.GetType().Name + ": " + exception.Message));
            }
        });

        // Diagnostics are reported at locations in the compilation's own syntax trees (System.Text.Json's split: the model
        // keeps only a path and spans), so #pragma warning disable and .editorconfig severities apply to them. Only this
        // cheap step sees the compilation; code emission stays cached.
        context.RegisterSourceOutput(diagnostics.Combine(context.CompilationProvider), static (output, pair) =>
        {
            foreach (DiagnosticInfo diagnostic in pair.Left)
            {
                output.ReportDiagnostic(diagnostic.ToDiagnostic(pair.Right));
            }
        });
    }
}
