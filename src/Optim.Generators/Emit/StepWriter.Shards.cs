using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Optim.Generators.Common;
using Optim.Generators.Lowering;
using Optim.Generators.Model;

namespace Optim.Generators.Emit;

/// <summary>ZeRO stage 1: the step over a shard of the optimizer state, element-wise and per tensor, and the frozen parameters inside a shard.</summary>
internal static partial class StepWriter
{
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
}
