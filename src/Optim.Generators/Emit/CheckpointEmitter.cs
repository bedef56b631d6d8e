using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Optim.Generators.Common;
using Optim.Generators.Lowering;
using Optim.Generators.Model;
using Optim.Generators.Model.Schedules;

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

        w.Line("    },");
        w.Line($"    new {Training}.CheckpointHyperparameter[]");
        w.Line("    {");
        foreach (var (name, value) in Hyperparameters(layout))
        {
            w.Line($"        new(\"{name}\", {Literals.Double(value)}),");
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
        if (ShardWriter.Unsupported(layout) is null)
        {
            w.Line("OptimThrowIfSharded(\"save a checkpoint\");");
        }

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
        if (ShardWriter.Unsupported(layout) is null)
        {
            w.Line("OptimThrowIfSharded(\"save a checkpoint\");");
        }

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
        w.Line("/// checked (format, checksum, model, element type, optimizer, layout, hyperparameters, and every value against what");
        w.Line("/// <see cref=\"Step\"/> can produce) before anything is copied: on any error the model is left exactly as it was.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"stream\">The checkpoint, from its first byte to its last.</param>");
        w.Line("/// <param name=\"allowHyperparameterChanges\">");
        w.Line("/// False (the default): a checkpoint saved with other compile-time hyperparameters (Lr, betas, schedule arguments, …)");
        w.Line("/// is refused with an <see cref=\"global::System.ArgumentException\"/> naming each one, its saved value and this model's.");
        w.Line("/// True: it loads, and training continues from its state with this model's hyperparameters; its running products and");
        w.Line("/// clamped state are then only checked for their range, since other hyperparameters produced them.");
        w.Line("/// </param>");
        w.Line("/// <exception cref=\"global::System.IO.InvalidDataException\">");
        w.Line("/// The checkpoint is truncated, corrupted or not a checkpoint, or holds a value Step() cannot produce (a negative or");
        w.Line("/// overflowing step count, a running product inconsistent with it, a negative second moment, …); the message names it.");
        w.Line("/// </exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">The checkpoint is of another model, optimizer or layout, or of other hyperparameters.</exception>");
        w.Line(ModelEmitter.GeneratedCode);
        w.Line($"public void LoadCheckpoint(global::System.IO.Stream stream, bool allowHyperparameterChanges = false) => OptimLoadCheckpoint({Training}.CheckpointReader.Read<{t}>(stream, OptimCheckpointLayout, allowHyperparameterChanges));");
        w.Line();
        w.Line("/// <summary>Restores the checkpoint at <paramref name=\"path\"/>; see <see cref=\"LoadCheckpoint(global::System.IO.Stream, bool)\"/>.</summary>");
        w.Line("/// <param name=\"path\">The checkpoint file.</param>");
        w.Line("/// <param name=\"allowHyperparameterChanges\">Whether a checkpoint saved with other hyperparameters loads (see the stream overload).</param>");
        w.Line("/// <exception cref=\"global::System.IO.InvalidDataException\">The checkpoint is truncated, corrupted, not a checkpoint, or holds a value Step() cannot produce.</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">The checkpoint is of another model, optimizer or layout, or of other hyperparameters.</exception>");
        w.Line(ModelEmitter.GeneratedCode);
        w.Line($"public void LoadCheckpoint(string path, bool allowHyperparameterChanges = false) => OptimLoadCheckpoint({Training}.CheckpointReader.Read<{t}>(path, OptimCheckpointLayout, allowHyperparameterChanges));");
        w.Line();
        w.Line(ModelEmitter.GeneratedCode);
        w.Open($"private void OptimLoadCheckpoint({Training}.CheckpointContents<{t}> checkpoint)");
        if (ShardWriter.Unsupported(layout) is null)
        {
            w.Line("OptimThrowIfSharded(\"load a checkpoint\");");
        }

        w.Line("// Every value Step() reads is checked against what Step() can produce before anything is copied.");
        List<string> checks = Checks(layout, scalars, out bool usesExact);
        if (usesExact)
        {
            w.Line("// With other hyperparameters (allowed by the caller) the running products and clamps are only checked for their range.");
            w.Line("bool exact = checkpoint.HyperparametersMatch;");
        }

        foreach (var (name, _, whole) in scalars)
        {
            w.Line(whole ? $"long {Local(name)} = checkpoint.GetInt64(\"{name}\");" : $"double {Local(name)} = checkpoint.GetDouble(\"{name}\");");
        }

        w.Line($"{Training}.CheckpointChecks.ThrowIfAny(");
        for (int i = 0; i < checks.Count; i++)
        {
            w.Line($"    {checks[i]}{(i == checks.Count - 1 ? ");" : ",")}");
        }

        w.Line();
        foreach (var (name, span, _) in sections)
        {
            w.Line($"checkpoint.CopySectionTo(\"{name}\", {span});");
        }

        foreach (var (name, field, _) in scalars)
        {
            w.Line($"{field} = {Local(name)};");
        }

        w.Close();
    }

    /// <summary>The local a scalar is read into: its name in camelCase.</summary>
    private static string Local(string scalar) => char.ToLowerInvariant(scalar[0]) + scalar.Substring(1);

    /// <summary>
    /// The CheckpointChecks calls for every scalar (counts, the rate, the norm, each running product against the step
    /// count) and every state section with a range (second moments, Rprop's step sizes).
    /// </summary>
    private static List<string> Checks(ModelLayout layout, List<(string Name, string Field, bool Whole)> scalars, out bool usesExact)
    {
        string checks = Training + ".CheckpointChecks";
        var calls = new List<string>();
        foreach (var (name, _, whole) in scalars)
        {
            if (whole)
            {
                calls.Add($"{checks}.Count(\"{name}\", {Local(name)})");
            }
            else if (name == "learningRate")
            {
                calls.Add($"{checks}.LearningRate(\"{name}\", {Local(name)})");
            }
            else if (name == "lastGradNorm")
            {
                calls.Add($"{checks}.Norm(\"{name}\", {Local(name)})");
            }
        }

        usesExact = false;
        foreach (GroupLayout group in layout.Groups)
        {
            foreach (StepAccumulator accumulator in group.Rule.Accumulators)
            {
                string name = StepWriter.FieldName(group, accumulator).Substring("_optim".Length);
                calls.Add($"{checks}.RunningProduct(\"{name}\", {Local(name)}, {Literals.Double(accumulator.LowBase)}, {Literals.Double(accumulator.HighBase)}, step, exact)");
                usesExact = true;
            }

            foreach (Buffer buffer in group.Rule.State.Where(b => !b.Transient && b.Values != StateValues.Any))
            {
                foreach (ParameterSpec p in group.Parameters.Where(p => GroupLayout.ExtentOf(buffer.Extent, p) > 0))
                {
                    string section = $"{p.Name.TrimStart('@')}.{buffer.Name}";
                    string values = $"checkpoint.GetSection(\"{section}\")";
                    if (buffer.Values == StateValues.NonNegative)
                    {
                        calls.Add($"{checks}.NonNegative(\"{section}\", {values})");
                    }
                    else
                    {
                        ElementType element = layout.Model.Element;
                        calls.Add($"{checks}.ZeroOrWithin(\"{section}\", {values}, {Literals.Element(buffer.Min, element)}, {Literals.Element(buffer.Max, element)}, exact)");
                        usesExact = true;
                    }
                }
            }
        }

        return calls;
    }

    /// <summary>
    /// Every compile-time hyperparameter: each group's (<c>Lr</c>, <c>Beta1</c>, …; <c>Group1.Lr</c> for the second group),
    /// the gradient services', and the schedule's (<c>Schedule.CosineAnnealingLR.TMax</c>, …). Flags are 1 or 0.
    /// </summary>
    private static List<(string Name, double Value)> Hyperparameters(ModelLayout layout)
    {
        ModelSpec model = layout.Model;
        var values = new List<(string, double)>();
        foreach (GroupLayout group in layout.Groups)
        {
            string prefix = group.Index == 0 ? "" : group.Suffix + ".";
            values.AddRange(model.Groups[group.Index].Values.Select(v => (prefix + v.Name, v.Number)));
        }

        values.Add(("ClipGradNorm", model.Services?.ClipGradNorm ?? 0));
        values.Add(("SkipNonFinite", model.Services is { SkipNonFinite: true } ? 1 : 0));
        if (model.Schedule is { } schedule)
        {
            string prefix = "Schedule." + ScheduleCatalog.Find(schedule.Kind)!.Name + ".";
            values.AddRange(schedule.Values.Select(v => (prefix + v.Name, v.Number)));
            values.AddRange(schedule.Milestones.Select((m, i) => ($"{prefix}Milestones[{i.ToString(CultureInfo.InvariantCulture)}]", (double)m)));
            values.Add(("Schedule.WarmupSteps", schedule.WarmupSteps));
            values.Add(("Schedule.WarmupStartFactor", schedule.WarmupStartFactor));
        }

        return values;
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
            w.Line($"    new(\"{p.FileName}\", {Training}.TensorDType.{dtype}{shape}),");
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
            w.Line($"writer.Write<{t}>(\"{p.FileName}\", {Slice(p)});");
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
            w.Line($"contents.CopyTo<{t}>(\"{p.FileName}\", {Slice(p)});");
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
