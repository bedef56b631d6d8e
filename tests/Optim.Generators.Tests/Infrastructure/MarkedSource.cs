using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis.Text;

namespace Optim.Generators.Tests.Infrastructure;

/// <summary>Source text with <c>[|…|]</c> markers around the spans where diagnostics are expected.</summary>
internal sealed record MarkedSource(string Text, IReadOnlyList<TextSpan> Spans)
{
    public static MarkedSource Parse(string marked)
    {
        var spans = new List<TextSpan>();
        var text = new System.Text.StringBuilder();
        int start = -1;
        for (int i = 0; i < marked.Length; i++)
        {
            if (string.CompareOrdinal(marked, i, "[|", 0, 2) == 0)
            {
                start = text.Length;
                i++;
            }
            else if (string.CompareOrdinal(marked, i, "|]", 0, 2) == 0)
            {
                if (start < 0)
                {
                    throw new ArgumentException("'|]' without '[|'", nameof(marked));
                }

                spans.Add(TextSpan.FromBounds(start, text.Length));
                start = -1;
                i++;
            }
            else
            {
                text.Append(marked[i]);
            }
        }

        return new MarkedSource(text.ToString(), spans);
    }
}
