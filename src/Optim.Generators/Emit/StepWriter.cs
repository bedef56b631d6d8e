using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Optim.Generators.Common;
using Optim.Generators.Lowering;
using Optim.Generators.Model;

namespace Optim.Generators.Emit;

/// <summary>
/// Writes <c>Step()</c>: the step count and learning rate, then for each parameter group its per-step scalars and either
/// one fused loop over the group (element-wise rules) or one call per tensor (rules with per-tensor phases).
/// </summary>
internal static partial class StepWriter
{
    private const string Unsafe = "global::System.Runtime.CompilerServices.Unsafe";

    public static void Write(SourceWriter w, ModelLayout layout)
    {
        ModelSpec model = layout.Model;
        List<string> lines = MathLines(layout);
        string title = Title(layout);
        w.Line($"/// <summary>The update rule <see cref=\"Step\"/> implements, as in its documentation: {title}.</summary>");
        w.Line(ModelEmitter.GeneratedCode);
        w.Line($"public const string UpdateRule = \"{string.Join("\\n", lines)}\";");
        w.Line();
        w.Line("/// <summary>");
        w.Line($"/// One {title} step over every parameter, using the gradients as they stand:");
        w.Line("/// <code>");
        foreach (string line in lines)
        {
            w.Line("/// " + ModelEmitter.Xml(line));
        }

        w.Line("/// </code>");
        foreach (GroupLayout group in layout.Groups.Where(g => g.Rule.Note.Length > 0))
        {
            w.Line($"/// {ModelEmitter.Xml(group.Rule.Note)}");
        }

        w.Line("/// </summary>");
        w.Line(ModelEmitter.GeneratedCode);
        w.Open("public void Step()");
        WriteConcurrencyCheckEnter(w, model);
        string rate = layout.HasGroups ? "rate" : "lr";
        if (model.Schedule is not null)
        {
            // The scheduled rate first: a non-finite one throws before anything changes.
            string name = Model.Schedules.ScheduleCatalog.Find(model.Schedule.Kind)!.Name;
            w.Line($"double {rate} = global::Optim.Schedules.LrFormulas.EnsureFinite(OptimScheduledLr(_optimStep), \"{name}\", _optimStep);");
        }

        if (model.Services is { Any: true } services)
        {
            WriteGradientServices(w, services);
        }

        bool usesStep = layout.Groups.Any(g => UsesStepCount(g.Rule));
        w.Line(usesStep ? "long t = ++_optimStep;" : "_optimStep++;");
        if (model.Schedule is null)
        {
            w.Line($"double {rate} = _optimLearningRate;");
        }

        if (!layout.HasGroups)
        {
            w.Line();
            WriteGroup(w, layout, layout.Groups[0]);
        }
        else
        {
            foreach (GroupLayout group in layout.Groups)
            {
                w.Line();
                w.Line($"// Group {group.Index}: {group.Rule.Title} for {string.Join(", ", group.Parameters.Select(p => p.Name))}.");
                w.Open();
                w.Line(group.LrScale == 1 ? "double lr = rate;" : $"double lr = rate * {Literals.Double(group.LrScale)}; // its Lr over the class's");
                WriteGroup(w, layout, group);
                w.Close();
            }
        }

        WriteConcurrencyCheckExit(w);
        w.Close();
        WriteConcurrencyCheckField(w);
        if (ShardWriter.Unsupported(layout) is null)
        {
            foreach (GroupLayout group in layout.Groups.Where(g => HasShardStep(layout, g)))
            {
                w.Line();
                WriteShardStep(w, layout, group);
            }
        }

        if (model.Services is { Any: true } used)
        {
            WriteGradientServiceMembers(w, layout, used);
        }

        foreach (GroupLayout group in layout.Groups)
        {
            if (group.Rule.IsPerTensor)
            {
                foreach (var (method, kind) in TensorMethods(group))
                {
                    w.Line();
                    WriteTensorStep(w, layout, group, method, kind);
                }

                if (SharesTensors(layout, group))
                {
                    w.Line();
                    WriteTensorKernel(w, layout, group);
                }
            }
            else if (SplitsLoop(layout, group))
            {
                w.Line();
                WriteRangeKernel(w, layout, group);
            }
        }
    }

