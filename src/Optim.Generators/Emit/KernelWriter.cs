using System.Collections.Generic;
using System.Linq;
using Optim.Generators.Common;
using Optim.Generators.Model;

namespace Optim.Generators.Emit;

/// <summary>
/// Writes one element loop ("pass") of the file-local kernel class: the widest hardware vector first, else single
/// elements, every path printed from the same statements so results are bit-identical whichever path runs. A pass may
/// also accumulate sums (norms): element i goes to lane i mod (elements per 64-byte line) on every path, so the sums
/// too are the same whatever vector width ran.
/// </summary>
internal static class KernelWriter
{
    private static readonly string[] VectorWidths = { "Vector512", "Vector256", "Vector128" };

    /// <summary>Name of the per-lane sums argument of a pass with reductions.</summary>
    public const string Sums = "sums";

    /// <param name="w">The writer, inside the kernel class.</param>
    /// <param name="model">The model (element type).</param>
    /// <param name="method">The method's name.</param>
    /// <param name="buffers">The group's buffers (θ, g, state); the method takes a reference to the first element of each it uses.</param>
    /// <param name="body">The element-wise statements.</param>
    /// <param name="reductions">Sums to accumulate into <c>sums</c> (lanes per line per reduction, in order).</param>
    /// <param name="scalars">Per-step or per-tensor scalars the statements read, as (C# type, name).</param>
    public static void WritePass(
        SourceWriter w,
        ModelSpec model,
        string method,
        IReadOnlyList<Buffer> buffers,
        IReadOnlyList<Statement> body,
        IReadOnlyList<Reduction> reductions,
        IReadOnlyList<(string Type, string Name)> scalars)
    {
        string t = model.Element.Keyword();
        int lanes = model.Element.PerLine();
        var constants = new SortedDictionary<string, double>();
        foreach (Expr e in body.Select(s => s.Value).Concat(reductions.Select(r => r.Value)))
        {
            foreach (Expr node in e.Nodes().Where(n => n.Kind == ExprKind.Constant))
            {
                constants[node.Name] = node.Value;
            }
        }

        var written = new HashSet<string>(body.Select(s => s.Target));
        var used = UsedBuffers(buffers, body, reductions).Select(b => (Buffer: b, Index: 0)).ToList();
        HashSet<string> writtenFirst = WrittenFirst(body);
        // Broadcasts of the element type only: bool scalars are tests, and a float rule's double scalars are broadcast
        // where a double island uses them.
        var vectorScalars = scalars.Where(s => s.Type == t).Select(s => s.Name);

        string references = string.Join(", ", used.Select(b => $"ref {t} {b.Buffer.Name}Base"));
        string parameters = string.Concat(scalars.Select(s => $", {s.Type} {s.Name}")) + (reductions.Count > 0 ? $", ref {t} {Sums}" : "");
        w.Open($"internal static void {method}({references}, nuint start, nuint end, nuint count{parameters})");
        foreach (KeyValuePair<string, double> constant in constants)
        {
            w.Line($"const {t} {constant.Key} = {Literals.Element(constant.Value, model.Element)};");
        }

        if (constants.Count > 0)
        {
            w.Line();
        }

        w.Line("nuint i = start;");
        w.Line("nuint limit = end < count ? end : count;");
        w.Line();
        for (int v = 0; v < VectorWidths.Length; v++)
        {
            string vector = VectorWidths[v];
            w.Open($"{(v == 0 ? "if" : "else if")} ({vector}.IsHardwareAccelerated)");
            foreach (string name in constants.Keys.Concat(vectorScalars))
            {
                w.Line($"{vector}<{t}> {name}{ExprWriter.VectorSuffix} = {vector}.Create({name});");
            }

            var writer = new ExprWriter(ExprMode.Vector, model.Element, vector);

            // Sums stay in registers: K vectors per reduction cover one 64-byte line of lanes (K = 1, 2, 4 for 512, 256,
            // 128 bits), vector k taking the elements whose line offset falls in its lanes.
            int accumulators = 1 << v;
            for (int r = 0; r < reductions.Count; r++)
            {
                for (int k = 0; k < accumulators; k++)
                {
                    w.Line($"{vector}<{t}> sum{r}_{k} = {vector}<{t}>.Zero;");
                }
            }

            w.Open($"for (; i < limit; i += (nuint){vector}<{t}>.Count)");
            foreach (var (buffer, _) in used)
            {
                w.Line(writtenFirst.Contains(buffer.Name)
                    ? $"{vector}<{t}> {buffer.Name};"
                    : $"{vector}<{t}> {buffer.Name} = {vector}.LoadUnsafe(ref {buffer.Name}Base, i);");
            }

            WriteBody(w, buffers, body, writer, $"{vector}<{t}>");
            w.Open($"if (i + (nuint){vector}<{t}>.Count <= limit)");
            foreach (var (buffer, _) in used.Where(b => written.Contains(b.Buffer.Name)))
            {
                w.Line($"{buffer.Name}.StoreUnsafe(ref {buffer.Name}Base, i);");
            }

            WriteVectorSums(w, reductions, writer, vector, t, accumulators, masked: false);
            w.Close();
            w.Open("else");
            // Only the tensor's own elements are written: a whole-vector blend would write back the neighbours' values,
            // undoing what a thread updating the next tensor may just have stored.
            w.Line(reductions.Count > 0 ? "// The last vector reaches past the values: store and sum only the lanes inside them." : "// The last vector reaches past the values: store only the lanes inside them.");
            if (reductions.Count > 0)
            {
                w.Line($"{vector}<{t}> inside = global::Optim.KernelMath.LeadingLanes{vector.Substring(6)}<{t}>((int)(limit - i));");
            }

            foreach (var (buffer, _) in used.Where(b => written.Contains(b.Buffer.Name)))
            {
                w.Line($"global::Optim.KernelMath.StoreLeading({buffer.Name}, ref Unsafe.Add(ref {buffer.Name}Base, i), (int)(limit - i));");
            }

            WriteVectorSums(w, reductions, writer, vector, t, accumulators, masked: true);
            w.Close();
            w.Close();
            for (int r = 0; r < reductions.Count; r++)
            {
                for (int k = 0; k < accumulators; k++)
                {
                    w.Line($"sum{r}_{k}.StoreUnsafe(ref {Sums}, (nuint)({r * lanes} + ({k} * {vector}<{t}>.Count)));");
                }
            }

            w.Close();
        }

        w.Line();
        w.Open("for (; i < limit; i++)");
        foreach (var (buffer, _) in used)
        {
            w.Line(writtenFirst.Contains(buffer.Name) ? $"{t} {buffer.Name};" : $"{t} {buffer.Name} = Unsafe.Add(ref {buffer.Name}Base, i);");
        }

        var element = new ExprWriter(ExprMode.Element, model.Element);
        WriteBody(w, buffers, body, element, t);
        foreach (var (buffer, _) in used.Where(b => written.Contains(b.Buffer.Name)))
        {
            w.Line($"Unsafe.Add(ref {buffer.Name}Base, i) = {buffer.Name};");
        }

        for (int r = 0; r < reductions.Count; r++)
        {
            w.Line($"Unsafe.Add(ref {Sums}, {r * lanes} + (int)(i % {lanes})) += {element.Write(reductions[r].Value)};");
        }

        w.Close();
        w.Close();
    }

