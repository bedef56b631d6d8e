using System;
using System.IO;
using Xunit;

namespace Optim.Distributed.Tests;

/// <summary>What runs without mpirun: shard arithmetic, a clear error when MPI is missing, and whether MPI is here.</summary>
public sealed class QuickTests
{
    [Theory]
    [InlineData(24, 1, 0, 0, 24)]
    [InlineData(24, 2, 1, 12, 12)]
    [InlineData(24, 3, 0, 0, 8)]
    [InlineData(24, 3, 2, 16, 8)]
    [InlineData(0, 3, 1, 0, 0)]
    public void Shards_are_equal_contiguous_and_in_rank_order(int batch, int size, int rank, int start, int count)
    {
        Assert.Equal((start, count), BatchShard.Of(batch, rank, size));
    }

    [Fact]
    public void A_batch_that_does_not_divide_among_the_ranks_is_rejected_naming_both()
    {
        var e = Assert.Throws<ArgumentException>(() => BatchShard.Of(25, 0, 3));
        Assert.Contains("A global batch of 25 rows does not divide evenly among 3 ranks; use a multiple of 3", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchShard.Of(24, 3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchShard.Of(24, 0, 0));
    }

    [SkippableFact]
    public void MPI_is_installed_or_the_tests_say_it_is_not()
    {
        // Skips with the reason (or fails under OPTIM_REQUIRE_MPI=1) when mpirun or libmpi.so.40 is missing.
        MpiRun.RequireMpi();
        Assert.True(File.Exists(MpiRun.MpirunPath));
    }
}
