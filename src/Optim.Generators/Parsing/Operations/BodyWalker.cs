using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Optim.Generators.Diagnostics;

namespace Optim.Generators.Parsing.Operations;

/// <summary>
/// The walker of Roslyn's operation tree that both front ends read a method body with: the <c>[UpdateRule]</c>
/// translator (whose values are element expressions or per-step C#) and the <c>[Forward]</c> reader (whose values are
/// graph nodes). It holds what they share:
/// <list type="bullet">
/// <item>the statement loop: cancellation, each declarator of a declaration group with its initializer, the end of a
/// straight line at its return (a statement after it goes to <see cref="AfterEnd"/>);</item>
/// <item>what each local and parameter holds at each point (<see cref="Variables"/>, written through
/// <see cref="Assign"/>; a read of one the walk gave no value goes to <see cref="Unassigned"/>, a read of one whose value
/// failed with a diagnostic is silent);</item>
/// <item>the dispatch of a statement and of an expression to the hook for its kind, after offering a compile-time
/// constant to <see cref="ConstantValue"/>;</item>
/// <item>the diagnostics: a construct whose hook a front end does not override is reported at that construct, in that
/// front end's words (<see cref="UnsupportedStatement"/>, <see cref="UnsupportedValue"/>), and every report marks the
/// walk <see cref="Failed"/>, so that the front end returns nothing rather than a partial result.</item>
/// </list>
/// A front end supplies its vocabulary by overriding hooks. Nothing here throws on user code.
/// </summary>
/// <typeparam name="TValue">What an expression evaluates to; null stands for "reported, nothing to compute".</typeparam>
internal abstract class BodyWalker<TValue>
    where TValue : class
{
    private readonly List<DiagnosticInfo> _diagnostics;

    // Locals and parameters whose latest assignment could not be computed (reported there): reads of them stay silent,
    // so one mistake is one diagnostic, at the construct, not one more at every later use.
    private readonly HashSet<ISymbol> _failed = new(SymbolEqualityComparer.Default);

    protected BodyWalker(List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        _diagnostics = diagnostics;
        CancellationToken = cancellationToken;
    }

    protected CancellationToken CancellationToken { get; }

    /// <summary>Whether a diagnostic has been reported.</summary>
    protected bool Failed { get; private set; }

    /// <summary>Set by a front end once the method's straight line has ended (its return).</summary>
    protected bool Ended { get; set; }

    /// <summary>
    /// What each local and parameter holds at this point of the walk. C# lets a method read only definitely assigned
    /// variables, so a front end that records every assignment finds each read here; a front end that walks branches
    /// (if/else) gives each branch its own copy and merges them.
    /// </summary>
    protected Dictionary<ISymbol, TValue> Variables { get; set; } = new(SymbolEqualityComparer.Default);

    /// <summary>The statements of a method's body (a block, or an expression body as a block), or null.</summary>
    public static IBlockOperation? Body(IMethodBodyOperation? method) => method?.BlockBody ?? method?.ExpressionBody;

    // ---- Statements -------------------------------------------------------------------------------------------------

    /// <summary>Walks <paramref name="statements"/> in order; <paramref name="topLevel"/> for the method's own block.</summary>
    protected void Statements(IEnumerable<IOperation> statements, bool topLevel)
    {
        var list = statements.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            CancellationToken.ThrowIfCancellationRequested();
            if (Ended)
            {
                AfterEnd(list[i]);
                return;
            }

            Statement(list[i], topLevel && i == list.Count - 1);
        }
    }

    /// <summary>One statement, by its kind; <paramref name="last"/> when it ends the method's own block.</summary>
    protected void Statement(IOperation statement, bool last = false)
    {
        switch (statement)
        {
            case IBlockOperation block:
                Block(block);
                return;
            case IEmptyOperation empty:
                Empty(empty);
                return;
            case IVariableDeclarationGroupOperation group:
                foreach (IVariableDeclarationOperation declaration in group.Declarations)
                {
                    foreach (IVariableDeclaratorOperation declarator in declaration.Declarators)
                    {
                        Declare(declarator, declarator.Initializer ?? declaration.Initializer);
                    }
                }

                return;
            case IExpressionStatementOperation expression:
                ExpressionStatement(expression);
                return;
            case IConditionalOperation conditional:
                If(conditional);
                return;
            case IReturnOperation ret:
                Return(ret, last);
                return;
            default:
                UnsupportedStatement(statement);
                return;
        }
    }

    /// <summary>A local's declaration, with its initializer if it has one.</summary>
    protected abstract void Declare(IVariableDeclaratorOperation declarator, IVariableInitializerOperation? initializer);

    protected virtual void Block(IBlockOperation block) => UnsupportedStatement(block);

    protected virtual void Empty(IEmptyOperation empty) => UnsupportedStatement(empty);

    protected virtual void ExpressionStatement(IExpressionStatementOperation statement) => UnsupportedStatement(statement);

    protected virtual void If(IConditionalOperation conditional) => UnsupportedStatement(conditional);

    protected virtual void Return(IReturnOperation ret, bool last) => UnsupportedStatement(ret);

    /// <summary>A statement after the straight line has <see cref="Ended"/>; the walk stops there.</summary>
    protected virtual void AfterEnd(IOperation statement) => UnsupportedStatement(statement);

    /// <summary>Reports a statement the front end does not support.</summary>
    protected abstract void UnsupportedStatement(IOperation statement);

    // ---- Expressions ------------------------------------------------------------------------------------------------

    /// <summary>The value of an expression, or null after a diagnostic.</summary>
    protected TValue? Value(IOperation operation)
    {
        CancellationToken.ThrowIfCancellationRequested();
        if (operation.ConstantValue.HasValue && ConstantValue(operation, operation.ConstantValue.Value) is { } constant)
        {
            return constant;
        }

        switch (operation)
        {
            case ILocalReferenceOperation local:
                return Read(local.Local, operation);
            case IParameterReferenceOperation parameter:
                return Read(parameter.Parameter, operation);
            case IFieldReferenceOperation field:
                return Field(field);
            case IConversionOperation conversion:
                return Conversion(conversion);
            case IBinaryOperation binary:
                return Binary(binary);
            case IUnaryOperation unary:
                return Unary(unary);
            case IConditionalOperation conditional:
                return Conditional(conditional);
            case IInvocationOperation invocation:
                return Invocation(invocation);
            default:
                return UnsupportedValue(operation);
        }
    }

    /// <summary>What a local or parameter holds here (see <see cref="Variables"/>).</summary>
    protected TValue? Read(ISymbol symbol, IOperation reference) =>
        Variables.TryGetValue(symbol, out TValue? value) ? value
        : _failed.Contains(symbol) ? null
        : Unassigned(symbol, reference);

    /// <summary>
    /// Records an assignment: <paramref name="value"/> null means it was reported and there is nothing to hold, so later
    /// reads of <paramref name="symbol"/> give null without another diagnostic.
    /// </summary>
    protected void Assign(ISymbol symbol, TValue? value)
    {
        if (value is null)
        {
            Variables.Remove(symbol);
            _failed.Add(symbol);
            return;
        }

        Variables[symbol] = value;
        _failed.Remove(symbol);
    }

    /// <summary>
    /// A compile-time constant as a value of the front end's, or null to walk the operation by its kind (the default:
    /// constants are not values).
    /// </summary>
    protected virtual TValue? ConstantValue(IOperation operation, object? value) => null;

    /// <summary>A read of a local or parameter the walk holds no value for: reported, null.</summary>
    protected abstract TValue? Unassigned(ISymbol symbol, IOperation reference);

    protected virtual TValue? Field(IFieldReferenceOperation field) => UnsupportedValue(field);

    protected virtual TValue? Conversion(IConversionOperation conversion) => UnsupportedValue(conversion);

    protected virtual TValue? Binary(IBinaryOperation binary) => UnsupportedValue(binary);

    protected virtual TValue? Unary(IUnaryOperation unary) => UnsupportedValue(unary);

    protected virtual TValue? Conditional(IConditionalOperation conditional) => UnsupportedValue(conditional);

    protected virtual TValue? Invocation(IInvocationOperation invocation) => UnsupportedValue(invocation);

    /// <summary>Reports an expression the front end does not support; null.</summary>
    protected abstract TValue? UnsupportedValue(IOperation operation);

    // ---- Diagnostics ------------------------------------------------------------------------------------------------

    /// <summary>Adds a diagnostic and marks the walk failed; null, for the value that could not be computed.</summary>
    protected TValue? Report(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments)
    {
        _diagnostics.Add(DiagnosticInfo.Create(descriptor, location, arguments));
        Failed = true;
        return null;
    }
}
