using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Optim.Generators.Common;
using Optim.Generators.Lowering;
using Optim.Generators.Model;

namespace Optim.Generators.Emit;

/// <summary>Rules with per-tensor phases: the per-tensor kernel, its arguments and shapes, and the call per tensor.</summary>
internal static partial class StepWriter
{
    /// <summary>Every expression of a per-tensor rule's phases.</summary>
    private static IEnumerable<Expr> TensorExpressions(UpdateRule rule) => rule.TensorPhases.SelectMany(phase => phase switch
    {
        ElementPass pass => pass.Body.Select(s => s.Value).Concat(pass.Reductions.Select(r => r.Value)),
        TensorScalars scalars => scalars.Scalars.Select(s => s.Value),
        TensorCall call => call.Arguments.Select(a => a.Value),
        _ => Enumerable.Empty<Expr>(),
    });

    /// <summary>" (matrices only)" or " (vectors only)" for a phase that applies to some tensors.</summary>
    private static string For(Phase phase) => phase.Where switch
    {
        TensorKind.Matrices => " (matrices only)",
        TensorKind.Vectors => " (vectors only)",
        _ => "",
    };

    /// <summary>
    /// Whether a per-tensor group's tensors are shared between threads: two or more tensors of a parallel model that are
    /// not split inside (<see cref="SplitsInside"/>); each thread has its own workspace when the routines need one. The
    /// groups of a model step one after the other, each shared in turn.
    /// </summary>
    public static bool SharesTensors(ModelLayout layout, GroupLayout group) =>
        layout.Model.IsParallel && group.Rule.IsPerTensor && WholeTensors(layout, group).Count >= 2;

    /// <summary>
    /// Whether tensor <paramref name="p"/> of a parallel model is large enough for a matrix routine of its rule to share
    /// its own work between threads (Muon's large products): it is stepped on its own, with every thread.
    /// </summary>
    private static bool SplitsInside(ModelLayout layout, GroupLayout group, ParameterSpec p) =>
        layout.Model.IsParallel
        && group.Rule.TensorPhases.OfType<TensorCall>().Any(c => c.Threads && MatrixRoutines.SharesWork(c.Routine, GroupLayout.Rows(p), GroupLayout.Cols(p)));

    /// <summary>The tensors of a group that a parallel model hands to its threads whole, largest first.</summary>
    private static List<ParameterSpec> WholeTensors(ModelLayout layout, GroupLayout group) =>
        group.Parameters.Where(p => !SplitsInside(layout, group, p)).OrderByDescending(p => p.Length).ToList();

    /// <summary>
    /// Whether the group's per-tensor method takes its workspace and thread count as arguments: a group whose tensors
    /// are shared between threads and whose routines need a workspace (each thread brings its own) or a thread count.
    /// </summary>
    private static bool TakesWorkspace(ModelLayout layout, GroupLayout group) =>
        SharesTensors(layout, group) && (NeedsWorkspace(group.Rule) || TakesThreads(group.Rule));

    /// <summary>Whether one of the rule's matrix routines takes a workspace.</summary>
    private static bool NeedsWorkspace(UpdateRule rule) => rule.TensorPhases.OfType<TensorCall>().Any(c => c.Workspace);

    /// <summary>Whether one of the rule's matrix routines takes a thread count.</summary>
    private static bool TakesThreads(UpdateRule rule) => rule.TensorPhases.OfType<TensorCall>().Any(c => c.Threads);

    /// <summary>The field of the workspaces of a shared group's threads other than the caller's.</summary>
    private static string WorkspacesField(GroupLayout group) => "_optimWorkspaces" + group.Suffix;

    /// <summary>The workspace and thread-count arguments of a call to a method that <see cref="TakesWorkspace"/>.</summary>
    private static string WorkArguments(GroupLayout group, string workspace, string threads) =>
        (NeedsWorkspace(group.Rule) ? $", workspace: {workspace}" : "") + (TakesThreads(group.Rule) ? $", maxThreads: {threads}" : "");

