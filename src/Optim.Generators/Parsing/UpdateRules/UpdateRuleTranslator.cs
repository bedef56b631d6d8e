using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Optim.Generators.Common;
using Optim.Generators.Diagnostics;
using Optim.Generators.Emit;
using Optim.Generators.Model;
using Optim.Generators.Parsing.Operations;
using Buffer = Optim.Generators.Model.Buffer;

namespace Optim.Generators.Parsing.UpdateRules;

/// <summary>
/// Translates the body of an [UpdateRule] method into an <see cref="UpdateRule"/>, preserving its semantics exactly:
/// <list type="bullet">
/// <item>A value that depends only on constants, <c>lr</c> and <c>step</c> is <em>uniform</em>: it is printed back as C#
/// of the same types (every implicit conversion made explicit) and computed once per step, so <c>MathF.Pow(b1, step)</c>
/// gives the very float the method computes.</item>
/// <item>Element values become the expression tree the kernels print for every vector width and the scalar tail: only
/// operations with an exactly-rounded vector form are allowed there (+ − × ÷, Sqrt, Abs, Min, Max, Sign, Clamp, FMA,
/// comparisons and selects), all in the element type.</item>
/// <item>Every assignment makes a new single-assignment temporary; <c>if</c>/<c>else</c> and <c>?:</c> compute both sides
/// and select; the ref parameters are written back once, at the end.</item>
/// </list>
/// Anything else is one diagnostic at that construct; the translator never throws on user code.
/// The walk itself is <see cref="BodyWalker{TValue}"/>'s; this file holds the statements, the other parts the
/// expressions, calls, element and double-island values, types and diagnostics.
/// </summary>
internal sealed partial class UpdateRuleTranslator : BodyWalker<UpdateRuleTranslator.Val>
{
    /// <summary>Longest per-step C# expression accepted (a guard against exponential growth of inlined uniform locals).</summary>
    private const int MaxCodeLength = 20_000;

    private readonly UpdateRuleParser.Signature _signature;
    private readonly SpecialType _t;
    private readonly List<Statement> _body = new();
    private readonly List<StepScalar> _scalars = new();
    private readonly Dictionary<string, Expr> _hoisted = new();
    private readonly Dictionary<long, Expr> _constants = new();
    private readonly Dictionary<ISymbol, Buffer> _buffers = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<ISymbol, int> _versions = new(SymbolEqualityComparer.Default);
    private int _temporaries;

    /// <summary>
    /// How many conditions the code being translated runs under: &gt; 0 inside an if's branches, a ?:'s operands and the
    /// right operand of &amp;&amp; or ||, which the method evaluates only when the condition holds.
    /// </summary>
    private int _conditional;

