using Optim.Generators.Common;
using Optim.Generators.Model;

namespace Optim.Generators.Emit;

/// <summary>
/// Reopens a generated type where the user declared it: its namespace and every type containing it, outermost first,
/// each as a <c>partial</c> part; <see cref="Close"/> ends them in reverse. Shared by every file the generator writes for
/// a model (the model itself, its network, a rejected model's placeholders).
/// </summary>
internal static class TypeScope
{
    public static void Open(SourceWriter w, string ns, EquatableArray<TypeHeader> containingTypes)
    {
        if (ns.Length > 0)
        {
            w.Open("namespace " + ns);
        }

        foreach (TypeHeader outer in containingTypes)
        {
            w.Open($"partial {outer.Keyword} {outer.Name}");
        }
    }

    public static void Close(SourceWriter w, string ns, EquatableArray<TypeHeader> containingTypes)
    {
        for (int i = 0; i < containingTypes.Count; i++)
        {
            w.Close();
        }

        if (ns.Length > 0)
        {
            w.Close();
        }
    }
}
