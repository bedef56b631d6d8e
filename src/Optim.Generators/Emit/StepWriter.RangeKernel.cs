using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Optim.Generators.Common;
using Optim.Generators.Lowering;
using Optim.Generators.Model;

namespace Optim.Generators.Emit;

/// <summary>The element-wise range kernel: its setup in Step(), the kernel method it calls, and the scalars it takes.</summary>
internal static partial class StepWriter
{
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
}