    public UpdateRuleTranslator(UpdateRuleParser.Signature signature, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        : base(diagnostics, cancellationToken)
    {
        _signature = signature;
        _t = signature.Element == ElementType.Float ? SpecialType.System_Single : SpecialType.System_Double;
    }

    private string T => _signature.Element.Keyword();

    public UpdateRule? Translate(IMethodBodyOperation method, string title)
    {
        var param = new Buffer(UpdateRule.Param.Name, _signature.Param.Name, "parameters");
        var grad = new Buffer(UpdateRule.Grad.Name, _signature.Grad.Name, "gradients");
        _buffers[_signature.Param] = param;
        _buffers[_signature.Grad] = grad;
        var state = new List<Buffer>();
        foreach (IParameterSymbol p in _signature.State)
        {
            var buffer = new Buffer("state_" + p.Name, p.Name, $"state '{p.Name}' of the [UpdateRule] method (zero at the start)");
            state.Add(buffer);
            _buffers[p] = buffer;
        }

        foreach (KeyValuePair<ISymbol, Buffer> pair in _buffers)
        {
            Variables[pair.Key] = new Val { Type = _t, Element = pair.Value.Value, Source = pair.Key.Name };
        }

        if (_signature.Lr is not null)
        {
            Variables[_signature.Lr] = new Val { Type = _t, Code = $"(({T})lr)", Source = _signature.Lr.Name };
        }

        if (_signature.Step is not null)
        {
            Variables[_signature.Step] = new Val { Type = SpecialType.System_Int64, Code = "t", ReadsStep = true, Source = _signature.Step.Name };
        }

        IBlockOperation? block = Body(method);
        if (block is null)
        {
            return null;
        }

        Statements(block.Operations, topLevel: true);
        if (Failed)
        {
            return null;
        }

        // Write back every ref parameter whose value changed.
        foreach (IParameterSymbol p in new[] { _signature.Param }.Concat(_signature.State))
        {
            Val final = Variables[p];
            Buffer buffer = _buffers[p];
            Expr value = ToElement(final, p.Locations.FirstOrDefault()) ?? buffer.Value;
            if (value != buffer.Value)
            {
                _body.Add(new Statement(buffer.Name, buffer.Symbol, value));
            }
        }

        if (Failed)
        {
            return null;
        }

        if (_body.Count == 0)
        {
            // A rule that changes nothing still gets a (trivial) loop, so every model has the same shape.
            _body.Add(new Statement("unchanged", param.Symbol, param.Value));
        }

        return new UpdateRule(
            "Custom",
            $"the [UpdateRule] method {title}",
            "",
            state.ToEquatableArray(),
            EquatableArray<StepAccumulator>.Empty,
            _scalars.ToEquatableArray(),
            _body.ToEquatableArray(),
            $"Compiled from the [UpdateRule] method {title}: bit for bit what calling it once per element gives.");
    }

    // ---- Statements -------------------------------------------------------------------------------------------------

    /// <summary>The method's closing <c>return;</c> (or the implicit one) ends the rule; any other return is reported.</summary>
    protected override void Return(IReturnOperation ret, bool last)
    {
        if (!(ret.ReturnedValue is null && (ret.IsImplicit || last)))
        {
            UnsupportedStatement(ret);
        }
    }

    protected override void Block(IBlockOperation block) => Statements(block.Operations, topLevel: false);

    protected override void Empty(IEmptyOperation empty)
    {
    }

    protected override void Declare(IVariableDeclaratorOperation declarator, IVariableInitializerOperation? initializer)
    {
        if (declarator.Symbol.IsRef)
        {
            Unsupported(declarator.Syntax, "a ref local", "use a plain local");
            Assign(declarator.Symbol, null);
        }
        else if (initializer is not null)
        {
            Assign(declarator.Symbol, Value(initializer.Value), declarator.Syntax);
        }
    }

    protected override void UnsupportedStatement(IOperation statement) =>
        Unsupported(statement.Syntax, Describe(statement), "an update rule is straight-line code: assignments, if/else and ?:");

    protected override void ExpressionStatement(IExpressionStatementOperation statement)
    {
        IOperation expression = statement.Operation;
        switch (expression)
        {
            case ISimpleAssignmentOperation { IsRef: false } assignment when Target(assignment.Target) is { } target:
                Assign(target, Value(assignment.Value), assignment.Syntax);
                return;
            case ICompoundAssignmentOperation compound when Target(compound.Target) is { } target:
            {
                Val? current = Read(target, compound.Target);
                Val? operand = Value(compound.Value);
                Val? result = current is null || operand is null ? null : Binary(compound.OperatorKind, current, operand, Promote(current.Type, operand.Type), compound.Syntax, compound.IsChecked);
                Assign(target, result, compound.Syntax, compound.IsChecked);
                return;
            }

            case IIncrementOrDecrementOperation step when Target(step.Target) is { } target:
            {
                Val? current = Read(target, step.Target);
                Val one = Constant(TypeOf(step.Target.Type), 1, "1");
                Val? result = current is null ? null : Binary(step.Kind == OperationKind.Increment ? BinaryOperatorKind.Add : BinaryOperatorKind.Subtract, current, one, TypeOf(step.Target.Type), step.Syntax, step.IsChecked);
                Assign(target, result, step.Syntax);
                return;
            }

            case ISimpleAssignmentOperation or ICompoundAssignmentOperation or IIncrementOrDecrementOperation:
                // Target() reported what is wrong with the target.
                return;
            default:
                Unsupported(expression.Syntax, Describe(expression), "a statement of an update rule assigns a local or a parameter");
                return;
        }
    }

    /// <summary>The local or parameter an assignment writes, or null after reporting a field, an element, …</summary>
    private ISymbol? Target(IOperation target)
    {
        switch (target)
        {
            case ILocalReferenceOperation local:
                return local.Local;
            case IParameterReferenceOperation parameter:
                return parameter.Parameter;
            case IFieldReferenceOperation field:
                Unsupported(target.Syntax, $"writing the field '{field.Field.Name}'", "an update rule may only write its locals and its ref parameters");
                return null;
            default:
                Unsupported(target.Syntax, Describe(target), "an update rule may only write its locals and its ref parameters");
                return null;
        }
    }

    private void Assign(ISymbol target, Val? value, SyntaxNode syntax, bool isChecked = false)
    {
        if (value is null)
        {
            Assign(target, null); // reported: later reads stay silent
            return;
        }

        SpecialType type = TypeOf(target switch { ILocalSymbol l => l.Type, IParameterSymbol p => p.Type, _ => null });
        if (value.Type != type && !(value.Constant is not null && IsNumeric(type)))
        {
            value = Convert(value, type, syntax, isChecked);
            if (value is null)
            {
                Assign(target, null);
                return;
            }
        }

        if (value.IsUniform || value.Type == SpecialType.System_Boolean || value.Wide)
        {
            // Uniform values stay C# text; element conditions stay trees (they read only single-assignment values).
            Assign(target, value);
            return;
        }

        // An element value: a new temporary, so later reads see exactly this value whatever is assigned next.
        string name = $"v{_temporaries++}_{target.Name.TrimStart('@')}";
        _versions[target] = _versions.TryGetValue(target, out int version) ? version + 1 : 1;
        string symbol = target.Name.TrimStart('@') + Subscript(_versions[target]);
        _body.Add(new Statement(name, symbol, value.Element!));
        Assign(target, new Val { Type = value.Type, Element = Expr.Variable(name, symbol), Source = symbol, IsSign = value.IsSign });
    }

    /// <summary>
    /// if/else: both branches run on copies of the variables, then every variable either changed becomes
    /// <c>condition ? then : else</c> (a vector select for an element condition, a per-step choice otherwise).
    /// </summary>
    protected override void If(IConditionalOperation conditional)
    {
        Val? condition = Value(conditional.Condition);
        Dictionary<ISymbol, Val> before = Variables;
        Variables = new Dictionary<ISymbol, Val>(before, SymbolEqualityComparer.Default);
        _conditional++;
        Statement(conditional.WhenTrue);
        Dictionary<ISymbol, Val> whenTrue = Variables;
        Variables = new Dictionary<ISymbol, Val>(before, SymbolEqualityComparer.Default);
        if (conditional.WhenFalse is not null)
        {
            Statement(conditional.WhenFalse);
        }

        _conditional--;
        Dictionary<ISymbol, Val> whenFalse = Variables;
        Variables = before;
        if (condition is null)
        {
            // Reported: what either branch assigned is unknown, and reading it later is not another mistake.
            foreach (ISymbol symbol in whenTrue.Keys.Concat(whenFalse.Keys).Distinct(SymbolEqualityComparer.Default).ToList())
            {
                before.TryGetValue(symbol, out Val? previous);
                whenTrue.TryGetValue(symbol, out Val? a);
                whenFalse.TryGetValue(symbol, out Val? b);
                if (previous is null || !ReferenceEquals(a, previous) || !ReferenceEquals(b, previous))
                {
                    Assign(symbol, null);
                }
            }

            return;
        }

        // Every variable known after both branches: those known before, and those (declared earlier without an
        // initialiser) that both branches assign. One that only one branch assigns is not definitely assigned after
        // the if, so C# lets nothing read it.
        foreach (ISymbol symbol in whenTrue.Keys.Where(whenFalse.ContainsKey).ToList())
        {
            Val a = whenTrue[symbol], b = whenFalse[symbol];
            before.TryGetValue(symbol, out Val? previous);
            if (!ReferenceEquals(a, previous) || !ReferenceEquals(b, previous))
            {
                Assign(symbol, Select(condition, a, b, conditional.Syntax), conditional.Syntax);
            }
        }
    }
}