    /// <summary>The call that updates tensor <paramref name="p"/>, with its shape in a comment.</summary>
    private static string TensorCallLine(GroupLayout group, ParameterSpec p, bool matrices, List<(string Type, string Name)> arguments, string owner, string work = "")
    {
        string shape = p.Shape.Count == 0 ? "scalar" : string.Join(" × ", p.Shape);
        string dimensions = matrices ? $", {GroupLayout.Rows(p)}, {GroupLayout.Cols(p)}" : "";
        string shaped = string.Concat(ShapedLocals(group.Rule).Select(l => ", " + group.Local(l.Extent, p)));
        return $"{owner}{TensorMethod(group, p)}({p.Offset}, {p.Offset - group.Start}{shaped}, {p.Length}{dimensions}{string.Concat(arguments.Select(a => ", " + a.Name))}{work}); // {p.Name} ({shape})";
    }

    /// <summary>
    /// The object StepWorkers.RunEach hands tensor indices to: the model, this step's scalars, and one case per tensor,
    /// largest first so the threads finish together.
    /// </summary>
    private static void WriteTensorKernel(SourceWriter w, ModelLayout layout, GroupLayout group)
    {
        ModelSpec model = layout.Model;
        List<(string Type, string Name)> arguments = TensorArguments(model, group.Rule);
        w.Line(ModelEmitter.GeneratedCode);
        w.Line($"private readonly OptimTensorKernel{group.Suffix} _optimTensorKernel{group.Suffix} = new();");
        w.Line();
        List<ParameterSpec> whole = WholeTensors(layout, group);
        TensorCall? withWorkspace = group.Rule.TensorPhases.OfType<TensorCall>().FirstOrDefault(c => c.Workspace);
        if (withWorkspace is not null)
        {
            string t = model.Element.Keyword();
            string pairs = GroupLayout.ShapePairs(whole);
            w.Line($"/// <summary>Working space of {withWorkspace.Routine} for each thread but the caller (which uses the model's), sized for the largest tensor shared.</summary>");
            w.Line(ModelEmitter.GeneratedCode);
            string others = model.Threads >= 2
                ? (System.Math.Min(model.Threads, whole.Count) - 1).ToString(CultureInfo.InvariantCulture)
                : $"global::System.Math.Min({Threads(model)}, {whole.Count}) - 1";
            w.Line($"private readonly {t}[][] {WorkspacesField(group)} = global::Optim.MatrixKernels.Workspaces<{t}>({others}, global::Optim.MatrixKernels.{withWorkspace.Routine}WorkspaceLength(new int[] {{ {pairs} }}));");
            w.Line();
        }

        w.Line("/// <summary>This step's model and scalars, for the threads that share its tensors.</summary>");
        w.Line(ModelEmitter.GeneratedCode);
        w.Open($"private sealed class OptimTensorKernel{group.Suffix} : global::Optim.TensorKernel");
        w.Line($"public {model.Type.Name} Owner = null!;");
        foreach (var (type, name) in arguments)
        {
            w.Line($"public {type} {name};");
        }

        w.Line();
        w.Open("public override void Run(int tensor, int worker)");
        string work = "";
        if (withWorkspace is not null)
        {
            w.Line("// Each thread its own working space: the calling thread (worker 0) the model's.");
            w.Line($"{model.Element.Keyword()}[] workspace = worker == 0 ? Owner._optimWorkspace : Owner.{WorkspacesField(group)}[worker - 1];");
            w.Line();
        }

        if (TakesWorkspace(layout, group))
        {
            work = WorkArguments(group, "workspace", "1");
        }

        w.Open("switch (tensor)");
        bool matrices = UsesMatrixShape(group.Rule);
        int index = 0;
        foreach (ParameterSpec p in whole)
        {
            w.Line($"case {index++}:");
            w.Line($"    if (!Owner.{ModelEmitter.FrozenField(p)}{Held(layout, p, "Owner.")})");
            w.Line("    {");
            w.Line("        " + TensorCallLine(group, p, matrices, arguments, "Owner.", work));
            w.Line("    }");
            w.Line();
            w.Line("    break;");
        }

        w.Close();
        w.Close();
        w.Close();
    }

    /// <summary>The per-tensor methods a group needs: one, or one per kind of tensor when phases apply to some tensors.</summary>
    private static IEnumerable<(string Method, TensorKind Kind)> TensorMethods(GroupLayout group)
    {
        if (group.Rule.TensorPhases.All(p => p.Where == TensorKind.All))
        {
            yield return ("_optimStepTensor" + group.Suffix, TensorKind.All);
            yield break;
        }

        if (group.Parameters.Any(GroupLayout.IsMatrix))
        {
            yield return ("_optimStepMatrix" + group.Suffix, TensorKind.Matrices);
        }

        if (!group.Parameters.All(GroupLayout.IsMatrix))
        {
            yield return ("_optimStepVector" + group.Suffix, TensorKind.Vectors);
        }
    }

