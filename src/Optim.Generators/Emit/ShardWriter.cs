using System.Globalization;
using System.Linq;
using Optim.Generators.Common;
using Optim.Generators.Lowering;
using Optim.Generators.Model;

namespace Optim.Generators.Emit;

/// <summary>
/// The members of Optim.IShardableOptimizer (ZeRO stage 1): a model can hold its optimizer state for a slice [start, end)
/// of the parameters only, and its Step() then updates that slice only. Each parameter group holds the state of its part
/// of the slice: an element-wise rule's group an element range, a per-tensor rule's (LAMB, Adafactor, Muon) group whole
/// tensors. A model with no per-tensor group takes slices on 64-byte lines; a model with one takes runs of whole tensors
/// (of every group: the slice may not cut the per-tensor group's tensors, and one rule for all cuts keeps Partition
/// simple). Every state section moves when sharded: a field per buffer holds where element 0 of the whole model's buffer
/// would be. A multi-threaded Step() splits the slice (element-wise groups) or shares the held tensors (per-tensor groups)
/// between its threads. Models whose rule exposes state views (ASGD) get the same members, with ShardOptimizerState
/// throwing NotSupportedException that names why.
/// </summary>
internal static class ShardWriter
{
    /// <summary>Whether the model can shard: its per-tensor methods then find state sections through fields.</summary>
    public static bool MovesSections(ModelLayout layout) => Unsupported(layout) is null;

    /// <summary>Whether slices must be runs of whole tensors: some group's rule needs per-tensor sums or matrix routines.</summary>
    public static bool ShardsWholeTensors(ModelLayout layout) => layout.Groups.Any(g => g.Rule.IsPerTensor);

    /// <summary>
    /// The field that holds where a state buffer's section starts in the arena, less the state of the elements (or
    /// tensors) before the held ones: element k of the group's whole buffer is at the field plus k.
    /// </summary>
    public static string BaseField(GroupLayout group, Buffer buffer) =>
        "_optim" + group.Suffix + char.ToUpperInvariant(buffer.Name[0]) + buffer.Name.Substring(1) + "At";

    /// <summary>Why the model cannot shard its state, or null when it can.</summary>
    public static string? Unsupported(ModelLayout layout)
    {
        foreach (GroupLayout group in layout.Groups)
        {
            if (group.Rule.State.Any(b => b.View.Length > 0))
            {
                return $"{group.Rule.Title}'s state views ({string.Join(", ", group.Rule.State.Where(b => b.View.Length > 0).Select(b => b.View))}) read the whole state buffer";
            }

            if (!group.Rule.IsPerTensor && group.Rule.State.Any(b => b.Extent != Extent.Elements))
            {
                // No element-wise rule keeps per-row or per-column state; were one to, its slices could not be cut by elements.
                return $"{group.Rule.Title} keeps per-row or per-column state in an element-wise loop";
            }
        }

        return null;
    }

