using System.Globalization;
using System.Linq;
using Optim.Generators.Common;
using Optim.Generators.Lowering;
using Optim.Generators.Model;

namespace Optim.Generators.Emit;

/// <summary>
/// The members of Optim.IShardableOptimizer (ZeRO stage 1): a model of one rule can hold its optimizer state for a slice
/// [start, end) of the parameters only, and its Step() then updates that slice only. An element-wise rule's slice is an
/// element range on 64-byte lines; a per-tensor rule's (LAMB, Adafactor, Muon) is a run of whole tensors, whose state
/// sections move (fields hold where each starts). Other models get the same members, with ShardOptimizerState throwing
/// NotSupportedException that names why.
/// </summary>
internal static class ShardWriter
{
    /// <summary>Whether the model shards by whole tensors: its per-tensor methods find state sections through fields.</summary>
    public static bool MovesSections(ModelLayout layout) => Unsupported(layout) is null && layout.Groups[0].Rule.IsPerTensor;

    /// <summary>
    /// The field that holds where a state buffer's section starts in the arena, less the state of the tensors before the
    /// held ones: a tensor's part of the buffer is at the field plus its offset in the whole model's buffer.
    /// </summary>
    public static string BaseField(GroupLayout group, Buffer buffer) =>
        "_optim" + group.Suffix + char.ToUpperInvariant(buffer.Name[0]) + buffer.Name.Substring(1) + "At";

