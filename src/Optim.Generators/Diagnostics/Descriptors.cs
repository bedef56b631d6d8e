using Microsoft.CodeAnalysis;

namespace Optim.Generators.Diagnostics;

/// <summary>Every diagnostic Optim reports. IDs are stable; each has a page in docs/diagnostics.</summary>
internal static class Descriptors
{
    private const string Category = "Optim";

    public static readonly DiagnosticDescriptor TypeMustBePartial = Error(
        "OPT0001",
        "Model type must be partial",
        "'{0}' must be declared partial so that Optim can generate the rest of {1}");

    public static readonly DiagnosticDescriptor ParameterMustBePartial = Error(
        "OPT0002",
        "Parameter property must be partial",
        "Parameter property '{0}' must be declared partial (e.g. 'public partial Span<float> {0} {{ get; }}') so that Optim can provide its storage");

    public static readonly DiagnosticDescriptor ParameterTypeNotSupported = Error(
        "OPT0003",
        "Parameter property type must be Span<float> or Span<double>",
        "Parameter property '{0}' has type '{1}'; a parameter must be Span<float> or Span<double>");

    public static readonly DiagnosticDescriptor DimensionNotPositive = Error(
        "OPT0004",
        "Parameter dimensions must be positive",
        "Dimension {1} of parameter '{0}' is {2}; every dimension must be 1 or greater");

    public static readonly DiagnosticDescriptor TooLarge = Error(
        "OPT0005",
        "Parameter or model too large",
        "{0} has {1} values, more than one arena can hold (at most {2} per buffer)");

    public static readonly DiagnosticDescriptor NoParameters = Error(
        "OPT0006",
        "Model declares no parameters",
        "'{0}' declares no [Parameter] properties; declare at least one, e.g. '[Parameter(5, 10)] public partial Span<float> W {{ get; }}'");

    public static readonly DiagnosticDescriptor HyperparameterInvalid = Error(
        "OPT0007",
        "Hyperparameter value is invalid",
        "{0} = {1} is invalid for {2}: {3}");

    public static readonly DiagnosticDescriptor HyperparameterIgnored = new(
        "OPT0008",
        "Hyperparameter is ignored by the chosen optimizer",
        "{1} does not use {0}; the value is ignored ({2})",
        Category,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: HelpLink("OPT0008"));

    public static readonly DiagnosticDescriptor LanguageVersionTooLow = Error(
        "OPT0009",
        "C# 13 or later is required",
        "Optim needs C# 13 or later for partial properties, but this project compiles as C# {0}; set <LangVersion>13</LangVersion> (or newer) or use the .NET 9 SDK or newer");

    public static readonly DiagnosticDescriptor MixedElementTypes = Error(
        "OPT0010",
        "All parameters of a model must share one element type",
        "Parameter '{0}' is Span<{1}> but '{2}' is Span<{3}>; all parameters of one model must have the same element type");

    public static readonly DiagnosticDescriptor ParameterShape = Error(
        "OPT0011",
        "Parameter property must be a get-only instance property declaration",
        "Parameter property '{0}' must be declared as '{{ get; }}': an instance property with no setter, body or initializer");

    public static readonly DiagnosticDescriptor MemberNameConflict = Error(
        "OPT0012",
        "Member name conflicts with a generated member",
        "'{0}' already has a member named '{1}', which Optim generates; rename it");

    public static readonly DiagnosticDescriptor UnknownOptimizer = Error(
        "OPT0013",
        "Unknown optimizer",
        "{0} is not an optimizer Optim knows; use a member of Optim.Optimizer");

    public static readonly DiagnosticDescriptor StaticModel = Error(
        "OPT0014",
        "Model class must not be static",
        "'{0}' is static, but a model holds its parameters in instance storage; remove 'static'");

    public static readonly DiagnosticDescriptor InternalError = Error(
        "OPT0015",
        "Optim could not generate code",
        "Optim could not generate code for '{0}': {1}; please report this with the declaration that caused it");

    public static readonly DiagnosticDescriptor ModelMustBeClass = Error(
        "OPT0031",
        "A model must be a class",
        "'{0}' is a {1}; an Optim model must be a class (a struct would copy its arena by value); declare it as a partial class");

    public static readonly DiagnosticDescriptor FileLocalModel = Error(
        "OPT0032",
        "A model cannot be file-local",
        "'{0}' is a file-local type; Optim generates the rest of {1} in another file, which a 'file' type cannot span; remove 'file' (make it internal)");

    public static readonly DiagnosticDescriptor ParameterImplemented = Error(
        "OPT0033",
        "A parameter property's implementation is generated",
        "Optim generates the implementation of parameter property '{0}' (a view of the model's arena); remove this implementing declaration");

    public static readonly DiagnosticDescriptor InheritedMemberConflict = Error(
        "OPT0034",
        "An inherited member conflicts with a generated member",
        "'{0}' inherits '{1}.{2}', which Optim generates in every model; rename it in '{1}', or do not derive the model from it");

    public static readonly DiagnosticDescriptor ModelDerivesFromModel = Error(
        "OPT0035",
        "A model cannot derive from another model",
        "'{0}' derives from the model '{1}'; a model owns one arena and one Step(), so derive from a plain class, or compose the models");

    public static readonly DiagnosticDescriptor ReservedNamespace = Error(
        "OPT0036",
        "The namespace is reserved for generated code",
        "'{0}' is in namespace '{1}', which Optim reserves for its generated loops; move the model to another namespace");