    /// <summary>The fields, properties and methods.</summary>
    public static void Write(SourceWriter w, ModelLayout layout)
    {
        ModelSpec model = layout.Model;
        string t = model.Element.Keyword();
        string? reason = Unsupported(layout);
        int buffers = layout.Groups.Sum(g => g.Rule.State.Count);
        string line = model.Element.PerLine().ToString(CultureInfo.InvariantCulture);
        string owner = ModelEmitter.DisplayName(model);
        string gc = ModelEmitter.GeneratedCode;

        w.Line("/// <summary>Slices of the optimizer state start on multiples of this many elements (one 64-byte line).</summary>");
        w.Line(gc);
        w.Line($"public int ShardAlignment => {line};");
        w.Line();
        w.Line("/// <summary>Number of state buffers the rule keeps per element.</summary>");
        w.Line(gc);
        w.Line($"public int OptimizerStateBuffers => {buffers};");
        w.Line();
        bool whole = ShardsWholeTensors(layout);
        w.Line(!whole ? "/// <summary>Slices of this model's state are element ranges on 64-byte lines.</summary>"
            : layout.HasGroups ? "/// <summary>A slice of this model's state is a run of whole tensors: a parameter group's rule needs per-tensor sums or matrix routines.</summary>"
            : "/// <summary>A slice of this model's state is a run of whole tensors: its rule needs per-tensor sums or matrix routines.</summary>");
        w.Line(gc);
        w.Line($"public bool ShardsWholeTensors => {(whole ? "true" : "false")};");
        w.Line();
        w.Line(layout.HasGroups
            ? "/// <summary>Where each tensor starts in <see cref=\"Parameters\"/>, group by group (declaration order within a group), then ParameterCount.</summary>"
            : "/// <summary>Where each tensor starts in <see cref=\"Parameters\"/>, in declaration order, then ParameterCount.</summary>");
        w.Line(gc);
        w.Line("public global::System.ReadOnlySpan<int> TensorBoundaries => OptimTensorBoundaries;");
        w.Line();
        w.Line(gc);
        w.Line($"private static readonly int[] OptimTensorBoundaries = {{ {string.Join(", ", Tensors(model).Select(p => p.Offset.ToString(CultureInfo.InvariantCulture)))}, ParameterCount }};");
        w.Line();
        bool services = model.Services is { Any: true };
        w.Line(services
            ? "/// <summary>Step() clips by, or skips on, the norm of every gradient: sharded, it must be handed the whole gradient's Σ g² (SetGlobalGradientSquares).</summary>"
            : "/// <summary>Step() needs no gradient norm.</summary>");
        w.Line(gc);
        w.Line($"public bool NeedsGlobalGradientNorm => {(services ? "true" : "false")};");
        w.Line();
        if (reason is not null)
        {
            w.Line("/// <summary>First element whose optimizer state this model holds: this model is never sharded.</summary>");
            w.Line(gc);
            w.Line("public int ShardStart => 0;");
            w.Line();
            w.Line("/// <summary>One past the last element whose optimizer state this model holds: this model is never sharded.</summary>");
            w.Line(gc);
            w.Line("public int ShardEnd => ParameterCount;");
            w.Line();
            w.Line("/// <summary>Bytes allocated for optimizer state.</summary>");
            w.Line(gc);
            w.Line($"public long OptimizerStateBytes => {((long)(layout.ArenaLength - 2 * layout.Stride) * (64 / model.Element.PerLine())).ToString(CultureInfo.InvariantCulture)}L;");
            w.Line();
            w.Line("/// <summary>Not supported by this model: the exception says why.</summary>");
            w.Line("/// <exception cref=\"global::System.NotSupportedException\">Always.</exception>");
            w.Line(gc);
            w.Line($"public void ShardOptimizerState(int start, int end) => throw new global::System.NotSupportedException(\"{owner} cannot shard its optimizer state: {reason}.\");");
            w.Line();
            w.Line("/// <summary>Not supported by this model: the exception says why.</summary>");
            w.Line("/// <exception cref=\"global::System.NotSupportedException\">Always.</exception>");
            w.Line(gc);
            w.Line($"public global::System.Span<{t}> OptimizerState(int buffer) => throw new global::System.NotSupportedException(\"{owner} cannot shard its optimizer state: {reason}.\");");
            w.Line();
            w.Line("/// <summary>Not supported by this model: the exception says why.</summary>");
            w.Line("/// <exception cref=\"global::System.NotSupportedException\">Always.</exception>");
            w.Line(gc);
            w.Line($"public double ShardGradientSquares(out bool finite) => throw new global::System.NotSupportedException(\"{owner} cannot shard its optimizer state: {reason}.\");");
            w.Line();
            w.Line("/// <summary>Not supported by this model: the exception says why.</summary>");
            w.Line("/// <exception cref=\"global::System.NotSupportedException\">Always.</exception>");
            w.Line(gc);
            w.Line($"public void SetGlobalGradientSquares(double squares, bool finite) => throw new global::System.NotSupportedException(\"{owner} cannot shard its optimizer state: {reason}.\");");
            return;
        }

        WriteSections(w, layout);
    }

    /// <summary>The tensors in the order they sit in the parameter section (group by group).</summary>
    public static System.Collections.Generic.List<ParameterSpec> Tensors(ModelSpec model) => model.Parameters.OrderBy(p => p.Offset).ToList();

