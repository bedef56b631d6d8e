using System.Collections.Generic;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.Emission;

/// <summary>Snapshot approval happens on a developer's machine only: in CI a tampered snapshot must fail, whatever is set.</summary>
public sealed class SnapshotPolicyTests
{
    public static TheoryData<string, string?, string?, string?, string> Environments => new()
    {
        // OPTIM_ACCEPT_SNAPSHOTS, CI, TF_BUILD, GITHUB_ACTIONS → mode
        { "1", null, null, null, "Accept" },
        { "1", "true", null, null, "Refuse" },
        { "1", "True", null, null, "Refuse" },
        { "1", "1", null, null, "Refuse" },
        { "1", null, "True", null, "Refuse" },
        { "1", null, null, "true", "Refuse" },
        { "1", "false", null, null, "Accept" },
        { "0", "true", null, null, "Verify" },
        { "", null, null, null, "Verify" },
    };

    [Theory]
    [MemberData(nameof(Environments))]
    public void Acceptance_is_refused_in_CI(string accept, string? ci, string? tfBuild, string? githubActions, string expected)
    {
        var environment = new Dictionary<string, string?>
        {
            ["OPTIM_ACCEPT_SNAPSHOTS"] = accept,
            ["CI"] = ci,
            ["TF_BUILD"] = tfBuild,
            ["GITHUB_ACTIONS"] = githubActions,
        };

        Assert.Equal(expected, Snapshot.ModeFor(name => environment.GetValueOrDefault(name)).ToString());
    }
}