    public static readonly DiagnosticDescriptor MatrixRequired = Error(
        "OPT0030",
        "The optimizer needs matrix parameters",
        "{0} updates whole matrices, but parameter '{1}' has shape [{2}]; give it its own optimizer with [Optimize(AdamW)] on the property (a parameter group), or declare it with two dimensions");

    public static readonly DiagnosticDescriptor ScheduleArgumentInvalid = Error(
        "OPT0016",
        "Schedule argument is invalid or missing",
        "{0} is invalid for {1}: {2}");

    public static readonly DiagnosticDescriptor ScheduleArgumentIgnored = new(
        "OPT0017",
        "Schedule argument is ignored by the chosen schedule",
        "{1} does not use {0}; the value is ignored (it uses {2})",
        Category,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: HelpLink("OPT0017"));

    public static readonly DiagnosticDescriptor UpdateRuleMissing = Error(
        "OPT0040",
        "Optimizer.Custom needs an [UpdateRule] method",
        "'{0}' uses Optimizer.Custom but declares no [UpdateRule] method; add one, e.g. [UpdateRule] public static void Sgd(ref float param, float grad, float lr) => param -= lr * grad;");

    public static readonly DiagnosticDescriptor UpdateRuleDuplicate = Error(
        "OPT0041",
        "A model has one [UpdateRule] method",
        "[UpdateRule] method '{0}' is a second rule for '{2}' (the first is '{1}'); a model has exactly one");

    public static readonly DiagnosticDescriptor UpdateRuleSignature = Error(
        "OPT0042",
        "The [UpdateRule] method's declaration is not supported",
        "[UpdateRule] method '{0}': {1}");

    public static readonly DiagnosticDescriptor UpdateRuleUnsupported = Error(
        "OPT0043",
        "An [UpdateRule] method uses a construct the generator cannot compile",
        "{0} is not supported in an [UpdateRule] method: {1}");

    public static readonly DiagnosticDescriptor UpdateRuleNoVectorForm = Error(
        "OPT0044",
        "A function without an exactly-rounded vector form is applied to element values",
        "'{0}' has no exactly-rounded vector form, so it cannot take element values (param, grad, state or values computed from them); apply it only to constants, lr and step, whose values Step() computes once per step, or write the element computation with + - * /, Sqrt, Abs, Min, Max, Sign, Clamp, FusedMultiplyAdd, comparisons and ?:");

    public static readonly DiagnosticDescriptor UpdateRuleMixedPrecision = Error(
        "OPT0045",
        "An [UpdateRule] method computes element values in another precision",
        "'{0}' {1} in a {2} rule, which the vector code cannot reproduce exactly; {3}");

    public static readonly DiagnosticDescriptor UpdateRuleConditionalThrow = Error(
        "OPT0047",
        "A per-step value that can throw is computed under a condition",
        "'{0}' can throw ({1}) and the method computes it only under a condition; Step() computes per-step values once before the element loop, so it would throw where the method does not: compute it before the if, ?:, && or ||, or without the operation that throws");

    public static readonly DiagnosticDescriptor UpdateRuleClampBounds = Error(
        "OPT0048",
        "Math.Clamp's bounds vary per element",
        "'{0}' clamps between bounds that depend on element values; Math.Clamp throws ArgumentException for every element whose min exceeds max, which the vector code cannot do: use Min and Max (e.g. MathF.Min(MathF.Max(value, min), max)) or bounds of constants, lr and step");

    public static readonly DiagnosticDescriptor UpdateRuleIgnored = new(
        "OPT0046",
        "The [UpdateRule] method is not used",
        "[UpdateRule] method '{0}' is not used: '{1}' uses Optimizer.{2}; choose Optimizer.Custom to use it",
        Category,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: HelpLink("OPT0046"));

    public static readonly DiagnosticDescriptor ViewNameConflict = Error(
        "OPT0037",
        "A parameter's view takes the name of a generated member",
        "Parameter '{0}' would get a view named '{1}', which is the name of a member Optim generates; rename the parameter");

    public static readonly DiagnosticDescriptor InitInvalid = Error(
        "OPT0050",
        "A parameter's initialisation is invalid",
        "{0} = {1} is invalid for parameter '{2}': {3}");

    public static readonly DiagnosticDescriptor InitArgumentIgnored = new(
        "OPT0051",
        "An initialisation argument is ignored",
        "{0} is ignored for parameter '{1}': {2}",
        Category,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: HelpLink("OPT0051"));

    public static readonly DiagnosticDescriptor ForwardConstructUnsupported = Error(
        "OPT0060",
        "A construct a forward method cannot contain",
        "A [Forward] method cannot contain {0}");

    public static readonly DiagnosticDescriptor ShapeMismatch = Error(
        "OPT0061",
        "Shapes do not match",
        "Shape mismatch: {0}");

    public static readonly DiagnosticDescriptor LayerInvalid = Error(
        "OPT0062",
        "A layer declaration is invalid",
        "Layer '{0}' is invalid: {1}");

    public static readonly DiagnosticDescriptor ForwardInvalid = Error(
        "OPT0063",
        "A [Forward] method's declaration is invalid",
        "'{0}' cannot be a network's forward method: {1}");

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLink(id));

    private static string HelpLink(string id) => $"https://github.com/optim-dotnet/optim/blob/main/docs/diagnostics/{id}.md";
}
