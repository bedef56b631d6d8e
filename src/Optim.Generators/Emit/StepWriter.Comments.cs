using System.Collections.Generic;
using System.Linq;
using Optim.Generators.Lowering;
using Optim.Generators.Model;

namespace Optim.Generators.Emit;

/// <summary>The update rule written into the generated code: its title and its lines in PyTorch's notation.</summary>
internal static partial class StepWriter
{
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