    /// <summary>The slice's fields.</summary>
    private static void WriteSliceFields(SourceWriter w)
    {
        string gc = ModelEmitter.GeneratedCode;
        w.Line(gc);
        w.Line("private bool _optimSharded;");
        w.Line();
        w.Line(gc);
        w.Line("private int _optimShardStart;");
        w.Line();
        w.Line(gc);
        w.Line("private int _optimShardEnd = ParameterCount;");
        w.Line();
    }

    /// <summary>ShardStart, ShardEnd and OptimizerStateBytes.</summary>
    private static void WriteSliceProperties(SourceWriter w, string t)
    {
        string gc = ModelEmitter.GeneratedCode;
        w.Line("/// <summary>First element whose optimizer state this model holds (0 unless sharded).</summary>");
        w.Line(gc);
        w.Line("public int ShardStart => _optimShardStart;");
        w.Line();
        w.Line("/// <summary>One past the last element whose optimizer state this model holds (ParameterCount unless sharded).</summary>");
        w.Line(gc);
        w.Line("public int ShardEnd => _optimShardEnd;");
        w.Line();
        w.Line("/// <summary>Bytes allocated for optimizer state (every state section, padding included).</summary>");
        w.Line(gc);
        w.Line($"public long OptimizerStateBytes => (long)(_optimArena.Length - 2 * OptimStride) * sizeof({t});");
        w.Line();
    }

    /// <summary>The check that checkpoints call.</summary>
    private static void WriteThrowIfSharded(SourceWriter w, string owner)
    {
        w.Line(ModelEmitter.GeneratedCode);
        w.Open("private void OptimThrowIfSharded(string what)");
        w.Open("if (_optimSharded)");
        w.Line($"throw new global::System.InvalidOperationException($\"{owner} holds the optimizer state of parameters [{{_optimShardStart}}, {{_optimShardEnd}}) only and cannot {{what}}: gather the state first (DataParallel's checkpoints do), or call ShardOptimizerState(0, ParameterCount).\");");
        w.Close();
        w.Close();
    }

