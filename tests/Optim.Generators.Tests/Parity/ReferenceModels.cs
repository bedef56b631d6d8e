using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Text;
using Optim.Generators.Tests.Infrastructure;

namespace Optim.Generators.Tests.Parity;

/// <summary>
/// One generated model per reference case of tests/reference/optimizers.json, in float and in double, written from the
/// case's own hyperparameters and compiled by the generator at test time: a new case in the file is tested without
/// anyone writing a model by hand.
/// </summary>
internal static class ReferenceModels
{
    private static readonly Lazy<Assembly> Compiled = new(Compile);

    public static IOptimizable<float> Float(ReferenceCase c) => (IOptimizable<float>)Create(TypeName(c, "Float"));

    public static IOptimizable<double> Double(ReferenceCase c) => (IOptimizable<double>)Create(TypeName(c, "Double"));

    /// <summary>The C# source of the case's model.</summary>
    public static string Declaration(ReferenceCase c, string element)
    {
        string shape = string.Join(", ", c.Shape);
        string arguments = string.Join(", ", c.AttributeArguments.Prepend(c.EnumMember));
        return $"[Optimize({arguments})]\npublic sealed partial class {TypeName(c, element)}\n{{\n    [Parameter({shape})] public partial Span<{element.ToLowerInvariant()}> W {{ get; }}\n}}\n";
    }

    private static object Create(string typeName) =>
        Activator.CreateInstance(Compiled.Value.GetType(typeName, throwOnError: true)!)!;

    private static string TypeName(ReferenceCase c, string element) =>
        string.Concat(c.Name.Split('-', '.').Select(part => char.ToUpperInvariant(part[0]) + part[1..])) + element;

    private static Assembly Compile()
    {
        var source = new StringBuilder("using System;\nusing Optim;\nusing static Optim.Optimizer;\n");
        foreach (ReferenceCase c in ReferenceCase.OfOfferedOptimizers)
        {
            source.Append(Declaration(c, "Float")).Append(Declaration(c, "Double"));
        }

        return GeneratorHarness.Load(source.ToString(), "reference-models");
    }
}