    /// <summary>The method that updates <paramref name="p"/>.</summary>
    private static string TensorMethod(GroupLayout group, ParameterSpec p) =>
        (group.Rule.TensorPhases.All(phase => phase.Where == TensorKind.All) ? "_optimStepTensor"
        : GroupLayout.IsMatrix(p) ? "_optimStepMatrix" : "_optimStepVector") + group.Suffix;

    /// <summary>
    /// The per-row and per-column buffers' offsets a per-tensor method takes beside <c>local</c> (the per-element one):
    /// (extent, parameter name), in the rule's order.
    /// </summary>
    private static List<(Extent Extent, string Name)> ShapedLocals(UpdateRule rule) =>
        rule.State.Select(b => b.Extent).Where(e => e != Extent.Elements).Distinct()
            .Select(e => (e, LocalOf(e, ""))).ToList();

    /// <summary>The name of the offset of a buffer's part in its section: <paramref name="local"/>, <c>rowLocal</c> or <c>colLocal</c>.</summary>
    private static string LocalOf(Buffer buffer, string local) => LocalOf(buffer.Extent, local);

    /// <inheritdoc cref="LocalOf(Buffer, string)"/>
    private static string LocalOf(Extent extent, string local) =>
        extent switch { Extent.Rows => "rowLocal", Extent.Columns => "colLocal", _ => local };

    /// <summary>Whether the per-tensor code needs the tensor as a rows × cols matrix.</summary>
    private static bool UsesMatrixShape(UpdateRule rule) =>
        rule.TensorPhases.OfType<TensorCall>().Any()
        || TensorExpressions(rule).SelectMany(e => e.Nodes()).Any(n => n.Kind == ExprKind.Scalar && (n.Name == UpdateRule.TensorRows.Name || n.Name == UpdateRule.TensorCols.Name));

    /// <summary>What Step() hands the per-tensor method: γ, t and the per-step scalars its phases read.</summary>
    private static List<(string Type, string Name)> TensorArguments(ModelSpec model, UpdateRule rule)
    {
        var nodes = TensorExpressions(rule).SelectMany(e => e.Nodes()).ToList();
        var arguments = new List<(string Type, string Name)>();
        if (nodes.Any(n => n.Kind == ExprKind.LearningRate))
        {
            arguments.Add(("double", "lr"));
        }

        if (nodes.Any(n => n.Kind is ExprKind.StepCount or ExprKind.FirstStepSelect))
        {
            arguments.Add(("long", "t"));
        }

        var read = new HashSet<string>(nodes.Where(n => n.Kind == ExprKind.Scalar).Select(n => n.Name));
        foreach (StepScalar scalar in rule.Scalars.Where(s => read.Contains(s.Name)))
        {
            arguments.Add((scalar.ToKernel ? KernelType(scalar, model) : "double", scalar.Name));
        }

        return arguments;
    }

