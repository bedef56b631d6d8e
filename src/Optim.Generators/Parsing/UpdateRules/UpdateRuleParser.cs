using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Optim.Generators.Common;
using Optim.Generators.Diagnostics;
using Optim.Generators.Emit;
using Optim.Generators.Model;
using Microsoft.CodeAnalysis.Operations;

namespace Optim.Generators.Parsing.UpdateRules;

/// <summary>
/// Finds a custom model's [UpdateRule] method, checks its signature and compiles its body (through Roslyn's operation
/// tree, so every implicit conversion and constant is explicit) into an <see cref="UpdateRule"/>: the element statements
/// the kernels vectorise, and the per-step values hoisted out of the loop as verbatim C# of the user's precision.
/// </summary>
internal static class UpdateRuleParser
{
    private const string AttributeName = "Optim.UpdateRuleAttribute";

    /// <summary>The [UpdateRule] methods of <paramref name="type"/>.</summary>
    public static List<IMethodSymbol> Find(INamedTypeSymbol type) =>
        type.GetMembers().OfType<IMethodSymbol>()
            .Where(m => m.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == AttributeName))
            .ToList();

    /// <summary>
    /// The rule of a model whose optimizer is Custom, or null after reporting why there is none. The method must be in
    /// <paramref name="modelSyntax"/>'s file, so that editing it re-runs the generator for this model.
    /// </summary>
    public static UpdateRule? Parse(
        INamedTypeSymbol type,
        TypeDeclarationSyntax modelSyntax,
        Compilation compilation,
        ElementType? modelElement,
        List<DiagnosticInfo> diagnostics,
        CancellationToken cancellationToken)
    {
        List<IMethodSymbol> methods = Find(type);
        if (methods.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UpdateRuleMissing, LocationInfo.From(modelSyntax.Identifier), type.Name));
            return null;
        }

        if (methods.Count > 1)
        {
            foreach (IMethodSymbol extra in methods.Skip(1))
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.UpdateRuleDuplicate, LocationInfo.From(extra.Locations.FirstOrDefault()), extra.Name, methods[0].Name, type.Name));
            }

            return null;
        }

        IMethodSymbol method = methods[0];
        if (method.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault() is not { } syntax)
        {
            return null;
        }

        if (syntax.SyntaxTree != modelSyntax.SyntaxTree)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UpdateRuleSignature, LocationInfo.From(syntax.Identifier), method.Name, "declare it in the same file as the model's [Optimize] attribute"));
            return null;
        }

        Signature? signature = ReadSignature(method, syntax, diagnostics);
        if (signature is null || (syntax.Body is null && syntax.ExpressionBody is null))
        {
            return null;
        }

        if (modelElement is { } element && element != signature.Element)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UpdateRuleSignature, LocationInfo.From(syntax.ParameterList.Parameters[0]), method.Name, $"it is written for {signature.Element.Keyword()} but the model's parameters are {element.Keyword()}"));
            return null;
        }

        SemanticModel semanticModel = compilation.GetSemanticModel(syntax.SyntaxTree);

        // A method the compiler rejects is the compiler's to report: nothing is generated and nothing is added.
        if (semanticModel.GetDiagnostics(syntax.Span, cancellationToken).Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            return null;
        }

        if (semanticModel.GetOperation(syntax, cancellationToken) is not IMethodBodyOperation body)
        {
            return null;
        }

        var translator = new UpdateRuleTranslator(signature, diagnostics, cancellationToken);
        return translator.Translate(body, $"{type.Name}.{method.Name}");
    }

    /// <summary>The roles of the method's parameters.</summary>
    internal sealed class Signature
    {
        public Signature(ElementType element, IParameterSymbol param, IParameterSymbol grad, List<IParameterSymbol> state, IParameterSymbol? lr, IParameterSymbol? step)
        {
            Element = element;
            Param = param;
            Grad = grad;
            State = state;
            Lr = lr;
            Step = step;
        }

        public ElementType Element { get; }

        public IParameterSymbol Param { get; }

        public IParameterSymbol Grad { get; }

        public List<IParameterSymbol> State { get; }

        public IParameterSymbol? Lr { get; }

        public IParameterSymbol? Step { get; }
    }

    /// <summary>
    /// <c>static void</c>, not generic; <c>ref T param</c>, <c>T grad</c>, <c>ref T</c> state…, then optionally <c>T lr</c>
    /// and <c>long step</c>; T float or double. Each deviation is reported at the parameter (or the method) it concerns.
    /// </summary>
    private static Signature? ReadSignature(IMethodSymbol method, MethodDeclarationSyntax syntax, List<DiagnosticInfo> diagnostics)
    {
        bool ok = true;
        void Report(SyntaxNode? node, string problem)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UpdateRuleSignature, LocationInfo.From(node) ?? LocationInfo.From(syntax.Identifier), method.Name, problem));
            ok = false;
        }

        if (!method.IsStatic)
        {
            Report(null, "it must be static (it updates one element from its arguments alone)");
        }

        if (!method.ReturnsVoid)
        {
            Report(syntax.ReturnType, "it must return void (the new values go through its ref parameters)");
        }

        if (method.IsGenericMethod)
        {
            Report(syntax.TypeParameterList, "it must not be generic (write it for the model's element type)");
        }

        if (syntax.Body is null && syntax.ExpressionBody is null)
        {
            Report(null, "it needs a body");
        }

        var parameters = method.Parameters;
        ParameterSyntax? At(int i) => i < syntax.ParameterList.Parameters.Count ? syntax.ParameterList.Parameters[i] : null;
        if (parameters.Length < 2)
        {
            Report(syntax.ParameterList, "it needs at least 'ref T param, T grad' (T float or double)");
            return null;
        }

        ElementType? element = ElementOf(parameters[0].Type);
        if (element is null || parameters[0].RefKind != RefKind.Ref)
        {
            Report(At(0), "the first parameter must be 'ref float' or 'ref double': the parameter element it updates");
            return null;
        }

        if (!SymbolEqualityComparer.Default.Equals(parameters[1].Type, parameters[0].Type) || parameters[1].RefKind != RefKind.None)
        {
            Report(At(1), $"the second parameter must be '{element.Value.Keyword()} grad', the element's gradient, passed by value");
        }

        var state = new List<IParameterSymbol>();
        IParameterSymbol? lr = null, step = null;
        for (int i = 2; i < parameters.Length; i++)
        {
            IParameterSymbol p = parameters[i];
            bool sameType = SymbolEqualityComparer.Default.Equals(p.Type, parameters[0].Type);
            if (p.IsParams || p.HasExplicitDefaultValue)
            {
                Report(At(i), $"parameter '{p.Name}' must be a plain parameter (no params, no default value)");
            }
            else if (p.RefKind == RefKind.Ref && sameType && lr is null && step is null)
            {
                state.Add(p);
            }
            else if (p.RefKind == RefKind.None && sameType && lr is null && step is null)
            {
                lr = p;
            }
            else if (p.RefKind == RefKind.None && p.Type.SpecialType == SpecialType.System_Int64 && step is null)
            {
                step = p;
            }
            else
            {
                Report(At(i), $"parameter '{p.Name}' does not fit 'ref {element.Value.Keyword()} param, {element.Value.Keyword()} grad, ref {element.Value.Keyword()} state…, [{element.Value.Keyword()} lr], [long step]'");
            }
        }

        return ok ? new Signature(element.Value, parameters[0], parameters[1], state, lr, step) : null;
    }

    private static ElementType? ElementOf(ITypeSymbol type) => type.SpecialType switch
    {
        SpecialType.System_Single => ElementType.Float,
        SpecialType.System_Double => ElementType.Double,
        _ => null,
    };
}
