using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Optim.Generators.Diagnostics;

namespace Optim.Generators.Parsing.UpdateRules;

/// <summary>What the translator reports, in words that name the construct and the fix.</summary>
internal sealed partial class UpdateRuleTranslator
{
    /// <summary>Of two types that meet in an element value, the one that is neither the rule's nor its double island.</summary>
    private SpecialType Foreign(SpecialType a, SpecialType b) =>
        IsInteger(a) ? a : IsInteger(b) ? b : a != _t ? a : b;

    /// <summary>OPT0045 for element values computed as <paramref name="foreign"/>, with the fix that fits that type.</summary>
    private void MixedPrecision(SyntaxNode syntax, SpecialType foreign) =>
        Report(Descriptors.UpdateRuleMixedPrecision, syntax, MixedPrecisionArguments(Source(syntax), foreign));

    private string[] MixedPrecisionArguments(string source, SpecialType foreign)
    {
        string math = _t == SpecialType.System_Single ? "MathF" : "Math";
        string hint = IsInteger(foreign) ? $"convert integer values to {T} before computing with them, e.g. ({T}){math}.Sign(g) * 2"
            : foreign == SpecialType.System_Single ? "keep element values in double: call Math rather than MathF, and drop the (float) casts"
            : $"compute element values in {T}" + (_t == SpecialType.System_Single ? " (or in double, converting float values with (double))" : "");
        return new[] { source, $"computes element values as {Keyword(foreign)}", T, hint };
    }

    private void Unsupported(SyntaxNode? syntax, string what, string hint)
    {
        Report(Descriptors.UpdateRuleUnsupported, syntax, what, hint);
    }

    private void Report(DiagnosticDescriptor descriptor, SyntaxNode? syntax, params string[] arguments) =>
        Report(descriptor, LocationInfo.From(syntax), arguments);

    /// <summary>What an unsupported operation is, in words.</summary>
    private static string Describe(IOperation operation) => operation switch
    {
        ILoopOperation => "a loop",
        ISwitchOperation or ISwitchExpressionOperation => "a switch",
        ITryOperation => "try/catch/finally",
        IThrowOperation => "throw",
        IReturnOperation => "a return before the end",
        IBranchOperation => "a jump (break, continue, goto)",
        ILocalFunctionOperation or IAnonymousFunctionOperation => "a local function or lambda",
        IUsingOperation or IUsingDeclarationOperation => "using",
        ILockOperation => "lock",
        IArrayElementReferenceOperation or IArrayCreationOperation => "an array",
        IObjectCreationOperation => "creating an object",
        IPropertyReferenceOperation property => $"the property '{property.Property.Name}'",
        IFieldReferenceOperation field => $"the field '{field.Field.Name}'",
        ISimpleAssignmentOperation or ICompoundAssignmentOperation => "an assignment inside an expression",
        IInvocationOperation invocation => $"calling '{invocation.TargetMethod.Name}'",
        IDeclarationExpressionOperation => "an out variable",
        _ => operation.Syntax is null ? operation.Kind.ToString() : $"'{Normalize(operation.Syntax.ToString())}'",
    };
}
