using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Optim.DocTests;

/// <summary>
/// A fenced code block of a Markdown page, with the <c>doc-test</c> directives written on the lines right above its
/// fence (HTML comments, invisible on the rendered page):
/// <list type="bullet">
/// <item><c>&lt;!-- doc-test name: quick-start --&gt;</c> names the block, for <c>with</c> and for the packaging tests.</item>
/// <item><c>&lt;!-- doc-test with: quick-start --&gt;</c> compiles the named block beside this one (as another file).</item>
/// <item><c>&lt;!-- doc-test preamble: var model = new Mlp(); --&gt;</c> puts the code before the block, in its file.</item>
/// <item><c>&lt;!-- doc-test wrap: [Optimize(Adam)] public partial class M --&gt;</c> puts the block (members) in braces after it.</item>
/// <item><c>&lt;!-- doc-test after: public partial class M { } --&gt;</c> puts the code after the block (an attribute's class).</item>
/// <item><c>&lt;!-- doc-test expect: OPT0030 --&gt;</c> the block must produce exactly these error or warning IDs.</item>
/// <item><c>&lt;!-- doc-test skip: a generated-code excerpt --&gt;</c> a C# block that is not compiled, with the reason.</item>
/// </list>
/// </summary>
internal sealed record MarkdownBlock(
    string File, int Line, string Language, string Code, string? Name, string? Skip,
    IReadOnlyList<string> Expect, IReadOnlyList<string> With, IReadOnlyList<string> Preamble, string? Wrap = null, string? After = null)
{
    /// <summary>The block's file as compiled: preamble, the block (inside <see cref="Wrap"/>'s braces if given), <see cref="After"/>.</summary>
    public string Source =>
        string.Join('\n', Preamble) + "\n"
        + (Wrap is null ? Code : Wrap + "\n{\n" + Code + "\n}")
        + "\n" + After;

    /// <summary>Where the block starts, as "README.md:42".</summary>
    public override string ToString() => $"{File}:{Line}";

    /// <summary>Every fenced block of README.md and of the Markdown pages under docs/, in file and line order.</summary>
    public static IReadOnlyList<MarkdownBlock> InRepository(string root) =>
        new[] { Path.Combine(root, "README.md") }
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            .SelectMany(path => Parse(Path.GetRelativePath(root, path).Replace('\\', '/'), System.IO.File.ReadAllLines(path)))
            .ToList();

    /// <summary>The block named <paramref name="name"/> (by a <c>doc-test name:</c> directive); throws if there is none.</summary>
    public static MarkdownBlock Named(IEnumerable<MarkdownBlock> blocks, string name) =>
        blocks.SingleOrDefault(b => b.Name == name)
        ?? throw new InvalidOperationException($"No Markdown block is named '{name}' (<!-- doc-test name: {name} --> above its fence).");

    public static IEnumerable<MarkdownBlock> Parse(string file, IReadOnlyList<string> lines)
    {
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i].TrimStart();
            if (!line.StartsWith("```", StringComparison.Ordinal))
            {
                continue;
            }

            string fence = new(line.TakeWhile(c => c == '`').ToArray());
            string language = line[fence.Length..].Trim();
            int start = i;
            var code = new List<string>();
            for (i++; i < lines.Count && !lines[i].TrimStart().StartsWith(fence, StringComparison.Ordinal); i++)
            {
                code.Add(lines[i]);
            }

            if (i == lines.Count)
            {
                throw new InvalidOperationException($"{file}:{start + 1}: the code block is never closed.");
            }

            // The directives: consecutive `<!-- doc-test key: value -->` lines right above the fence.
            var directives = new List<(string Key, string Value)>();
            for (int d = start - 1; d >= 0 && lines[d].TrimStart().StartsWith("<!-- doc-test", StringComparison.Ordinal); d--)
            {
                string text = lines[d].Trim();
                if (!text.EndsWith("-->", StringComparison.Ordinal) || text.IndexOf(':', StringComparison.Ordinal) < 0)
                {
                    throw new InvalidOperationException($"{file}:{d + 1}: a doc-test directive is written <!-- doc-test key: value -->.");
                }

                string body = text["<!-- doc-test".Length..^"-->".Length];
                int colon = body.IndexOf(':', StringComparison.Ordinal);
                directives.Insert(0, (body[..colon].Trim(), body[(colon + 1)..].Trim()));
            }

            string[] known = ["name", "with", "preamble", "wrap", "after", "expect", "skip"];
            foreach (var (key, _) in directives.Where(d => !known.Contains(d.Key)))
            {
                throw new InvalidOperationException($"{file}:{start + 1}: unknown doc-test directive '{key}' (known: {string.Join(", ", known)}).");
            }

            yield return new MarkdownBlock(
                file, start + 1, language, string.Join('\n', code),
                Name: directives.LastOrDefault(d => d.Key == "name").Value,
                Skip: directives.LastOrDefault(d => d.Key == "skip").Value,
                Expect: directives.Where(d => d.Key == "expect").SelectMany(d => d.Value.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries)).ToList(),
                With: directives.Where(d => d.Key == "with").Select(d => d.Value).ToList(),
                Preamble: directives.Where(d => d.Key == "preamble").Select(d => d.Value).ToList(),
                Wrap: directives.LastOrDefault(d => d.Key == "wrap").Value,
                After: directives.LastOrDefault(d => d.Key == "after").Value);
        }
    }
}
