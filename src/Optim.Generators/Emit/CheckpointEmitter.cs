using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Optim.Generators.Common;
using Optim.Generators.Lowering;
using Optim.Generators.Model;

namespace Optim.Generators.Emit;

/// <summary>
/// Writes <c>SaveCheckpoint</c>/<c>LoadCheckpoint</c>: everything <c>Step()</c> depends on (each parameter, each
/// parameter's slice of every state buffer, the step count, the learning rate and every running product) in the
/// versioned format of <c>Optim.Training</c>. Loading validates the whole checkpoint, then the scalars, before it copies
/// anything, so a bad checkpoint leaves the model exactly as it was.
/// </summary>
internal static class CheckpointEmitter
{
    private const string Training = "global::Optim.Training";

    public static void Write(SourceWriter w, ModelLayout layout)
    {
        ModelSpec model = layout.Model;
        string t = model.Element.Keyword();
        List<(string Name, string Span, int Length)> sections = Sections(layout);
        List<(string Name, string Field, bool Whole)> scalars = Scalars(layout);

        w.Line("/// <summary>What a checkpoint of this model holds, and the layout hash that must match to load one.</summary>");
        w.Line(ModelEmitter.GeneratedCode);
        w.Line($"private static readonly {Training}.CheckpointLayout OptimCheckpointLayout = new(");
        w.Line($"    \"{ModelEmitter.DisplayName(model)}\",");
        w.Line($"    \"{string.Join("+", layout.Groups.Select(g => g.Rule.Title))}\",");
        w.Line($"    \"{Description(layout)}\",");
        w.Line($"    new {Training}.CheckpointSection[]");
        w.Line("    {");
        foreach (var (name, _, length) in sections)
        {
            w.Line($"        new(\"{name}\", {length.ToString(CultureInfo.InvariantCulture)}),");
        }

        w.Line("    },");
        w.Line($"    new {Training}.CheckpointScalar[]");
        w.Line("    {");
        foreach (var (name, _, whole) in scalars)
        {
            w.Line($"        new(\"{name}\", {Training}.CheckpointScalarKind.{(whole ? "WholeNumber" : "RealNumber")}),");
        }

        w.Line("    });");
        w.Line();

        w.Line("/// <summary>");
        w.Line("/// Writes everything <see cref=\"Step\"/> depends on to <paramref name=\"stream\"/> (format: docs/checkpoints.md): the");
        w.Line("/// parameters, the optimizer state, the step count, the learning rate and the running products. Resuming from it");
        w.Line("/// continues training bit for bit as if it had never stopped.");
        w.Line("/// </summary>");
        w.Line(ModelEmitter.GeneratedCode);
        w.Open("public void SaveCheckpoint(global::System.IO.Stream stream)");
        w.Line($"using {Training}.CheckpointWriter<{t}> writer = new(stream, OptimCheckpointLayout);");
        w.Line("OptimWriteCheckpoint(writer);");
        w.Close();
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Saves a checkpoint to <paramref name=\"path\"/> atomically: written to a temporary file in the same folder, flushed to");
        w.Line("/// the disk and renamed over the target, so a crash mid-save leaves the previous checkpoint intact.");
        w.Line("/// </summary>");
        w.Line(ModelEmitter.GeneratedCode);
        w.Open("public void SaveCheckpoint(string path)");
        w.Line($"using {Training}.CheckpointWriter<{t}> writer = new(path, OptimCheckpointLayout);");
        w.Line("OptimWriteCheckpoint(writer);");
        w.Close();
        w.Line();
        w.Line(ModelEmitter.GeneratedCode);
        w.Open($"private void OptimWriteCheckpoint({Training}.CheckpointWriter<{t}> writer)");
        foreach (var (name, span, _) in sections)
        {
            w.Line($"writer.WriteSection(\"{name}\", {span});");
        }

        foreach (var (name, field, _) in scalars)
        {
            w.Line($"writer.WriteScalar(\"{name}\", {field});");
        }

        w.Line("writer.Commit();");
        w.Close();
        w.Line();

