using System.Text.RegularExpressions;
using Xunit;

namespace Optim.Distributed.Tests;

/// <summary>
/// The collectives under data-parallel training and ZeRO-1 (all-reduce, the ring reduce-scatter, all-gather, broadcast)
/// give every rank what a scalar oracle says, exactly for whole numbers and within rounding for random floats, at block
/// sizes that are and are not multiples of a vector, and allocate nothing in steady state (tests/Optim.Distributed.Ranks/Collectives.cs).
/// </summary>
[Trait("Category", "Long")]
public sealed class CollectiveTests
{
    [SkippableTheory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Every_rank_receives_what_the_oracle_computes(int ranks)
    {
        var outcome = MpiRun.Ranks(ranks, ["collectives"]).Succeeded();
        for (int rank = 0; rank < ranks; rank++)
        {
            Assert.Matches(new Regex($"collectives ok on rank {rank} of {ranks}, 0 bytes allocated"), outcome.Output);
        }
    }
}
