using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.Docs;

/// <summary>README.md and the docs/ pages link only to files that exist (pages were moved; links must follow).</summary>
public sealed class DocumentationLinkTests
{
    [Fact]
    public void Every_relative_link_of_the_README_and_the_docs_names_an_existing_file()
    {
        var pages = new[] { Path.Combine(Repository.Root, "README.md") }
            .Concat(Directory.EnumerateFiles(Path.Combine(Repository.Root, "docs"), "*.md", SearchOption.AllDirectories));
        var broken = (
            from page in pages
            from Match link in Regex.Matches(File.ReadAllText(page), @"\]\(([^)\s]+)\)")
            let target = link.Groups[1].Value.Split('#')[0]
            where target.Length > 0 && !target.Contains("://", StringComparison.Ordinal) && !target.StartsWith("mailto:", StringComparison.Ordinal)
            let path = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, target))
            where !File.Exists(path) && !Directory.Exists(path)
            select $"{Path.GetRelativePath(Repository.Root, page)}: {link.Groups[1].Value}").ToList();

        Assert.True(broken.Count == 0, "Broken links:\n" + string.Join('\n', broken));
    }
}