        w.Line("/// <summary>");
        w.Line("/// Restores a checkpoint written by <see cref=\"SaveCheckpoint(global::System.IO.Stream)\"/>. The whole checkpoint is read and");
        w.Line("/// checked (format, checksum, model, element type, optimizer, layout, values) before anything is copied: on any error");
        w.Line("/// the model is left exactly as it was.");
        w.Line("/// </summary>");
        w.Line("/// <exception cref=\"global::System.IO.InvalidDataException\">The checkpoint is truncated, corrupted or not a checkpoint.</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">The checkpoint is of another model, optimizer or layout.</exception>");
        w.Line(ModelEmitter.GeneratedCode);
        w.Line($"public void LoadCheckpoint(global::System.IO.Stream stream) => OptimLoadCheckpoint({Training}.CheckpointReader.Read<{t}>(stream, OptimCheckpointLayout));");
        w.Line();
        w.Line("/// <summary>Restores the checkpoint at <paramref name=\"path\"/>; see <see cref=\"LoadCheckpoint(global::System.IO.Stream)\"/>.</summary>");
        w.Line("/// <exception cref=\"global::System.IO.InvalidDataException\">The checkpoint is truncated, corrupted or not a checkpoint.</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">The checkpoint is of another model, optimizer or layout.</exception>");
        w.Line(ModelEmitter.GeneratedCode);
        w.Line($"public void LoadCheckpoint(string path) => OptimLoadCheckpoint({Training}.CheckpointReader.Read<{t}>(path, OptimCheckpointLayout));");
        w.Line();
        w.Line(ModelEmitter.GeneratedCode);
        w.Open($"private void OptimLoadCheckpoint({Training}.CheckpointContents<{t}> checkpoint)");
        w.Line("// Scalars first, checked, so nothing is copied from a checkpoint that cannot be resumed.");
        w.Line("long step = checkpoint.GetInt64(\"step\");");
        var checks = new List<(string Condition, string Shown)> { ("step < 0", "step count ({step})") };
        foreach (var (name, _, whole) in scalars.Where(s => s.Whole && s.Name != "step"))
        {
            // Counts (the skipped steps) cannot be negative either: refused, not clamped.
            w.Line($"long {name} = checkpoint.GetInt64(\"{name}\");");
            checks.Add(($"{name} < 0", $"{name} ({{{name}}})"));
        }

        if (model.Schedule is null)
        {
            w.Line("double learningRate = checkpoint.GetDouble(\"learningRate\");");
            checks.Add(("!(learningRate >= 0.0 && learningRate <= double.MaxValue)", "learning rate ({learningRate})"));
        }

        w.Open($"if ({string.Join(" || ", checks.Select(c => c.Condition))})");
        string shown = checks.Count == 1 ? checks[0].Shown
            : string.Join(", ", checks.Take(checks.Count - 1).Select(c => c.Shown)) + " or " + checks[checks.Count - 1].Shown;
        w.Line($"throw new global::System.IO.InvalidDataException($\"The checkpoint's {shown} is invalid.\");");
        w.Close();
        w.Line();
        foreach (var (name, span, _) in sections)
        {
            w.Line($"checkpoint.CopySectionTo(\"{name}\", {span});");
        }

        foreach (var (name, field, whole) in scalars)
        {
            string value = name switch
            {
                "step" => "step",
                "learningRate" => "learningRate",
                _ when whole => name,
                _ => $"checkpoint.GetDouble(\"{name}\")",
            };
            w.Line($"{field} = {value};");
        }

        w.Close();
    }

    /// <summary>
    /// <c>SaveSafetensors</c>/<c>LoadSafetensors</c>: the parameters alone (no optimizer state), one tensor per property with
    /// its declared shape, in the .safetensors format PyTorch and the Python tools read and write.
    /// </summary>
    public static void WriteSafetensors(SourceWriter w, ModelLayout layout)
    {
        ModelSpec model = layout.Model;
        string t = model.Element.Keyword();
        string dtype = model.Element == ElementType.Float ? "F32" : "F64";
        w.Line("/// <summary>The tensors of a .safetensors file of this model: each parameter by name, dtype and shape.</summary>");
        w.Line(ModelEmitter.GeneratedCode);
        w.Line($"private static readonly {Training}.TensorSpec[] OptimTensors =");
        w.Line("[");
        foreach (ParameterSpec p in model.Parameters)
        {
            string shape = string.Concat(p.Shape.Select(d => ", " + d.ToString(CultureInfo.InvariantCulture)));
            w.Line($"    new(\"{p.Name.TrimStart('@')}\", {Training}.TensorDType.{dtype}{shape}),");
        }

        w.Line("];");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Writes the parameters (not the optimizer state) to <paramref name=\"path\"/> as a .safetensors file, one tensor per");
        w.Line("/// parameter named by its property, atomically (a temporary file renamed over the target).");
        w.Line("/// </summary>");
        w.Line(ModelEmitter.GeneratedCode);
        w.Open("public void SaveSafetensors(string path)");
        w.Line($"using {Training}.SafetensorsWriter writer = new(path, OptimTensors);");
        foreach (ParameterSpec p in model.Parameters)
        {
            w.Line($"writer.Write<{t}>(\"{p.Name.TrimStart('@')}\", {Slice(p)});");
        }

        w.Line("writer.Commit();");
        w.Close();
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Reads the parameters from a .safetensors file (e.g. exported from PyTorch): every tensor must be there with its");
        w.Line("/// name, dtype and shape, and the file well-formed, before any value is copied; otherwise the model is left as it was.");
        w.Line("/// </summary>");
        w.Line("/// <exception cref=\"global::System.IO.InvalidDataException\">The file is not a well-formed .safetensors file.</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">A tensor is missing, extra, or of another shape or dtype.</exception>");
        w.Line(ModelEmitter.GeneratedCode);
        w.Open("public void LoadSafetensors(string path)");
        w.Line($"{Training}.SafetensorsContents contents = {Training}.Safetensors.Read(path, OptimTensors);");
        foreach (ParameterSpec p in model.Parameters)
        {
            w.Line($"contents.CopyTo<{t}>(\"{p.Name.TrimStart('@')}\", {Slice(p)});");
        }

        w.Close();
    }

    public static string Slice(ParameterSpec p, string arena = "_optimArena") =>
        $"{arena}.Slice({p.Offset.ToString(CultureInfo.InvariantCulture)}, {p.Length.ToString(CultureInfo.InvariantCulture)})";

    /// <summary>Each parameter, then each parameter's slice of each of its group's state buffers (working space excluded).</summary>
    private static List<(string Name, string Span, int Length)> Sections(ModelLayout layout)
    {
        // The arena's slices rather than the properties, which the user may have marked [Obsolete].
        var sections = layout.Model.Parameters
            .Select(p => (p.Name.TrimStart('@'), Slice(p), p.Length))
            .ToList();
        foreach (GroupLayout group in layout.Groups)
        {
            foreach (Buffer buffer in group.Rule.State.Where(b => !b.Transient))
            {
                // A per-row or per-column buffer has that many values per tensor (a vector has no column section).
                foreach (ParameterSpec p in group.Parameters.Where(p => GroupLayout.ExtentOf(buffer.Extent, p) > 0))
                {
                    int offset = group.SectionOffset(buffer) + group.Local(buffer, p);
                    int length = GroupLayout.ExtentOf(buffer.Extent, p);
                    sections.Add(($"{p.Name.TrimStart('@')}.{buffer.Name}", $"_optimArena.Slice({offset.ToString(CultureInfo.InvariantCulture)}, {length.ToString(CultureInfo.InvariantCulture)})", length));
                }
            }
        }

        return sections;
    }

    /// <summary>The step count, the learning rate and every group's running products.</summary>
    private static List<(string Name, string Field, bool Whole)> Scalars(ModelLayout layout)
    {
        // A compiled schedule derives the rate from the step count, which is its whole position; otherwise the rate is state.
        var scalars = new List<(string, string, bool)> { ("step", "_optimStep", true) };
        if (layout.Model.Schedule is null)
        {
            scalars.Add(("learningRate", "_optimLearningRate", false));
        }

        if (layout.Model.Services is { Any: true } services)
        {
            scalars.Add(("lastGradNorm", "_optimLastGradNorm", false));
            if (services.SkipNonFinite)
            {
                scalars.Add(("skippedSteps", "_optimSkippedSteps", true));
            }
        }

        foreach (GroupLayout group in layout.Groups)
        {
            foreach (StepAccumulator accumulator in group.Rule.Accumulators)
            {
                string field = StepWriter.FieldName(group, accumulator);
                scalars.Add((field.Substring("_optim".Length), field, false));
            }
        }

        return scalars;
    }

    /// <summary>The layout the hash covers: element type, parameters (name, shape, group), each group's optimizer and state.</summary>
    private static string Description(ModelLayout layout)
    {
        ModelSpec model = layout.Model;
        string parameters = string.Join("; ", model.Parameters.Select(p => $"{p.Name.TrimStart('@')}[{string.Join(",", p.Shape)}] group {p.Group}"));
        string groups = string.Join("; ", layout.Groups.Select(g =>
            $"group {g.Index}: {g.Rule.Title} state {string.Join(",", g.Rule.State.Where(b => !b.Transient).Select(b => b.Extent == Extent.Elements ? b.Name : $"{b.Name}({b.Extent.ToString().ToLowerInvariant()})"))} products {string.Join(",", g.Rule.Accumulators.Select(a => a.Name))}"));
        return $"{model.Element.Keyword()}; {parameters}; {groups}";
    }
}