    /// <summary>
    /// The members of a model that shards: a field per state buffer (every group's) that sharding moves, each buffer's
    /// elements per tensor, ShardOptimizerState and OptimizerState.
    /// </summary>
    private static void WriteSections(SourceWriter w, ModelLayout layout)
    {
        ModelSpec model = layout.Model;
        string t = model.Element.Keyword();
        string line = model.Element.PerLine().ToString(CultureInfo.InvariantCulture);
        string owner = ModelEmitter.DisplayName(model);
        string gc = ModelEmitter.GeneratedCode;
        bool whole = ShardsWholeTensors(layout);
        var state = layout.Groups.SelectMany(g => g.Rule.State.Select(b => (Group: g, Buffer: b))).ToList();
        var tensors = Tensors(model);
        WriteSliceFields(w);
        foreach (var (group, buffer) in state)
        {
            string of = layout.HasGroups ? $"group {group.Index.ToString(CultureInfo.InvariantCulture)}'s " : "";
            string less = group.Rule.IsPerTensor ? "tensors" : "elements";
            w.Line($"/// <summary>Where {of}{ModelEmitter.Xml(buffer.Description)} section starts, less the state of {less} before the held ones (ShardOptimizerState moves it).</summary>");
            w.Line(gc);
            w.Line($"private int {BaseField(group, buffer)} = {group.SectionOffset(buffer).ToString(CultureInfo.InvariantCulture)};");
            w.Line();
        }

        w.Line(layout.HasGroups
            ? "/// <summary>Each state buffer's elements per tensor, in the order of TensorBoundaries (0 for another group's tensor; a per-row buffer has a matrix's rows).</summary>"
            : "/// <summary>Each state buffer's elements per tensor, in declaration order (a per-row buffer has a matrix's rows).</summary>");
        w.Line(gc);
        w.Open("private static readonly int[][] OptimTensorStateLengths =");
        foreach (var (group, buffer) in state)
        {
            string lengths = string.Join(", ", tensors.Select(p => (p.Group == group.Index ? GroupLayout.ExtentOf(buffer.Extent, p) : 0).ToString(CultureInfo.InvariantCulture)));
            w.Line($"new int[] {{ {lengths} }}, // {(layout.HasGroups ? $"group {group.Index.ToString(CultureInfo.InvariantCulture)}: " : "")}{buffer.Name}");
        }

        w.Close(";");
        w.Line();
        WriteSliceProperties(w, t);
        w.Line("/// <summary>");
        if (whole)
        {
            w.Line("/// Keeps the optimizer state of the whole tensors in [<paramref name=\"start\"/>, <paramref name=\"end\"/>) only (ZeRO stage 1):");
            w.Line("/// the storage is reallocated with state sections for those tensors, and <see cref=\"Step\"/> then updates them only.");
            w.Line("/// State of tensors in both the old and the new slice is kept; tensors new to this model start at zero.");
        }
        else
        {
            w.Line("/// Keeps the optimizer state of parameters [<paramref name=\"start\"/>, <paramref name=\"end\"/>) only (ZeRO stage 1): the");
            w.Line("/// storage is reallocated with state sections for the slice, and <see cref=\"Step\"/> then updates that slice only.");
            w.Line("/// State of elements in both the old and the new slice is kept; elements new to this model start at zero.");
        }

        if (layout.HasGroups)
        {
            w.Line("/// Each parameter group holds the state of its part of the slice only.");
        }

        w.Line("/// (0, ParameterCount) restores the ordinary model. A sharded model refuses checkpoints.");
        w.Line("/// </summary>");
        w.Line(whole
            ? "/// <exception cref=\"global::System.ArgumentOutOfRangeException\">The slice is empty, or does not start and end where tensors do (<see cref=\"TensorBoundaries\"/>).</exception>"
            : $"/// <exception cref=\"global::System.ArgumentOutOfRangeException\">The slice is empty, outside the parameters, or not on multiples of {line} elements (its end may be ParameterCount).</exception>");
        w.Line(gc);
        w.Open("public void ShardOptimizerState(int start, int end)");
        w.Line($"global::System.Span<int> at = stackalloc int[{state.Count.ToString(CultureInfo.InvariantCulture)}];");
        w.Line($"_optimArena = global::Optim.OptimizerStateShards.ReallocateSections(_optimArena, OptimStride, {line}, OptimTensorBoundaries, OptimTensorStateLengths, wholeTensors: {(whole ? "true" : "false")}, _optimShardStart, _optimShardEnd, start, end, at, \"{owner}\");");
        for (int b = 0; b < state.Count; b++)
        {
            w.Line($"{BaseField(state[b].Group, state[b].Buffer)} = at[{b.ToString(CultureInfo.InvariantCulture)}];");
        }

        w.Line("_optimShardStart = start;");
        w.Line("_optimShardEnd = end;");
        w.Line("_optimSharded = end - start != ParameterCount;");
        w.Close();
        w.Line();
        w.Line(whole
            ? "/// <summary>State buffer <paramref name=\"buffer\"/> of the tensors this model holds, one after another.</summary>"
            : layout.HasGroups
            ? "/// <summary>State buffer <paramref name=\"buffer\"/> over the elements of its group this model holds, in order.</summary>"
            : "/// <summary>State buffer <paramref name=\"buffer\"/> over the elements this model holds (element i is parameter ShardStart + i).</summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\"><paramref name=\"buffer\"/> is not a state buffer's index.</exception>");
        w.Line(gc);
        w.Open($"public global::System.Span<{t}> OptimizerState(int buffer)");
        w.Open($"if ((uint)buffer >= {state.Count.ToString(CultureInfo.InvariantCulture)}u)");
        w.Line($"throw new global::System.ArgumentOutOfRangeException(nameof(buffer), buffer, \"{owner} keeps {state.Count.ToString(CultureInfo.InvariantCulture)} state buffer(s).\");");
        w.Close();
        w.Line();
        w.Line("(int before, int held) = global::Optim.OptimizerStateShards.TensorState(OptimTensorBoundaries, OptimTensorStateLengths[buffer], _optimShardStart, _optimShardEnd);");
        w.Line(state.Count == 0
            ? "int at = 0;"
            : $"int at = buffer switch {{ {string.Join(", ", state.Select((b, i) => $"{(i == state.Count - 1 ? "_" : i.ToString(CultureInfo.InvariantCulture))} => {BaseField(b.Group, b.Buffer)}"))} }};");
        w.Line("return _optimArena.Slice(at + before, held);");
        w.Close();
        w.Line();
        WriteGradientHooks(w, layout);
        WriteThrowIfSharded(w, owner);
    }