    /// <summary>Whether Step() splits a group's element loop across threads (a parallel model's element-wise groups).</summary>
    public static bool SplitsLoop(ModelLayout layout, GroupLayout group) => layout.Model.IsParallel && !group.Rule.IsPerTensor;

    /// <summary>The field that carries an accumulator of a group between steps.</summary>
    public static string FieldName(GroupLayout group, StepAccumulator accumulator) =>
        "_optim" + group.Suffix + char.ToUpperInvariant(accumulator.Name[0]) + accumulator.Name.Substring(1);

    /// <summary>A group's scalars, then its loop or its per-tensor calls.</summary>
    private static void WriteGroup(SourceWriter w, ModelLayout layout, GroupLayout group)
    {
        ModelSpec model = layout.Model;
        UpdateRule rule = group.Rule;
        string t = model.Element.Keyword();
        if (model.Services is { Clips: true } && Lowering.GradientClipping.ScalesInPlace(rule))
        {
            w.Line("// Its matrix routines read g directly, so its gradients are clipped in place first (as clip_grad_norm_ does).");
            w.Open($"if ({Lowering.GradientClipping.CoefficientLocal} != 1.0)");
            w.Line($"global::Optim.GradientNorm.Scale(_optimArena.Slice({Sum("OptimStride", group.Start.ToString(CultureInfo.InvariantCulture))}, {group.Count}), ({t}){Lowering.GradientClipping.CoefficientLocal});");
            w.Close();
        }

        var step = new ExprWriter(ExprMode.StepDouble, model.Element);
        w.Line(rule.Scalars.Any(s => s.Value.Kind is ExprKind.Code or ExprKind.CodeCondition or ExprKind.WideCode)
            ? "// Per-step values of the [UpdateRule] method: its sub-expressions of constants, lr and step, computed once per step as it writes them."
            : $"// Per-step scalars: computed once in double precision, as PyTorch does, then rounded to {t}.");
        if (rule.Accumulators.Count > 0)
        {
            w.Line("// Running products: below 2⁻¹⁰²² they are stored as 0 (a subnormal would stay one, and slow every step).");
        }

        foreach (StepAccumulator accumulator in rule.Accumulators)
        {
            string field = FieldName(group, accumulator);
            var advance = new ExprWriter(ExprMode.StepDouble, model.Element, renames: new Dictionary<string, string> { [accumulator.Name] = field });
            w.Line($"double {accumulator.Name} = {field} = global::Optim.Training.RunningProducts.Next({advance.Write(accumulator.Update)});");
        }

        bool custom = rule.Scalars.Any(s => s.Value.Kind is ExprKind.Code or ExprKind.CodeCondition or ExprKind.WideCode);
        if (custom)
        {
            // The method's own per-step C#, which may compare a value with itself (x != x, lr >= lr) as it does.
            w.Line("#pragma warning disable CS1718");
        }

        foreach (StepScalar scalar in rule.Scalars)
        {
            w.Line(Declaration(scalar, t, step));
        }

        if (custom)
        {
            w.Line("#pragma warning restore CS1718");
        }

        w.Line();
        var kernelScalars = rule.Scalars.Where(s => s.ToKernel).ToList();
        bool shardBranch = ShardWriter.Unsupported(layout) is not null ? false : HasShardStep(layout, group);
        if (shardBranch)
        {
            // Sharded (ZeRO-1): the group's part of the slice only. A model of one group returns; groups go on to the next.
            string shardArguments = rule.IsPerTensor
                ? string.Join(", ", TensorArguments(model, rule).Select(a => a.Name))
                : string.Join(", ", kernelScalars.Select(s => s.Name));
            w.Open("if (_optimSharded)");
            w.Line($"OptimStepShard{group.Suffix}({shardArguments});");
            if (!layout.HasGroups)
            {
                w.Line("return;");
                w.Close();
                w.Line();
            }
            else
            {
                w.Close();
                w.Open("else");
            }
        }

        WriteGroupBody(w, layout, group, kernelScalars);
        if (shardBranch && layout.HasGroups)
        {
            w.Close();
        }
    }