    /// <summary>The buffers a pass reads or writes, in the group's order: the references its method takes.</summary>
    public static List<Buffer> UsedBuffers(IReadOnlyList<Buffer> buffers, IReadOnlyList<Statement> body, IReadOnlyList<Reduction> reductions)
    {
        var names = new HashSet<string>(body.Select(s => s.Target).Concat(body.Select(s => s.Value).Concat(reductions.Select(r => r.Value))
            .SelectMany(e => e.Nodes()).Where(n => n.Kind == ExprKind.Variable).Select(n => n.Name)));
        return buffers.Where(b => names.Contains(b.Name)).ToList();
    }

    /// <summary>
    /// The buffers the body assigns before it reads them (Muon's working section O, filled by this pass; a custom rule's
    /// state written without being read): not loaded, so the pass does not read memory whose values it overwrites.
    /// </summary>
    private static HashSet<string> WrittenFirst(IReadOnlyList<Statement> body)
    {
        var read = new HashSet<string>();
        var first = new HashSet<string>();
        foreach (Statement statement in body)
        {
            read.UnionWith(statement.Value.Nodes().Where(n => n.Kind == ExprKind.Variable).Select(n => n.Name));
            if (!read.Contains(statement.Target))
            {
                first.Add(statement.Target);
            }

            read.Add(statement.Target);
        }

        return first;
    }

    /// <summary>Adds this vector's values to its accumulator of each reduction (masked: lanes outside count add 0).</summary>
    private static void WriteVectorSums(SourceWriter w, IReadOnlyList<Reduction> reductions, ExprWriter writer, string vector, string t, int accumulators, bool masked)
    {
        for (int r = 0; r < reductions.Count; r++)
        {
            string value = writer.Write(reductions[r].Value);
            if (masked)
            {
                value = $"{vector}.ConditionalSelect(inside, {value}, default)";
            }

            if (accumulators == 1)
            {
                w.Line($"sum{r}_0 += {value};");
                continue;
            }

            w.Open($"switch ((int)((i / (nuint){vector}<{t}>.Count) & {accumulators - 1}))");
            for (int k = 0; k < accumulators; k++)
            {
                w.Line($"{(k == accumulators - 1 ? "default" : $"case {k}")}: sum{r}_{k} += {value}; break;");
            }

            w.Close();
        }
    }

    private static void WriteBody(SourceWriter w, IReadOnlyList<Buffer> buffers, IReadOnlyList<Statement> body, ExprWriter writer, string declare)
    {
        var declared = new HashSet<string>(buffers.Select(b => b.Name));
        foreach (Statement statement in body)
        {
            string prefix = declared.Add(statement.Target) ? declare + " " : "";
            w.Line($"{prefix}{statement.Target} = {writer.Write(statement.Value)};");
        }
    }
}
