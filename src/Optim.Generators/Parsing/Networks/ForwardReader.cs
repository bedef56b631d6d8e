using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Optim.Generators.Common;
using Optim.Generators.Diagnostics;
using Optim.Generators.Emit;
using Optim.Generators.Model;
using Optim.Generators.Model.Networks;
using Optim.Generators.Parsing.Operations;

namespace Optim.Generators.Parsing.Networks;

/// <summary>
/// Reads a <c>[Forward]</c> method's operation tree into a graph: parameters become input nodes, each layer call,
/// <c>Nn</c> function, <c>+</c> and <c>*</c> by a constant a node with its shape computed and checked here. Locals name
/// nodes (a local assigned again names the new node); the method returns one node. The statements, locals and
/// diagnostics are <see cref="BodyWalker{TValue}"/>'s; this reader supplies the vocabulary.
/// </summary>
internal sealed class ForwardReader : BodyWalker<Node>
{
    /// <summary>The Nn activations, named as Optim.Kernels.Activation's members.</summary>
    private static readonly HashSet<string> Activations = new() { "Relu", "LeakyRelu", "Tanh", "Sigmoid", "Gelu", "GeluTanh", "Silu" };

    private static readonly char[] LineBreaks = { '\r', '\n' };

    private static readonly string[] Criteria = { "MeanSquared", "L1", "SmoothL1", "CrossEntropy", "BinaryCrossEntropyWithLogits" };

    private readonly List<LayerSpec> _layers;
    private readonly Compilation _compilation;
    private readonly List<Node> _nodes = new();

    /// <summary>The node the method returns, once its return has been read.</summary>
    private Node? _output;