    /// <summary>Whether a group's sharded step is a method of its own (every group but a per-tensor one whose tensors threads share, which checks the slice tensor by tensor).</summary>
    private static bool HasShardStep(ModelLayout layout, GroupLayout group) => !(group.Rule.IsPerTensor && SharesTensors(layout, group));

    /// <summary>The group's unsharded update: the shared tensors, the per-tensor calls, the split loop or the one loop.</summary>
    private static void WriteGroupBody(SourceWriter w, ModelLayout layout, GroupLayout group, List<StepScalar> kernelScalars)
    {
        ModelSpec model = layout.Model;
        UpdateRule rule = group.Rule;
        string t = model.Element.Keyword();
        if (rule.IsPerTensor && SharesTensors(layout, group))
        {
            List<(string Type, string Name)> arguments = TensorArguments(model, rule);
            string kernel = "_optimTensorKernel" + group.Suffix;
            bool matrices = UsesMatrixShape(rule);
            List<ParameterSpec> inside = group.Parameters.Where(p => SplitsInside(layout, group, p)).ToList();
            if (inside.Count > 0)
            {
                w.Line("// Matrices whose routines share their own work between threads: one after another, with every thread.");
                foreach (ParameterSpec p in inside)
                {
                    w.Open($"if (!{ModelEmitter.FrozenField(p)}{Held(layout, p, "")})");
                    w.Line(TensorCallLine(group, p, matrices, arguments, "", WorkArguments(group, "_optimWorkspace", Threads(model))));
                    w.Close();
                }

                w.Line();
            }

            w.Line(inside.Count > 0
                ? "// The other tensors, shared between threads whole: each tensor's update is the same whichever thread runs it."
                : "// Tensor by tensor, shared between threads: each tensor's update is the same whichever thread runs it.");
            w.Line($"{kernel}.Owner = this;");
            foreach (var (_, name) in arguments)
            {
                w.Line($"{kernel}.{name} = {name};");
            }

            string threads = NeedsWorkspace(rule) ? $"{WorkspacesField(group)}.Length + 1" : Threads(model);
            w.Line($"global::Optim.StepWorkers.RunEach({kernel}, {WholeTensors(layout, group).Count}, maxThreads: {threads});");
        }
        else if (rule.IsPerTensor)
        {
            List<(string Type, string Name)> arguments = TensorArguments(model, rule);
            w.Line("// Tensor by tensor: the rule needs per-tensor sums or matrix routines between its passes.");
            bool matrices = UsesMatrixShape(rule);
            foreach (ParameterSpec p in group.Parameters)
            {
                w.Open($"if (!{ModelEmitter.FrozenField(p)})");
                w.Line(TensorCallLine(group, p, matrices, arguments, ""));
                w.Close();
            }
        }
        else if (SplitsLoop(layout, group))
        {
            string threads = Threads(model);
            string kernel = "_optimRangeKernel" + group.Suffix;
            w.Line("// Large model: the loop is split across threads, each taking whole 64-byte lines of every section.");
            WriteRangeKernelSetup(w, layout, group, kernelScalars, group.Start.ToString(CultureInfo.InvariantCulture),
                b => group.SectionOffset(b).ToString(CultureInfo.InvariantCulture), group.Count.ToString(CultureInfo.InvariantCulture));

            WriteUnlessFrozen(
                w,
                group,
                $"global::Optim.StepWorkers.Run({kernel}, {group.Count}, maxThreads: {threads});",
                "each unfrozen one runs on this thread",
                (start, end) => $"{kernel}.Run({start}, {end});");
        }
        else
        {
            string args = string.Concat(kernelScalars.Select(s => ", " + s.Name));
            List<Buffer> used = KernelWriter.UsedBuffers(Buffers(rule), rule.Body.ToList(), new List<Reduction>());
            // The first element of each section the loop reads, named once so each call below stays readable.
            w.Line($"ref {t} origin = ref _optimArena.Origin;");
            List<string> references = ReferenceList(group, used, group.Start.ToString(CultureInfo.InvariantCulture), "0").ToList();
            for (int b = 0; b < used.Count; b++)
            {
                w.Line($"ref {t} {used[b].Name}0 = {references[b]};");
            }

            string call = $"global::Optim.Generated.{ModelEmitter.KernelName}.Update{group.Suffix}({string.Join(", ", used.Select(b => $"ref {b.Name}0"))}";
            WriteUnlessFrozen(
                w,
                group,
                $"{call}, start: 0, end: {group.Count}, count: {group.Count}{args});",
                "the loop runs over each unfrozen one",
                (start, end) => $"{call}, start: {start}, end: {end}, count: {group.Count}{args});");
        }
    }

