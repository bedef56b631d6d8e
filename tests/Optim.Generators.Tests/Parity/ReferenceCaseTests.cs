using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using System.Reflection;
using System.Text.Json;
using Optim;
using Xunit;

namespace Optim.Generators.Tests.Parity;

/// <summary>
/// Generated optimizers reproduce the libtorch-checked trajectories of tests/reference/optimizers.json:
/// every case of every optimizer Optim offers, through real generated model classes.
/// </summary>
public sealed class ReferenceCaseTests
{
    /// <summary>
    /// Double models run the reference algorithm in float64, so they must agree far more tightly than the file's
    /// float32 rule; what remains (about 5e-10 relative) is the precision at which the file stores its numbers.
    /// </summary>
    private const double DoubleTolerance = 1e-9;

    public static TheoryData<string> Cases => new(ReferenceCase.OfOfferedOptimizers.Select(c => c.Name));

    [Fact]
    public void Every_optimizer_Optim_offers_has_reference_cases()
    {
        // Every enum member reproduces some optimizer of the file; one without a case would go untested. Custom's
        // reference is the user's own method, which the custom-rule oracle tests compare against.
        var tested = ReferenceCase.OfOfferedOptimizers.Select(c => c.EnumMember).ToHashSet();
        string[] untested = Enum.GetNames<Optimizer>().Where(name => !tested.Contains(name) && name != nameof(Optimizer.Custom)).ToArray();
        Assert.True(untested.Length == 0, "optimizers without a reference case: " + string.Join(", ", untested));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float_model_matches_reference_trajectory(string name)
    {
        ReferenceCase reference = ReferenceCase.Named(name);
        List<double[]> trajectory = Run(ReferenceModels.Float(reference), reference);
        double worst = reference.WorstRatio(trajectory, reference.Tolerance);
        Assert.True(worst <= 1, $"{name}: worst error is {worst:F3}× the allowance (tolerance {reference.Tolerance})");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Double_model_matches_reference_trajectory_to_1e_9(string name)
    {
        ReferenceCase reference = ReferenceCase.Named(name);
        List<double[]> trajectory = Run(ReferenceModels.Double(reference), reference);
        double worst = reference.WorstRatio(trajectory, DoubleTolerance);
        Assert.True(worst <= 1, $"{name}: worst error is {worst:F3}× the allowance (tolerance {DoubleTolerance})");
    }

    /// <summary>Feeds the case's gradients step by step; returns the parameters after each step.</summary>
    private static List<double[]> Run<T>(IOptimizable<T> model, ReferenceCase reference)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.Equal(reference.Initial.Length, model.ParameterCount);
        Copy(reference.Initial, model.Parameters);
        var trajectory = new List<double[]>();
        foreach (double[] grad in reference.Grads)
        {
            model.ZeroGrad();
            Copy(grad, model.Gradients);
            model.Step();
            trajectory.Add(model.Parameters.ToArray().Select(double.CreateChecked).ToArray());
        }

        Assert.Equal(reference.Grads.Length, model.StepCount);
        return trajectory;
    }

    private static void Copy<T>(double[] source, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = T.CreateChecked(source[i]);
        }
    }
}
