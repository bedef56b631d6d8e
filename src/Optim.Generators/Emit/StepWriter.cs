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
internal static class StepWriter
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

    /// <summary>
    /// The gradient services before the update: one read of the whole gradient section for ‖g‖ (every group), then the
    /// non-finite skip and the clip coefficient.
    /// </summary>
    private static void WriteGradientServices(SourceWriter w, GradientServices services)
    {
        w.Line();
        w.Line("// ‖g‖ over every gradient of the model, in one read of the gradient section before the update.");
        w.Line("double _optimGradSquares = OptimGradientSquares(out bool _optimGradientsFinite);");
        w.Line("_optimLastGradNorm = global::System.Math.Sqrt(_optimGradSquares);");
        if (services.SkipNonFinite)
        {
            w.Open("if (!_optimGradientsFinite)");
            w.Line("// A NaN or infinite gradient: the step changes nothing but this count (optax's apply_if_finite).");
            w.Line("_optimSkippedSteps++;");
            w.Line("return;");
            w.Close();
        }

        if (services.Clips)
        {
            w.Line();
            w.Line($"// clip_grad_norm_(max_norm = {Literals.Double(services.ClipGradNorm)}): the update reads g·c, c = min(1, max_norm / (‖g‖ + 1e−6)).");
            w.Line($"double {Lowering.GradientClipping.CoefficientLocal} = global::Optim.GradientNorm.ClipCoefficient({Literals.Double(services.ClipGradNorm)}, _optimLastGradNorm);");
        }
    }

    /// <summary>LastGradNorm and SkippedSteps, with their fields, and the norm's pass.</summary>
    private static void WriteGradientServiceMembers(SourceWriter w, ModelLayout layout, GradientServices services)
    {
        ModelSpec model = layout.Model;
        string t = model.Element.Keyword();
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Σ g² over the gradients of the unfrozen parameters (GradientNorm.SumOfSquares: the same at every vector width),");
        w.Line("/// and whether they are all finite (checked again element by element only when the sum is not).");
        w.Line("/// </summary>");
        w.Line(ModelEmitter.GeneratedCode);
        w.Open("private double OptimGradientSquares(out bool finite)");
        if (ShardWriter.Unsupported(layout) is null)
        {
            ShardWriter.WriteGlobalSquares(w, layout);
        }

        w.Open("if (_optimFrozenParameterCount == 0)");
        w.Line($"global::System.ReadOnlySpan<{t}> all = _optimArena.Slice(OptimStride, ParameterCount);");
        w.Line(model.IsParallel
            ? $"double squares = _optimNormKernel.SumOfSquares(_optimArena, OptimStride, ParameterCount, maxThreads: {Threads(model)}); // split across threads, same bits"
            : "double squares = global::Optim.GradientNorm.SumOfSquares(all);");
        w.Line("finite = double.IsFinite(squares) || global::Optim.GradientNorm.AllFinite(all);");
        w.Line("return squares;");
        w.Close();
        w.Line();
        w.Line("// Frozen parameters' gradients are left out, as clip_grad_norm_ leaves out parameters without gradients.");
        w.Line("double sum = 0;");
        w.Line("finite = true;");
        foreach (ParameterSpec p in model.Parameters)
        {
            w.Open($"if (!{ModelEmitter.FrozenField(p)})");
            w.Line($"global::System.ReadOnlySpan<{t}> g = _optimArena.Slice(OptimStride + {p.Offset}, {p.Length}); // {p.Name}");
            w.Line("double squares = global::Optim.GradientNorm.SumOfSquares(g);");
            w.Line("sum += squares;");
            w.Line("finite &= double.IsFinite(squares) || global::Optim.GradientNorm.AllFinite(g);");
            w.Close();
        }

        w.Line("return sum;");
        w.Close();
        if (model.IsParallel)
        {
            w.Line();
            w.Line(ModelEmitter.GeneratedCode);
            w.Line($"private readonly global::Optim.GradientNormKernel<{t}> _optimNormKernel = new(ParameterCount);");
        }
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// The L2 norm of all the model's gradients as the last <see cref=\"Step\"/> found them, before any clipping (what");
        w.Line("/// <c>clip_grad_norm_</c> returns): NaN or ∞ if a gradient was; 0 before the first step.");
        w.Line("/// </summary>");
        w.Line(ModelEmitter.GeneratedCode);
        w.Line("public double LastGradNorm => _optimLastGradNorm;");
        w.Line();
        w.Line(ModelEmitter.GeneratedCode);
        w.Line("private double _optimLastGradNorm;");
        if (services.SkipNonFinite)
        {
            w.Line();
            w.Line("/// <summary>Steps skipped because a gradient was NaN or infinite (kept in checkpoints).</summary>");
            w.Line(ModelEmitter.GeneratedCode);
            w.Line("public long SkippedSteps => _optimSkippedSteps;");
            w.Line();
            w.Line(ModelEmitter.GeneratedCode);
            w.Line("private long _optimSkippedSteps;");
        }
    }

    /// <summary>The symbol test under which Step() checks that it is not running on two threads at once.</summary>
    private const string ConcurrencyCheckCondition = "#if DEBUG || OPTIM_CHECK_CONCURRENT_USE";

    /// <summary>
    /// Opens Step()'s concurrent-use check: compiled in the user's Debug builds (or with OPTIM_CHECK_CONCURRENT_USE),
    /// one Interlocked.Exchange on entry and a volatile write in a finally on exit; no lock, no allocation.
    /// </summary>
    private static void WriteConcurrencyCheckEnter(SourceWriter w, ModelSpec model)
    {
        w.Line(ConcurrencyCheckCondition);
        w.Line($"global::Optim.ConcurrentStepCheck.Enter(ref _optimStepping, \"{ModelEmitter.DisplayName(model)}\");");
        w.Line("try");
        w.Line("{");
        w.Line("#endif");
    }

    /// <summary>Closes what <see cref="WriteConcurrencyCheckEnter"/> opened.</summary>
    private static void WriteConcurrencyCheckExit(SourceWriter w)
    {
        w.Line(ConcurrencyCheckCondition);
        w.Line("}");
        w.Line("finally");
        w.Line("{");
        w.Line("    global::Optim.ConcurrentStepCheck.Exit(ref _optimStepping);");
        w.Line("}");
        w.Line("#endif");
    }

    /// <summary>The flag of the concurrent-use check (declared only where the check is compiled).</summary>
    private static void WriteConcurrencyCheckField(SourceWriter w)
    {
        w.Line();
        w.Line(ConcurrencyCheckCondition);
        w.Line("/// <summary>1 while a thread is inside <see cref=\"Step\"/> (Debug builds, or OPTIM_CHECK_CONCURRENT_USE): a second thread there throws.</summary>");
        w.Line(ModelEmitter.GeneratedCode);
        w.Line("private int _optimStepping;");
        w.Line("#endif");
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

    /// <summary>
    /// ZeRO stage 1: the group's loop over its part [from, to) of the slice [_optimShardStart, _optimShardEnd) only (group-
    /// local indices), each state section holding that part (element k of the group's buffer at its field plus k); split
    /// between threads as the unsharded loop is when the model is multi-threaded. The per-step scalars come from Step().
    /// </summary>
    private static void WriteShardStep(SourceWriter w, ModelLayout layout, GroupLayout group)
    {
        UpdateRule rule = group.Rule;
        if (rule.IsPerTensor)
        {
            WriteTensorShardStep(w, layout, group);
            return;
        }

        ModelSpec model = layout.Model;
        string t = model.Element.Keyword();
        var kernelScalars = rule.Scalars.Where(s => s.ToKernel).ToList();
        List<Buffer> used = KernelWriter.UsedBuffers(Buffers(rule), rule.Body.ToList(), new List<Reduction>());
        string first = group.Start.ToString(CultureInfo.InvariantCulture);
        string after = (group.Start + group.Count).ToString(CultureInfo.InvariantCulture);
        string args = string.Concat(kernelScalars.Select(s => ", " + s.Name));
        w.Line(ModelEmitter.GeneratedCode);
        w.Open($"private void OptimStepShard{group.Suffix}({string.Join(", ", kernelScalars.Select(s => $"{KernelType(s, model)} {s.Name}"))})");
        w.Line(layout.HasGroups
            ? $"// The group's elements [{first}, {after}) inside the slice, as indices into the group: [from, to)."
            : "// The slice's elements: [from, to).");
        w.Line(group.Start == 0 ? "int from = _optimShardStart;" : $"int from = global::System.Math.Max(_optimShardStart, {first}) - {first};");
        w.Line(group.Start == 0 && group.Count == model.ParameterCount ? "int to = _optimShardEnd;"
            : $"int to = global::System.Math.Min(_optimShardEnd, {after}){(group.Start == 0 ? "" : " - " + first)};");
        if (layout.HasGroups)
        {
            w.Open("if (from >= to)");
            w.Line("return;");
            w.Close();
        }

        w.Line();
        if (SplitsLoop(layout, group))
        {
            string kernel = "_optimRangeKernel" + group.Suffix;
            w.Line("// Large model: the slice's part is split across threads as the whole group is unsharded, each element updated alike.");
            WriteRangeKernelSetup(w, layout, group, kernelScalars, Sum(first, "from"), b => $"{ShardWriter.BaseField(group, b)} + from", "(nuint)(to - from)");
            w.Open("if (_optimFrozenParameterCount == 0)");
            w.Line($"global::Optim.StepWorkers.Run({kernel}, (nuint)(to - from), maxThreads: {Threads(model)});");
            w.Close();
            w.Open("else");
            w.Line("// Frozen parameters keep their values and state: each unfrozen one's part runs on this thread.");
            WriteShardFrozen(w, group, (lo, hi) => $"{kernel}.Run((nuint)({lo} - from), (nuint)({hi} - from));");
            w.Close();
            w.Close();
            return;
        }

        w.Line($"ref {t} origin = ref _optimArena.Origin;");
        foreach (Buffer b in used)
        {
            string offset = b.Name == UpdateRule.Param.Name ? first
                : b.Name == UpdateRule.Grad.Name ? Sum("OptimStride", first)
                : ShardWriter.BaseField(group, b);
            w.Line($"ref {t} {b.Name}0 = ref {At(offset)};");
        }

        string call = $"global::Optim.Generated.{ModelEmitter.KernelName}.Update{group.Suffix}({string.Join(", ", used.Select(b => $"ref {b.Name}0"))}";
        w.Open("if (_optimFrozenParameterCount == 0)");
        w.Line($"{call}, start: (nuint)from, end: (nuint)to, count: (nuint)to{args});");
        w.Close();
        w.Open("else");
        w.Line("// Frozen parameters keep their values and state: the loop runs over each unfrozen one's part of the slice.");
        WriteShardFrozen(w, group, (lo, hi) => $"{call}, start: (nuint){lo}, end: (nuint){hi}, count: (nuint){hi}{args});");
        w.Close();
        w.Close();
    }

    /// <summary>One statement per unfrozen parameter of the group over its part [lo, hi) of [from, to), if any.</summary>
    private static void WriteShardFrozen(SourceWriter w, GroupLayout group, System.Func<string, string, string> range)
    {
        foreach (ParameterSpec p in group.Parameters)
        {
            string local = (p.Offset - group.Start).ToString(CultureInfo.InvariantCulture);
            string end = (p.Offset - group.Start + p.Length).ToString(CultureInfo.InvariantCulture);
            w.Open($"if (!{ModelEmitter.FrozenField(p)})");
            w.Line($"int lo = global::System.Math.Max(from, {local}), hi = global::System.Math.Min(to, {end}); // {p.Name}");
            w.Open("if (lo < hi)");
            w.Line(range("lo", "hi"));
            w.Close();
            w.Close();
        }
    }

    /// <summary>
    /// ZeRO stage 1 by whole tensors: the calls of the tensors inside [_optimShardStart, _optimShardEnd) only, the same as
    /// Step()'s; their state sections start where the section fields say.
    /// </summary>
    private static void WriteTensorShardStep(SourceWriter w, ModelLayout layout, GroupLayout group)
    {
        List<(string Type, string Name)> arguments = TensorArguments(layout.Model, group.Rule);
        bool matrices = UsesMatrixShape(group.Rule);
        w.Line(ModelEmitter.GeneratedCode);
        w.Open($"private void OptimStepShard{group.Suffix}({string.Join(", ", arguments.Select(a => $"{a.Type} {a.Name}"))})");
        w.Line("// The tensors this model holds state for: a run of whole tensors [start, end).");
        w.Line("int start = _optimShardStart;");
        w.Line("int end = _optimShardEnd;");
        foreach (ParameterSpec p in group.Parameters)
        {
            w.Open($"if (!{ModelEmitter.FrozenField(p)} && start <= {p.Offset.ToString(CultureInfo.InvariantCulture)} && {(p.Offset + p.Length).ToString(CultureInfo.InvariantCulture)} <= end)");
            w.Line(TensorCallLine(group, p, matrices, arguments, ""));
            w.Close();
        }

        w.Close();
    }

    /// <summary>
    /// The group's loop as one statement while no parameter is frozen, else one statement per unfrozen parameter over its
    /// group-local range [start, end).
    /// </summary>
    private static void WriteUnlessFrozen(SourceWriter w, GroupLayout group, string whole, string how, System.Func<int, int, string> range)
    {
        w.Open("if (_optimFrozenParameterCount == 0)");
        w.Line(whole);
        w.Close();
        w.Open("else");
        w.Line($"// Frozen parameters keep their values and state: {how}.");
        foreach (ParameterSpec p in group.Parameters)
        {
            int local = p.Offset - group.Start;
            w.Open($"if (!{ModelEmitter.FrozenField(p)})");
            w.Line($"{range(local, local + p.Length)} // {p.Name}");
            w.Close();
        }

        w.Close();
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

    /// <summary>
    /// The range kernel's arena, run and scalars for this step: the run's first parameter at <paramref name="offset"/>, each
    /// state buffer's first element at <paramref name="state"/>, <paramref name="count"/> elements (C# expressions).
    /// </summary>
    private static void WriteRangeKernelSetup(SourceWriter w, ModelLayout layout, GroupLayout group, List<StepScalar> kernelScalars, string offset, System.Func<Buffer, string> state, string count)
    {
        string kernel = "_optimRangeKernel" + group.Suffix;
        List<Buffer> used = KernelWriter.UsedBuffers(Buffers(group.Rule), group.Rule.Body.ToList(), new List<Reduction>());
        w.Line($"{kernel}.Arena = _optimArena;");
        w.Line($"{kernel}.OptimOffset = {offset};");
        foreach (Buffer b in used.Where(IsState))
        {
            w.Line($"{kernel}.{RangeField(b)} = {state(b)};");
        }

        w.Line($"{kernel}.OptimCount = {count};");
        foreach (StepScalar scalar in kernelScalars)
        {
            w.Line($"{kernel}.{scalar.Name} = {scalar.Name};");
        }
    }

    /// <summary>
    /// The slice test a per-tensor group whose tensors threads share adds to each tensor's call (trivially true unsharded):
    /// empty for a model that cannot shard.
    /// </summary>
    private static string Held(ModelLayout layout, ParameterSpec p, string owner) =>
        ShardWriter.Unsupported(layout) is not null ? ""
        : $" && {owner}_optimShardStart <= {p.Offset.ToString(CultureInfo.InvariantCulture)} && {(p.Offset + p.Length).ToString(CultureInfo.InvariantCulture)} <= {owner}_optimShardEnd";

    /// <summary>The object StepWorkers runs on each thread's slice; created with the model, updated every step.</summary>
    private static void WriteRangeKernel(SourceWriter w, ModelLayout layout, GroupLayout group)
    {
        string t = layout.Model.Element.Keyword();
        var kernelScalars = group.Rule.Scalars.Where(s => s.ToKernel).ToList();
        List<Buffer> used = KernelWriter.UsedBuffers(Buffers(group.Rule), group.Rule.Body.ToList(), new List<Reduction>());
        w.Line(ModelEmitter.GeneratedCode);
        w.Line($"private readonly OptimRangeKernel{group.Suffix} _optimRangeKernel{group.Suffix} = new();");
        w.Line();
        w.Line($"/// <summary>This step's arena and scalars, for the threads that share the loop{(layout.HasGroups ? $" of group {group.Index}" : "")}.</summary>");
        w.Line(ModelEmitter.GeneratedCode);
        w.Open($"private sealed class OptimRangeKernel{group.Suffix} : global::Optim.RangeKernel");
        w.Line($"public global::Optim.Arena<{t}> Arena;");
        w.Line("/// <summary>Where the run's first parameter sits (its gradient is OptimStride further).</summary>");
        w.Line("public int OptimOffset;");
        foreach (Buffer b in used.Where(IsState))
        {
            w.Line($"/// <summary>Where the run's first element of the {ModelEmitter.Xml(b.Description)} sits.</summary>");
            w.Line($"public int {RangeField(b)};");
        }

        w.Line("/// <summary>Elements in the run (the group's, or its part of a sharded model's slice).</summary>");
        w.Line("public nuint OptimCount;");
        foreach (StepScalar scalar in kernelScalars)
        {
            w.Line($"public {KernelType(scalar, layout.Model)} {scalar.Name};");
        }

        w.Line();
        string args = string.Concat(kernelScalars.Select(s => ", " + s.Name));
        w.Open("public override void Run(nuint start, nuint end)");
        w.Line($"ref {t} origin = ref Arena.Origin;");
        string references = string.Join(", ", used.Select(b => "ref " + At(
            b.Name == UpdateRule.Param.Name ? "OptimOffset" : b.Name == UpdateRule.Grad.Name ? "OptimStride + OptimOffset" : RangeField(b))));
        w.Line($"global::Optim.Generated.{ModelEmitter.KernelName}.Update{group.Suffix}({references}, start, end, count: OptimCount{args});");
        w.Close();
        w.Close();
    }

    /// <summary>The C# type of a scalar passed to the element loop: the element type, or bool for a per-step condition.</summary>
    public static string KernelType(StepScalar scalar, ModelSpec model) =>
        scalar.Value.IsCondition ? "bool" : scalar.Value.Kind == ExprKind.WideCode ? "double" : model.Element.Keyword();

    /// <summary>The per-step and per-tensor scalars a pass reads, in declaration order, as (C# type, name).</summary>
    public static List<(string Type, string Name)> PassScalars(ModelSpec model, UpdateRule rule, ElementPass pass)
    {
        var read = new HashSet<string>(pass.Body.Select(s => s.Value).Concat(pass.Reductions.Select(r => r.Value))
            .SelectMany(e => e.Nodes()).Where(n => n.Kind == ExprKind.Scalar).Select(n => n.Name));
        return rule.Scalars.Concat(rule.TensorPhases.OfType<TensorScalars>().SelectMany(p => p.Scalars))
            .Where(s => s.ToKernel && read.Contains(s.Name))
            .Select(s => (KernelType(s, model), s.Name))
            .ToList();
    }

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

    private static string Title(ModelLayout layout) => string.Join(" + ", layout.Groups.Select(g => $"{g.Rule.Title} ({g.Rule.Reference})"));

    /// <summary>The update rule in PyTorch's math notation, one line per formula; a block per group when there are several.</summary>
    private static List<string> MathLines(ModelLayout layout)
    {
        var lines = new List<string> { "t ← t + 1" };
        foreach (GroupLayout group in layout.Groups)
        {
            string indent = "";
            if (layout.HasGroups)
            {
                string scale = group.LrScale == 1 ? "" : $", γ = {Literals.Double(group.LrScale)}·LearningRate";
                lines.Add($"group {group.Index}: {group.Rule.Title} for {string.Join(", ", group.Parameters.Select(p => p.Name))}{scale}");
                indent = "    ";
            }

            lines.AddRange(RuleLines(layout.Model, group.Rule).Select(line => indent + line));
        }

        return lines;
    }

    private static IEnumerable<string> RuleLines(ModelSpec model, UpdateRule rule)
    {
        var intermediates = rule.Scalars.Where(s => !s.ToKernel).ToDictionary(s => s.Name);
        var math = new ExprWriter(ExprMode.Math, model.Element, intermediates: intermediates);
        foreach (StepAccumulator accumulator in rule.Accumulators)
        {
            yield return $"{accumulator.Symbol} ← {math.Write(accumulator.Update)}   (starts at {Literals.Double(StepAccumulator.Initial)})";
        }

        foreach (StepScalar scalar in rule.Scalars.Where(s => s.ToKernel))
        {
            string formula = math.Write(scalar.Value);
            if (formula != scalar.Symbol)
            {
                yield return $"{scalar.Symbol} = {formula}";
            }
        }

        if (!rule.IsPerTensor)
        {
            yield return "for every element:";
            foreach (Statement statement in rule.Body)
            {
                yield return $"    {statement.Symbol} ← {math.Write(statement.Value)}";
            }

            yield break;
        }

        yield return "for every tensor (n elements):";
        foreach (Phase phase in rule.TensorPhases)
        {
            if (phase is ElementPass pass)
            {
                // A pass that only sums is its sums (Adafactor's ‖θ‖²).
                if (pass.Body.Count > 0)
                {
                    yield return $"    for every element{For(pass)}:";
                }

                foreach (Statement statement in pass.Body)
                {
                    yield return $"        {statement.Symbol} ← {math.Write(statement.Value)}";
                }

                foreach (Reduction reduction in pass.Reductions)
                {
                    yield return $"    {reduction.Symbol} = Σ {math.Write(reduction.Value)}{(pass.Body.Count == 0 ? For(pass) : "")}";
                }
            }
            else if (phase is TensorScalars scalars)
            {
                foreach (StepScalar scalar in scalars.Scalars)
                {
                    yield return $"    {scalar.Symbol} = {math.Write(scalar.Value)}{For(scalars)}";
                }
            }
            else if (phase is TensorCall call)
            {
                yield return $"    {call.Math}{For(call)}";
            }
        }
    }
}
