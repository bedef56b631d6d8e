using System.Collections.Generic;
using System.Linq;
using Optim.Generators.Common;
using Optim.Generators.Model;

namespace Optim.Generators.Lowering;

/// <summary>
/// One parameter group: the parameters one optimizer (with one set of hyperparameters) updates, contiguous in the
/// parameter and gradient sections, with its own state sections.
/// </summary>
/// <param name="Index">0 for the class's [Optimize], then groups in order of first appearance.</param>
/// <param name="Rule">The group's update rule.</param>
/// <param name="Parameters">Its parameters, in declaration order.</param>
/// <param name="Start">Offset of its first parameter in the parameter section.</param>
/// <param name="Count">Number of values it updates.</param>
/// <param name="StateStride">Elements per state section of the group: <paramref name="Count"/> rounded up to whole 64-byte lines.</param>
/// <param name="StateOffset">Arena offset of the group's first state section.</param>
/// <param name="LrScale">The group's Lr over the class's: its rate is LearningRate times this (as PyTorch's schedules scale every group).</param>
internal sealed record GroupLayout(
    int Index,
    UpdateRule Rule,
    EquatableArray<ParameterSpec> Parameters,
    int Start,
    int Count,
    int StateStride,
    int StateOffset,
    double LrScale)
{
    /// <summary>Suffix of the group's generated names: "" for the first group, "Group1", … after.</summary>
    public string Suffix => Index == 0 ? "" : "Group" + Index;

    /// <summary>Arena offset of state buffer <paramref name="buffer"/> of the group.</summary>
    public int SectionOffset(Buffer buffer) => StateOffset + (Rule.State.ToList().FindIndex(b => b.Name == buffer.Name) * StateStride);
}

/// <summary>
/// Where everything of a model lives, resolved once from the <see cref="ModelSpec"/>: the parameter and gradient sections
/// (OptimStride elements each), then each group's state sections. The emitter reads this and never looks up catalogs.
/// </summary>
internal sealed record ModelLayout(ModelSpec Model, int Stride, EquatableArray<GroupLayout> Groups, int ArenaLength)
{
    public bool HasGroups => Groups.Count > 1;

    public static ModelLayout Create(ModelSpec model, IReadOnlyList<UpdateRule> rules)
    {
        int line = model.Element.PerLine();
        int stride = RoundUp(model.ParameterCount, line);
        var groups = new List<GroupLayout>();
        int stateOffset = 2 * stride;
        double classLr = model.Groups[0].Values.First(v => v.Name == "Lr").Number;
        for (int g = 0; g < model.Groups.Count; g++)
        {
            var members = model.Parameters.Where(p => p.Group == g).ToList();
            if (members.Count == 0)
            {
                continue;
            }

            int start = members.Min(p => p.Offset);
            int count = members.Sum(p => p.Length);
            int stateStride = model.Groups.Count == 1 ? stride : RoundUp(count, line);
            double lr = model.Groups[g].Values.First(v => v.Name == "Lr").Number;
            groups.Add(new GroupLayout(g, rules[g], members.ToEquatableArray(), start, count, stateStride, stateOffset, lr / classLr));
            stateOffset += rules[g].State.Count * stateStride;
        }

        return new ModelLayout(model, stride, groups.ToEquatableArray(), stateOffset);
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