    /// <summary>The maxThreads a parallel model passes to StepWorkers: its Threads, or every processor.</summary>
    private static string Threads(ModelSpec model) =>
        model.Threads >= 2 ? model.Threads.ToString(CultureInfo.InvariantCulture) : "global::Optim.StepWorkers.MaxThreads";

    /// <summary>A per-step or per-tensor scalar's declaration: bool, the element type, or a double intermediate.</summary>
    private static string Declaration(StepScalar scalar, string t, ExprWriter step) =>
        scalar.Value.IsCondition ? $"bool {scalar.Name} = {step.Write(scalar.Value)};"
        : scalar.Value.Kind == ExprKind.WideCode ? $"double {scalar.Name} = {step.Write(scalar.Value)};"
        : scalar.ToKernel ? $"{t} {scalar.Name} = ({t}){step.WriteAtom(scalar.Value)};"
        : $"double {scalar.Name} = {step.Write(scalar.Value)};";

    /// <summary>
    /// References to the first element of each buffer for the tensor (or group) at parameter offset <paramref name="offset"/>
    /// and group-local offset <paramref name="local"/> (C# expressions).
    /// </summary>
    private static string References(GroupLayout group, IEnumerable<Buffer> buffers, string offset, string local, bool moved = false) =>
        string.Join(", ", ReferenceList(group, buffers, offset, local, moved));

    /// <summary>The same references one by one.</summary>
    private static IEnumerable<string> ReferenceList(GroupLayout group, IEnumerable<Buffer> buffers, string offset, string local, bool moved = false) =>
        buffers.Select(b => "ref " + At(Start(group, b, offset, local, moved)));

    /// <summary>
    /// Where the part of <paramref name="buffer"/> at parameter offset <paramref name="offset"/> and group-local offset
    /// <paramref name="local"/> starts in the arena (a C# expression). With <paramref name="moved"/> (a model that shards
    /// by whole tensors) a state section starts where its field says.
    /// </summary>
    private static string Start(GroupLayout group, Buffer buffer, string offset, string local, bool moved = false) =>
        buffer.Name == UpdateRule.Param.Name ? offset
        : buffer.Name == UpdateRule.Grad.Name ? Sum("OptimStride", offset)
        : Sum(moved ? ShardWriter.BaseField(group, buffer) : group.SectionOffset(buffer).ToString(CultureInfo.InvariantCulture), LocalOf(buffer, local));

    private static string Sum(string a, string b) => b == "0" ? a : a == "0" ? b : a + " + " + b;

    private static string At(string offset) => offset == "0" ? "origin" : $"{Unsafe}.Add(ref origin, {offset})";

    /// <summary>θ, g and the rule's state, in order.</summary>
    public static List<Buffer> Buffers(UpdateRule rule) => new[] { UpdateRule.Param, UpdateRule.Grad }.Concat(rule.State).ToList();

    private static bool UsesStepCount(UpdateRule rule) =>
        rule.Scalars.Select(s => s.Value).Concat(rule.Accumulators.Select(a => a.Update)).Concat(TensorExpressions(rule))
            .Any(e => e.ReadsStepCount);

    /// <summary>Whether a buffer is optimizer state (not θ or g).</summary>
    private static bool IsState(Buffer b) => b.Name != UpdateRule.Param.Name && b.Name != UpdateRule.Grad.Name;

    /// <summary>The range kernel's field that holds where a state buffer's run starts.</summary>
    private static string RangeField(Buffer b) => "Optim" + char.ToUpperInvariant(b.Name[0]) + b.Name.Substring(1) + "At";
}