    /// <summary>
    /// ShardGradientSquares (the slice's part of the gradient norm) and SetGlobalGradientSquares (the whole norm, for a
    /// model with gradient services, which its OptimGradientSquares takes while sharded).
    /// </summary>
    private static void WriteGradientHooks(SourceWriter w, ModelLayout layout)
    {
        ModelSpec model = layout.Model;
        string t = model.Element.Keyword();
        string gc = ModelEmitter.GeneratedCode;
        w.Line("/// <summary>Σ g² over the gradients of the parameters this model holds state for (frozen ones left out), and whether they are all finite.</summary>");
        w.Line(gc);
        w.Open("public double ShardGradientSquares(out bool finite)");
        w.Line("int start = _optimShardStart;");
        w.Line("int end = _optimShardEnd;");
        w.Open("if (_optimFrozenParameterCount == 0)");
        w.Line($"global::System.ReadOnlySpan<{t}> all = _optimArena.Slice(OptimStride + start, end - start);");
        w.Line("double squares = global::Optim.GradientNorm.SumOfSquares(all);");
        w.Line("finite = double.IsFinite(squares) || global::Optim.GradientNorm.AllFinite(all);");
        w.Line("return squares;");
        w.Close();
        w.Line();
        w.Line("// Frozen parameters' gradients are left out: each unfrozen parameter's part of the slice.");
        w.Line("double sum = 0;");
        w.Line("finite = true;");
        foreach (ParameterSpec p in model.Parameters)
        {
            string offset = p.Offset.ToString(CultureInfo.InvariantCulture);
            string after = (p.Offset + p.Length).ToString(CultureInfo.InvariantCulture);
            w.Open($"if (!{ModelEmitter.FrozenField(p)} && start < {after} && {offset} < end)");
            w.Line($"int from = global::System.Math.Max(start, {offset});");
            w.Line($"global::System.ReadOnlySpan<{t}> g = _optimArena.Slice(OptimStride + from, global::System.Math.Min(end, {after}) - from); // {p.Name}");
            StepWriter.WriteAddSquares(w);
        }

        w.Line("return sum;");
        w.Close();
        w.Line();
        if (model.Services is not { Any: true })
        {
            w.Line("/// <summary>Ignored: this model's Step() needs no gradient norm.</summary>");
            w.Line(gc);
            w.Open("public void SetGlobalGradientSquares(double squares, bool finite)");
            w.Close();
            w.Line();
            return;
        }

        w.Line("/// <summary>The whole gradient's Σ g² and finiteness, which the next sharded Step() uses in place of its own pass.</summary>");
        w.Line(gc);
        w.Open("public void SetGlobalGradientSquares(double squares, bool finite)");
        w.Line("_optimGlobalSquares = squares;");
        w.Line("_optimGlobalFinite = finite;");
        w.Line("_optimGlobalGiven = true;");
        w.Close();
        w.Line();
        w.Line(gc);
        w.Line("private double _optimGlobalSquares;");
        w.Line();
        w.Line(gc);
        w.Line("private bool _optimGlobalFinite;");
        w.Line();
        w.Line(gc);
        w.Line("private bool _optimGlobalGiven;");
        w.Line();
    }

    /// <summary>The sharded branch of OptimGradientSquares: the whole gradient's norm, handed over for this step.</summary>
    public static void WriteGlobalSquares(SourceWriter w, ModelLayout layout)
    {
        string owner = ModelEmitter.DisplayName(layout.Model);
        w.Open("if (_optimSharded)");
        w.Line("// Sharded (ZeRO-1): this model sees its slice only; the whole gradient's Σ g² was handed over for this step.");
        w.Open("if (!_optimGlobalGiven)");
        w.Line($"throw new global::System.InvalidOperationException(\"{owner} clips by, or skips on, the norm of every gradient, and its sharded Step() needs that norm handed over first: call SetGlobalGradientSquares before each Step() (DataParallel.Step does).\");");
        w.Close();
        w.Line();
        w.Line("_optimGlobalGiven = false;");
        w.Line("finite = _optimGlobalFinite;");
        w.Line("return _optimGlobalSquares;");
        w.Close();
        w.Line();
    }
}