    public ForwardReader(List<LayerSpec> layers, Compilation compilation, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        : base(diagnostics, cancellationToken)
    {
        _layers = layers;
        _compilation = compilation;
    }

    public NetworkSpec? Read(IMethodSymbol method, INamedTypeSymbol forwardAttribute, ref ElementType? element)
    {
        var syntax = method.DeclaringSyntaxReferences.Select(r => r.GetSyntax(CancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault(m => m.Body is not null || m.ExpressionBody is not null);
        LocationInfo? at = LocationInfo.From(method.Locations.FirstOrDefault());
        AttributeData attribute = method.GetAttributes().First(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, forwardAttribute));
        int maxBatch = attribute.NamedArguments.FirstOrDefault(a => a.Key == "MaxBatch").Value.Value is int m ? m : 64;
        int criterionValue = attribute.NamedArguments.FirstOrDefault(a => a.Key == "Criterion").Value.Value is int c ? c : 0;

        if (syntax is null)
        {
            return Fail(at, method.Name, "the method needs a body (a block or an expression) for the generator to read");
        }

        if (method.IsStatic || method.IsGenericMethod || method.Parameters.Length == 0)
        {
            return Fail(at, method.Name, "declare it as a non-generic instance method taking one or more Tensor<float> (or Tensor<double>) inputs, each with [Shape(…)]");
        }

        if (maxBatch < 1 || maxBatch > 1 << 20)
        {
            return Fail(at, method.Name, $"MaxBatch = {maxBatch} is out of range; it must be between 1 and {1 << 20}");
        }

        if (criterionValue < 0 || criterionValue >= Criteria.Length)
        {
            return Fail(at, method.Name, $"Criterion value {criterionValue} names no criterion");
        }

        ElementType? returned = NetworkParser.LayerElement(method.ReturnType, "Tensor");
        if (returned is null)
        {
            return Fail(LocationInfo.From(syntax.ReturnType), method.Name, $"it must return Tensor<float> or Tensor<double>, not '{method.ReturnType.ToDisplayString()}'");
        }

        element ??= returned;
        if (element != returned)
        {
            return Fail(LocationInfo.From(syntax.ReturnType), method.Name, $"it returns Tensor<{returned.Value.Keyword()}> but the model's element type is {element.Value.Keyword()}");
        }

        foreach (IParameterSymbol parameter in method.Parameters)
        {
            LocationInfo? where = LocationInfo.From(parameter.Locations.FirstOrDefault());
            bool indices = NetworkParser.IsIndices(parameter.Type);
            if ((!indices && NetworkParser.LayerElement(parameter.Type, "Tensor") != element) || parameter.RefKind != RefKind.None)
            {
                return Fail(where, method.Name, $"input '{parameter.Name}' must be a Tensor<{element.Value.Keyword()}> (or Indices, for an embedding) passed by value");
            }

            if (parameter.Name is "output" or "target" or "batch")
            {
                return Fail(where, method.Name, $"an input may not be named '{parameter.Name}': the generated Predict, Evaluate and TrainStep use that name");
            }

            AttributeData? shape = parameter.GetAttributes().FirstOrDefault(a => a.AttributeClass is { Name: "ShapeAttribute", ContainingNamespace: { Name: "Optim", ContainingNamespace.IsGlobalNamespace: true } });
            int[] dimensions = shape?.ConstructorArguments.FirstOrDefault() is { Kind: TypedConstantKind.Array } array
                ? array.Values.Select(v => v.Value is int d ? d : 0).ToArray()
                : Array.Empty<int>();
            if (dimensions.Length == 0 || dimensions.Any(d => d < 1) || dimensions.Aggregate(1L, (p, d) => p * d) > int.MaxValue / 4)
            {
                return Fail(where, method.Name, $"input '{parameter.Name}' needs [Shape(…)] with one example's dimensions, each 1 or more (e.g. [Shape(10)] for 10 features)");
            }

            Variables[parameter] = Add(indices ? OpKind.IndexInput : OpKind.Input, EquatableArray<int>.Empty, dimensions, parameter.Name, "", 0, parameter.Name);
        }

        if (Body(_compilation.GetSemanticModel(syntax.SyntaxTree).GetOperation(syntax, CancellationToken) as IMethodBodyOperation) is not { } block)
        {
            return Fail(at, method.Name, "its body could not be read");
        }

        Statements(block.Operations, topLevel: true);
        if (Failed || _output is not Node last)
        {
            return null;
        }

        string criterion = Criteria[criterionValue];
        if (criterion == "CrossEntropy" && last.Shape.Count != 1)
        {
            return Fail(LocationInfo.From(syntax.ReturnType), method.Name, $"Criterion.CrossEntropy needs an output of shape [batch, classes], but the method returns [batch, {string.Join(", ", last.Shape)}]");
        }

        if (last.IsInput)
        {
            return Fail(at, method.Name, "it returns its input unchanged; a network computes something from it");
        }

        return new NetworkSpec(method.Name, _layers.ToEquatableArray(), _nodes.ToEquatableArray(), last.Id, maxBatch, criterion);
    }

    // ---- Statements: tensor locals, each given its value where it is declared, and one return ----------------------

    protected override void Declare(IVariableDeclaratorOperation declarator, IVariableInitializerOperation? initializer)
    {
        Assign(declarator.Symbol, initializer is null
            ? Unsupported(declarator, "a local without an initializer (give each tensor local its value where it is declared)")
            : Value(initializer.Value));
    }

    protected override void ExpressionStatement(IExpressionStatementOperation statement)
    {
        if (statement.Operation is not ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment)
        {
            UnsupportedStatement(statement);
        }
        else
        {
            Assign(local.Local, Value(assignment.Value));
        }
    }

    protected override void Return(IReturnOperation ret, bool last)
    {
        if (ret.ReturnedValue is null)
        {
            UnsupportedStatement(ret);
            return;
        }

        _output = Value(ret.ReturnedValue);
        Ended = true;
    }

    protected override void AfterEnd(IOperation statement) => Unsupported(statement, "a statement after the return");

    protected override void UnsupportedStatement(IOperation statement) =>
        Unsupported(statement, Describe(statement) + "; a forward method is a straight line of tensor locals and one return");

    // ---- Expressions: the inputs, the locals and the vocabulary's calls and operators -------------------------------

    protected override Node? Conversion(IConversionOperation conversion) =>
        conversion.Conversion.IsIdentity ? Value(conversion.Operand) : UnsupportedValue(conversion);

    protected override Node? Unassigned(ISymbol symbol, IOperation reference) => symbol is ILocalSymbol local
        ? Unsupported(reference, $"the local '{local.Name}', which holds no tensor computed in this method")
        : UnsupportedValue(reference);

    protected override Node? UnsupportedValue(IOperation operation) => Unsupported(operation, Describe(operation));

    protected override Node? Invocation(IInvocationOperation invocation)
    {
        IMethodSymbol target = invocation.TargetMethod;
        string container = target.ContainingType?.Name ?? "";
        bool optim = target.ContainingType?.ContainingNamespace is { Name: "Optim", ContainingNamespace.IsGlobalNamespace: true };
        var arguments = invocation.Arguments.OrderBy(a => a.Parameter?.Ordinal ?? 0).ToList();

        if (optim && container is "Linear" or "Conv2d" or "Embedding" or "LayerNorm" && target.Name == "Forward" && arguments.Count == 1)
        {
            LayerSpec? layer = invocation.Instance is IPropertyReferenceOperation { Instance: IInstanceReferenceOperation, Property: var property }
                ? _layers.FirstOrDefault(l => l.Name == property.Name)
                : null;
            if (layer is null)
            {
                return Unsupported(invocation, "a call of Forward on something other than one of this model's layer properties");
            }

            if (Value(arguments[0].Value) is not Node x)
            {
                return null;
            }

            int[]? shape = LayerShape(invocation, layer, x);
            return shape is null ? null : Add(OpKind.Layer, EquatableArray.Of(x.Id), shape, layer.Name, "", 0, Source(invocation));
        }

        if (optim && container == "Nn" && Activations.Contains(target.Name))
        {
            string activation = target.Name;
            if (Tensor(arguments[0].Value) is not Node x)
            {
                return null;
            }

            double slope = 0;
            if (activation == "LeakyRelu")
            {
                if (arguments.Count < 2 || Constant(arguments[1].Value) is not double value || double.IsNaN(value) || double.IsInfinity(value))
                {
                    return Unsupported(arguments.Count < 2 ? invocation : arguments[1].Value, "a LeakyRelu slope that is not a finite constant");
                }

                slope = value;
            }

            return Add(OpKind.Activation, EquatableArray.Of(x.Id), x.Shape.ToArray(), "", activation, slope, Source(invocation));
        }

        if (optim && container == "Nn" && target.Name is "MaxPool2d" or "AvgPool2d" && arguments.Count == 2)
        {
            if (Constant(arguments[1].Value) is not double window || window != Math.Floor(window) || window < 1 || window > 1 << 16)
            {
                return Unsupported(arguments[1].Value, "a pooling window that is not a constant integer of 1 or more");
            }

            if (Tensor(arguments[0].Value) is not Node x)
            {
                return null;
            }

            int k = (int)window;
            Node input = x;
            if (input.Shape.Count != 3 || input.Shape[1] < k || input.Shape[2] < k)
            {
                return ShapeMismatch(invocation, $"{target.Name}({k}) takes [batch, channels, height, width] with height and width at least {k}, but is given {Shape(input)}");
            }

            return Add(target.Name == "MaxPool2d" ? OpKind.MaxPool : OpKind.AvgPool, EquatableArray.Of(x.Id), new[] { input.Shape[0], input.Shape[1] / k, input.Shape[2] / k }, "", "", k, Source(invocation));
        }

        if (optim && container == "Nn" && target.Name == "Flatten" && arguments.Count == 1)
        {
            if (Tensor(arguments[0].Value) is not Node x)
            {
                return null;
            }

            return Add(OpKind.Flatten, EquatableArray.Of(x.Id), new[] { x.PerExample }, "", "", 0, Source(invocation));
        }

        if (optim && container == "Nn" && target.Name == "Dropout" && arguments.Count == 2)
        {
            if (Constant(arguments[1].Value) is not double p || !(p >= 0 && p < 1))
            {
                return Unsupported(arguments[1].Value, "a dropout probability that is not a constant in [0, 1)");
            }

            return Tensor(arguments[0].Value) is Node x ? Add(OpKind.Dropout, EquatableArray.Of(x.Id), x.Shape.ToArray(), "", "", p, Source(invocation)) : null;
        }

        return Unsupported(invocation, $"a call of '{target.ContainingType?.Name}.{target.Name}', which is not a layer or an Nn function");
    }

    protected override Node? Binary(IBinaryOperation binary)
    {
        bool tensors = NetworkParser.LayerElement(binary.Type ?? binary.LeftOperand.Type!, "Tensor") is not null;
        if (tensors && binary.OperatorKind == BinaryOperatorKind.Add)
        {
            return Sum(binary, binary.LeftOperand, binary.RightOperand);
        }

        if (tensors && binary.OperatorKind == BinaryOperatorKind.Multiply)
        {
            return Constant(binary.LeftOperand) is not null ? Scaled(binary, binary.RightOperand, binary.LeftOperand) : Scaled(binary, binary.LeftOperand, binary.RightOperand);
        }

        return Unsupported(binary, $"the operator '{binary.OperatorKind}' here; tensors support + (of one shape) and * by a constant");
    }

    private Node? Sum(IOperation at, IOperation left, IOperation right)
    {
        Node? a = Tensor(left), b = Tensor(right);
        if (a is not Node x || b is not Node y)
        {
            return null;
        }

        if (!x.Shape.SequenceEqual(y.Shape))
        {
            return ShapeMismatch(at, $"tensors of shapes {Shape(x)} and {Shape(y)} cannot be added");
        }

        return Add(OpKind.Add, EquatableArray.Of(x.Id, y.Id), x.Shape.ToArray(), "", "", 0, Source(at));
    }

    private Node? Scaled(IOperation at, IOperation tensor, IOperation factor)
    {
        if (Constant(factor) is not double value || double.IsNaN(value) || double.IsInfinity(value))
        {
            return Unsupported(factor, "a factor that is not a finite constant (tensors are multiplied only by constants)");
        }

        return Tensor(tensor) is Node x ? Add(OpKind.Scale, EquatableArray.Of(x.Id), x.Shape.ToArray(), "", "", value, Source(at)) : null;
    }

    /// <summary>A tensor operand: a node that is not an index input.</summary>
    private Node? Tensor(IOperation operation)
    {
        Node? node = Value(operation);
        return node is { Kind: OpKind.IndexInput }
            ? Unsupported(operation, $"the indices '{node.Layer}' where a tensor is needed (indices go into an Embedding layer)")
            : node;
    }

    /// <summary>The output shape of a layer given <paramref name="input"/>, or null after a shape diagnostic.</summary>
    private int[]? LayerShape(IOperation at, LayerSpec layer, Node input)
    {
        EquatableArray<int> shape = input.Shape;
        int last = shape[shape.Count - 1];
        switch (layer.Kind)
        {
            case LayerKind.Embedding:
                if (input.Kind != OpKind.IndexInput)
                {
                    ShapeMismatch(at, $"{layer.Display} '{layer.Name}' takes Indices, but is given a tensor {Shape(input)}");
                    return null;
                }

                return shape.Append(layer.Out).ToArray();
            case LayerKind.Conv2d:
                int k = layer.Sizes[2], stride = layer.Sizes[3], padding = layer.Sizes[4];
                if (input.Kind == OpKind.IndexInput || shape.Count != 3 || shape[0] != layer.In)
                {
                    ShapeMismatch(at, $"{layer.Display} '{layer.Name}' takes [batch, {layer.In}, height, width] but is given {Shape(input)}");
                    return null;
                }

                int height = ((shape[1] + (2 * padding) - k) / stride) + 1, width = ((shape[2] + (2 * padding) - k) / stride) + 1;
                if (shape[1] + (2 * padding) < k || shape[2] + (2 * padding) < k)
                {
                    ShapeMismatch(at, $"{layer.Display} '{layer.Name}' needs an input of at least {k - (2 * padding)} × {k - (2 * padding)}, but is given {Shape(input)}");
                    return null;
                }

                return new[] { layer.Out, height, width };
            default:
                if (input.Kind == OpKind.IndexInput || last != layer.In)
                {
                    ShapeMismatch(at, $"{layer.Display} '{layer.Name}' takes [batch, …, {layer.In}] but is given {Shape(input)}");
                    return null;
                }

                return layer.Kind == LayerKind.Linear ? shape.Take(shape.Count - 1).Append(layer.Out).ToArray() : shape.ToArray();
        }
    }

    private static string Shape(Node node) => "[batch, " + string.Join(", ", node.Shape) + "]";

    private static double? Constant(IOperation operation) => operation.ConstantValue is { HasValue: true, Value: var value } && value is not null and not bool and not string and not char
        ? Convert.ToDouble(value, CultureInfo.InvariantCulture)
        : null;

    private Node Add(OpKind kind, EquatableArray<int> inputs, int[] shape, string layer, string activation, double number, string source)
    {
        var node = new Node(_nodes.Count, kind, inputs, EquatableArray.Of(shape), layer, activation, number, source);
        _nodes.Add(node);
        return node;
    }

    private static string Source(IOperation operation)
    {
        string text = string.Join(" ", operation.Syntax.ToString().Split(LineBreaks, StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
        return text.Length > 100 ? text.Substring(0, 97) + "..." : text;
    }

    private static string Describe(IOperation operation) => operation.Kind switch
    {
        OperationKind.Loop => "a loop",
        OperationKind.Conditional => "an if statement or conditional expression",
        OperationKind.Switch or OperationKind.SwitchExpression => "a switch",
        OperationKind.Throw => "a throw",
        OperationKind.Try => "a try statement",
        OperationKind.FieldReference => "a field",
        OperationKind.PropertyReference => "a property",
        OperationKind.ObjectCreation => "creating an object",
        OperationKind.Literal => "a constant where a tensor is needed",
        _ => $"this {operation.Kind} construct",
    };

    private Node? Unsupported(IOperation operation, string what) =>
        Report(Descriptors.ForwardConstructUnsupported, LocationInfo.From(operation.Syntax), what);

    private Node? ShapeMismatch(IOperation operation, string what) =>
        Report(Descriptors.ShapeMismatch, LocationInfo.From(operation.Syntax), what);

    private NetworkSpec? Fail(LocationInfo? at, string method, string why)
    {
        Report(Descriptors.ForwardInvalid, at, method, why);
        return null;
    }
}