    /// <summary>
    /// One tensor's update for rules with per-tensor phases: each pass over the tensor's elements, the per-tensor scalars
    /// computed (in double) from the sums, and the matrix routines, in the rule's order.
    /// </summary>
    private static void WriteTensorStep(SourceWriter w, ModelLayout layout, GroupLayout group, string method, TensorKind kind)
    {
        ModelSpec model = layout.Model;
        UpdateRule rule = group.Rule;
        string t = model.Element.Keyword();
        int lanes = model.Element.PerLine();
        var step = new ExprWriter(ExprMode.StepDouble, model.Element);
        int maxReductions = rule.TensorPhases.OfType<ElementPass>().Where(p => p.AppliesTo(kind)).Select(p => p.Reductions.Count).DefaultIfEmpty(0).Max();
        string parameters = string.Concat(TensorArguments(model, rule).Select(a => $", {a.Type} {a.Name}"));
        bool matrices = UsesMatrixShape(rule);
        List<Buffer> buffers = Buffers(rule);
        bool moved = ShardWriter.MovesSections(layout);

        string which = kind switch { TensorKind.Matrices => "matrix", TensorKind.Vectors => "vector", _ => "tensor" };
        List<(Extent Extent, string Name)> shaped = ShapedLocals(rule);
        string shapedDoc = shaped.Count == 0 ? "" : $"; {string.Join(" and ", shaped.Select(l => $"<paramref name=\"{l.Name}\"/> in its per-{(l.Extent == Extent.Rows ? "row" : "column")} state"))}";
        w.Line($"/// <summary>One {rule.Title} step of the {which} at <paramref name=\"offset\"/> of the parameters (<paramref name=\"local\"/> in its group's state{shapedDoc}), <paramref name=\"length\"/> elements{(matrices ? ", rows × cols" : "")}.</summary>");
        w.Line(ModelEmitter.GeneratedCode);
        bool takesWorkspace = TakesWorkspace(layout, group);
        if (takesWorkspace)
        {
            parameters += (NeedsWorkspace(rule) ? $", {t}[] workspace" : "") + (TakesThreads(rule) ? ", int maxThreads" : "");
        }

        w.Open($"private void {method}(int offset, int local{string.Concat(shaped.Select(l => ", int " + l.Name))}, int length{(matrices ? ", int rows, int cols" : "")}{parameters})");
        w.Line($"ref {t} origin = ref _optimArena.Origin;");
        if (maxReductions > 0)
        {
            // Aligned to a line, so that each vector store of a line of lanes stays within one line (KernelMath.LineAligned).
            w.Line($"global::System.Span<{t}> sums = global::Optim.KernelMath.LineAligned(stackalloc {t}[{(maxReductions + 1) * lanes}]);");
        }

        var shapeNames = new HashSet<string>(TensorExpressions(rule).SelectMany(e => e.Nodes()).Where(n => n.Kind == ExprKind.Scalar).Select(n => n.Name));
        foreach (var (scalar, source) in new[] { (UpdateRule.TensorSize, "length"), (UpdateRule.TensorRows, "rows"), (UpdateRule.TensorCols, "cols") })
        {
            if (shapeNames.Contains(scalar.Name))
            {
                w.Line($"double {scalar.Name} = {source};");
            }
        }

        int index = -1;
        foreach (Phase phase in rule.TensorPhases)
        {
            index += phase is ElementPass ? 1 : 0;
            if (!phase.AppliesTo(kind))
            {
                continue;
            }

            w.Line();
            if (phase is ElementPass pass)
            {
                string args = string.Concat(PassScalars(model, rule, pass).Select(a => ", " + a.Name));
                if (pass.Reductions.Count > 0)
                {
                    w.Line("sums.Clear();");
                    args += ", ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(sums)";
                }

                List<Buffer> used = KernelWriter.UsedBuffers(buffers, pass.Body.ToList(), pass.Reductions.ToList());
                w.Line($"global::Optim.Generated.{ModelEmitter.KernelName}.Pass{index}{group.Suffix}({References(group, used, "offset", "local", moved)}, start: 0, end: (nuint)length, count: (nuint)length{args});");
                for (int r = 0; r < pass.Reductions.Count; r++)
                {
                    w.Line($"double {pass.Reductions[r].Name} = global::Optim.KernelMath.SumLanes(sums.Slice({r * lanes}, {lanes}));");
                }
            }
            else if (phase is TensorCall call)
            {
                string spans = string.Join(", ", call.Buffers.Select(b => $"_optimArena.Slice({Start(group, b, "offset", "local", moved)}, {SpanLength(b, kind)})"));
                string arguments = (call.Workspace ? (takesWorkspace ? ", workspace" : ", _optimWorkspace") : "") + string.Concat(call.Arguments.Select(a => $", {a.Name}: {step.Write(a.Value)}"))
                    + (call.Threads ? $", maxThreads: {(takesWorkspace ? "maxThreads" : model.IsParallel ? Threads(model) : "1")}" : "")
                    + (call.Output.Length > 0 ? $", out double {call.Output}" : "");
                w.Line($"// {call.Math}");
                w.Line($"{(call.Result.Length > 0 ? $"double {call.Result} = " : "")}global::Optim.MatrixKernels.{call.Routine}({spans}, rows, cols{arguments});");
            }
            else if (phase is TensorScalars scalars)
            {
                foreach (StepScalar scalar in scalars.Scalars)
                {
                    w.Line(Declaration(scalar, t, step));
                }
            }
        }

        w.Close();
    }

    /// <summary>How many elements of <paramref name="buffer"/> the tensor has (a C# expression), in a method for <paramref name="kind"/>.</summary>
    private static string SpanLength(Buffer buffer, TensorKind kind) => buffer.Extent switch
    {
        Extent.Rows => kind == TensorKind.Vectors ? "length" : "rows",
        Extent.Columns => "cols",
        _ => "length",
    };
}
