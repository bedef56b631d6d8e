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
/// <param name="SectionStarts">Arena offset of each state buffer's section, in the rule's order.</param>
/// <param name="SectionLengths">
/// Elements of each state buffer's section: the group's values (or rows, or columns) rounded up to whole 64-byte lines.
/// </param>
/// <param name="LrScale">The group's Lr over the class's: its rate is LearningRate times this (as PyTorch's schedules scale every group).</param>
internal sealed record GroupLayout(
    int Index,
    UpdateRule Rule,
    EquatableArray<ParameterSpec> Parameters,
    int Start,
    int Count,
    EquatableArray<int> SectionStarts,
    EquatableArray<int> SectionLengths,
    double LrScale)
{
    /// <summary>Suffix of the group's generated names: "" for the first group, "Group1", … after.</summary>
    public string Suffix => Index == 0 ? "" : "Group" + Index;

    /// <summary>Arena offset of state buffer <paramref name="buffer"/> of the group.</summary>
    public int SectionOffset(Buffer buffer) => SectionStarts[IndexOf(buffer)];

    /// <summary>Elements of the section of state buffer <paramref name="buffer"/>, padding included.</summary>
    public int SectionLength(Buffer buffer) => SectionLengths[IndexOf(buffer)];

    /// <summary>Where parameter <paramref name="p"/>'s part of <paramref name="buffer"/> starts in its section.</summary>
    public int Local(Buffer buffer, ParameterSpec p) => Local(buffer.Extent, p);

    /// <summary>Where parameter <paramref name="p"/>'s part of a buffer of extent <paramref name="extent"/> starts in its section.</summary>
    public int Local(Extent extent, ParameterSpec p) =>
        Parameters.TakeWhile(q => q.Name != p.Name).Sum(q => ExtentOf(extent, q));

    /// <summary>Elements of a buffer of extent <paramref name="extent"/> that parameter <paramref name="p"/> has.</summary>
    public static int ExtentOf(Extent extent, ParameterSpec p) => extent switch
    {
        Extent.Rows => IsMatrix(p) ? Rows(p) : p.Length,
        Extent.Columns => IsMatrix(p) ? Cols(p) : 0,
        _ => p.Length,
    };

    /// <summary>Two or more dimensions: seen as rows × the rest.</summary>
    public static bool IsMatrix(ParameterSpec p) => p.Shape.Count >= 2;

    /// <summary>The first dimension (1 for a scalar).</summary>
    public static int Rows(ParameterSpec p) => p.Shape.Count == 0 ? 1 : p.Shape[0];

    /// <summary>The rest of the dimensions, as one: the columns of the tensor seen as a matrix.</summary>
    public static int Cols(ParameterSpec p) => p.Length / Rows(p);

    /// <summary>The tensors' shapes as matrices, "rows, cols" pairs one after another, for a routine's WorkspaceLength.</summary>
    public static string ShapePairs(IEnumerable<ParameterSpec> parameters) =>
        string.Join(", ", parameters.Select(p => $"{Rows(p)}, {Cols(p)}"));

    private int IndexOf(Buffer buffer) => Rule.State.ToList().FindIndex(b => b.Name == buffer.Name);
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
            double lr = model.Groups[g].Values.First(v => v.Name == "Lr").Number;
            var starts = new List<int>();
            var lengths = new List<int>();
            foreach (Buffer buffer in rules[g].State)
            {
                int length = RoundUp(members.Sum(p => GroupLayout.ExtentOf(buffer.Extent, p)), line);
                starts.Add(stateOffset);
                lengths.Add(length);
                stateOffset += length;
            }

            groups.Add(new GroupLayout(g, rules[g], members.ToEquatableArray(), start, count, starts.ToEquatableArray(), lengths.ToEquatableArray(), lr / classLr));
        }

        return new ModelLayout(model, stride, groups.ToEquatableArray(), stateOffset);
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
