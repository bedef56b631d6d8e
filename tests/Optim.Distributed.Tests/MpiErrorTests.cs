using System.Text.RegularExpressions;
using Xunit;

namespace Optim.Distributed.Tests;

/// <summary>An error MPI reports arrives as an <see cref="MpiException"/> naming the MPI call, MPI's error and the rank.</summary>
[Trait("Category", "Long")]
public sealed class MpiErrorTests
{
    [SkippableFact]
    public void A_broadcast_longer_than_the_receivers_expect_throws_MpiException_naming_the_call_the_error_and_the_rank()
    {
        // Rank 0 sends 64 bytes; rank 1 expects 8 and sees the message truncated. (Two ranks: with three, the rank that
        // fails would never forward the broadcast to the third, which would wait for ever: MPI's errors are local.)
        var outcome = MpiRun.Ranks(2, ["mismatch"]).Succeeded();
        Assert.Matches(new Regex(@"MpiException: MPI_Bcast failed on rank 1 of 2: MPI_ERR_TRUNCATE: message truncated \(MPI error \d+\) \[function MPI_Bcast, code \d+, rank 1\]"), outcome.Output);
    }
}