    /// <summary>Why the model cannot shard its state by element ranges, or null when it can.</summary>
    public static string? Unsupported(ModelLayout layout)
    {
        ModelSpec model = layout.Model;
        GroupLayout group = layout.Groups[0];
        if (layout.HasGroups)
        {
            return "it has parameter groups (each group keeps its own state sections); only a model of one [Optimize] rule shards its state";
        }

        if (StepWriter.SplitsLoop(layout, group))
        {
            return "its Step() splits the whole arena between threads; set Threads = 1 to shard its state";
        }

        if (group.Rule.IsPerTensor && model.IsParallel)
        {
            return "its Step() shares its tensors between threads; set Threads = 1 to shard its state";
        }

        if (group.Rule.State.Any(b => b.View.Length > 0))
        {
            return $"{group.Rule.Title}'s state views ({string.Join(", ", group.Rule.State.Where(b => b.View.Length > 0).Select(b => b.View))}) read the whole state buffer";
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
        bool whole = layout.Groups[0].Rule.IsPerTensor && !layout.HasGroups;
        w.Line(whole
            ? "/// <summary>A slice of this model's state is a run of whole tensors: its rule needs per-tensor sums or matrix routines.</summary>"
            : "/// <summary>Slices of this model's state are element ranges on 64-byte lines.</summary>");
        w.Line(gc);
        w.Line($"public bool ShardsWholeTensors => {(whole ? "true" : "false")};");
        w.Line();
        w.Line("/// <summary>Where each tensor starts in <see cref=\"Parameters\"/>, in declaration order, then ParameterCount.</summary>");
        w.Line(gc);
        w.Line("public global::System.ReadOnlySpan<int> TensorBoundaries => OptimTensorBoundaries;");
        w.Line();
        w.Line(gc);
        w.Line($"private static readonly int[] OptimTensorBoundaries = {{ {string.Join(", ", model.Parameters.Select(p => p.Offset.ToString(CultureInfo.InvariantCulture)))}, ParameterCount }};");
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

        if (whole)
        {
            WriteWholeTensors(w, layout);
            return;
        }

        WriteSliceFields(w);
        WriteSliceProperties(w, t);
        w.Line("/// <summary>");
        w.Line("/// Keeps the optimizer state of parameters [<paramref name=\"start\"/>, <paramref name=\"end\"/>) only (ZeRO stage 1): the");
        w.Line("/// storage is reallocated with state sections for the slice, and <see cref=\"Step\"/> then updates that slice only.");
        w.Line("/// State of elements in both the old and the new slice is kept; elements new to this model start at zero.");
        w.Line("/// (0, ParameterCount) restores the ordinary model. A sharded model refuses checkpoints and frozen parameters.");
        w.Line("/// </summary>");
        w.Line($"/// <exception cref=\"global::System.ArgumentOutOfRangeException\">The slice is empty, outside the parameters, or not on multiples of {line} elements (its end may be ParameterCount).</exception>");
        w.Line(gc);
        w.Open("public void ShardOptimizerState(int start, int end)");
        w.Line($"global::Optim.OptimizerStateShards.Validate(start, end, ParameterCount, {line}, \"{owner}\");");
        w.Line($"_optimArena = global::Optim.OptimizerStateShards.Reallocate(_optimArena, OptimStride, {buffers}, {line}, _optimShardStart, _optimShardEnd, start, end, \"{owner}\");");
        w.Line("_optimShardStart = start;");
        w.Line("_optimShardEnd = end;");
        w.Line("_optimSharded = end - start != ParameterCount;");
        w.Close();
        w.Line();
        w.Line("/// <summary>State buffer <paramref name=\"buffer\"/> over the elements this model holds (element i is parameter ShardStart + i).</summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\"><paramref name=\"buffer\"/> is not a state buffer's index.</exception>");
        w.Line(gc);
        w.Open($"public global::System.Span<{t}> OptimizerState(int buffer)");
        w.Open($"if ((uint)buffer >= {buffers}u)");
        w.Line($"throw new global::System.ArgumentOutOfRangeException(nameof(buffer), buffer, \"{owner} keeps {buffers} state buffer(s).\");");
        w.Close();
        w.Line();
        w.Line("int length = _optimShardEnd - _optimShardStart;");
        w.Line($"return _optimArena.Slice(2 * OptimStride + buffer * global::Optim.OptimizerStateShards.SectionLength(length, {line}), length);");
        w.Close();
        w.Line();
        WriteGradientHooks(w, layout);
        WriteThrowIfSharded(w, owner);
    }

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

    /// <summary>The members of a model whose rule shards by whole tensors.</summary>
    private static void WriteWholeTensors(SourceWriter w, ModelLayout layout)
    {
        ModelSpec model = layout.Model;
        GroupLayout group = layout.Groups[0];
        string t = model.Element.Keyword();
        string line = model.Element.PerLine().ToString(CultureInfo.InvariantCulture);
        string owner = ModelEmitter.DisplayName(model);
        string gc = ModelEmitter.GeneratedCode;
        var state = group.Rule.State.ToList();
        WriteSliceFields(w);
        foreach (Buffer buffer in state)
        {
            w.Line($"/// <summary>Where the {ModelEmitter.Xml(buffer.Description)} section starts, less the state of tensors before the held ones (ShardOptimizerState moves it).</summary>");
            w.Line(gc);
            w.Line($"private int {BaseField(group, buffer)} = {group.SectionOffset(buffer).ToString(CultureInfo.InvariantCulture)};");
            w.Line();
        }

        w.Line("/// <summary>Each state buffer's elements per tensor, in declaration order (a per-row buffer has a matrix's rows).</summary>");
        w.Line(gc);
        w.Open("private static readonly int[][] OptimTensorStateLengths =");
        foreach (Buffer buffer in state)
        {
            w.Line($"new int[] {{ {string.Join(", ", model.Parameters.Select(p => GroupLayout.ExtentOf(buffer.Extent, p).ToString(CultureInfo.InvariantCulture)))} }}, // {buffer.Name}");
        }

        w.Close(";");
        w.Line();
        WriteSliceProperties(w, t);
        w.Line("/// <summary>");
        w.Line("/// Keeps the optimizer state of the whole tensors in [<paramref name=\"start\"/>, <paramref name=\"end\"/>) only (ZeRO stage 1):");
        w.Line("/// the storage is reallocated with state sections for those tensors, and <see cref=\"Step\"/> then updates them only.");
        w.Line("/// State of tensors in both the old and the new slice is kept; tensors new to this model start at zero.");
        w.Line("/// (0, ParameterCount) restores the ordinary model. A sharded model refuses checkpoints.");
        w.Line("/// </summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">The slice is empty, or does not start and end where tensors do (<see cref=\"TensorBoundaries\"/>).</exception>");
        w.Line(gc);
        w.Open("public void ShardOptimizerState(int start, int end)");
        w.Line($"global::System.Span<int> at = stackalloc int[{state.Count.ToString(CultureInfo.InvariantCulture)}];");
        w.Line($"_optimArena = global::Optim.OptimizerStateShards.ReallocateTensors(_optimArena, OptimStride, {line}, OptimTensorBoundaries, OptimTensorStateLengths, _optimShardStart, _optimShardEnd, start, end, at, \"{owner}\");");
        for (int b = 0; b < state.Count; b++)
        {
            w.Line($"{BaseField(group, state[b])} = at[{b.ToString(CultureInfo.InvariantCulture)}];");
        }

        w.Line("_optimShardStart = start;");
        w.Line("_optimShardEnd = end;");
        w.Line("_optimSharded = end - start != ParameterCount;");
        w.Close();
        w.Line();
        w.Line("/// <summary>State buffer <paramref name=\"buffer\"/> of the tensors this model holds, one after another.</summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\"><paramref name=\"buffer\"/> is not a state buffer's index.</exception>");
        w.Line(gc);
        w.Open($"public global::System.Span<{t}> OptimizerState(int buffer)");
        w.Open($"if ((uint)buffer >= {state.Count.ToString(CultureInfo.InvariantCulture)}u)");
        w.Line($"throw new global::System.ArgumentOutOfRangeException(nameof(buffer), buffer, \"{owner} keeps {state.Count.ToString(CultureInfo.InvariantCulture)} state buffer(s).\");");
        w.Close();
        w.Line();
        w.Line("var (before, held) = global::Optim.OptimizerStateShards.TensorState(OptimTensorBoundaries, OptimTensorStateLengths[buffer], _optimShardStart, _optimShardEnd);");
        w.Line(state.Count == 0
            ? "int at = 0;"
            : $"int at = buffer switch {{ {string.Join(", ", state.Select((b, i) => $"{(i == state.Count - 1 ? "_" : i.ToString(CultureInfo.InvariantCulture))} => {BaseField(group, b)}"))} }};");
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
            w.Line("double squares = global::Optim.GradientNorm.SumOfSquares(g);");
            w.Line("sum += squares;");
            w.Line("finite &= double.IsFinite(squares) || global::Optim.GradientNorm.AllFinite(g);");
            w.Close();
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
