using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using Optim.Generators.Tests.Checkpoints;
using Xunit;

namespace Optim.Generators.Tests.Services;

/// <summary>
/// ClipGradNorm and SkipNonFinite with every optimizer, float and double, with a parameter group and a compiled schedule.
/// The oracle for clipping is the same optimizer without it, stepped on gradients scaled by hand with clip_grad_norm_'s
/// factor: parameters and state must agree bit for bit. A skipped step must leave the whole checkpoint (parameters, state,
/// step count, schedule position) as it was, apart from the skip count and the last norm.
/// </summary>
public sealed class GradientServicesTests
{
    private const double MaxNorm = 0.5;

    public static TheoryData<string, string, bool> Cases()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (string optimizer in Enum.GetNames<Optimizer>())
        {
            foreach (string element in new[] { "float", "double" })
            {
                data.Add(optimizer, element, false);
                data.Add(optimizer, element, true);
            }
        }

        return data;
    }

    /// <summary>Two models of one optimizer: Clipped (the services on) and Plain; optionally V in an AdamW group.</summary>
    private static string Source(string optimizer, string element, bool grouped) => $$"""
        using System;
        using Optim;
        using static Optim.Optimizer;
        [Optimize({{optimizer}}, Lr = 0.01, ClipGradNorm = {{MaxNorm}}, SkipNonFinite = true)]
        [LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = 20, WarmupSteps = 3)]
        public sealed partial class Clipped
        {
            {{Body(optimizer, element, grouped)}}
        }
        [Optimize({{optimizer}}, Lr = 0.01)]
        [LrSchedule(ScheduleKind.CosineAnnealingLR, TMax = 20, WarmupSteps = 3)]
        public sealed partial class Plain
        {
            {{Body(optimizer, element, grouped)}}
        }
        """;

    private static string Body(string optimizer, string element, bool grouped) => $$"""
            [Parameter(7, 5)] public partial Span<{{element}}> W { get; }
            [Parameter(3, 11){{(grouped ? ", Optimize(AdamW, Lr = 0.02)" : "")}}] public partial Span<{{element}}> V { get; }
            {{(optimizer == "Custom" ? ResumeTests.CustomRule(element) : "")}}
        """;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Clipping_equals_the_step_on_gradients_scaled_by_clip_grad_norms_factor(string optimizer, string element, bool grouped)
    {
        Assembly assembly = ResumeTests.Compile(Source(optimizer, element, grouped), out AssemblyLoadContext context);
        try
        {
            dynamic clipped = Activator.CreateInstance(assembly.GetType("Clipped")!)!;
            dynamic plain = Activator.CreateInstance(assembly.GetType("Plain")!)!;
            if (element == "float")
            {
                Compare<float>(clipped, plain, optimizer);
            }
            else
            {
                Compare<double>(clipped, plain, optimizer);
            }
        }
        finally
        {
            context.Unload();
        }
    }

    private static void Compare<T>(dynamic clippedModel, dynamic plainModel, string optimizer)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var clipped = (IOptimizable<T>)clippedModel;
        var plain = (IOptimizable<T>)plainModel;
        var random = new Random(5);
        for (int i = 0; i < clipped.ParameterCount; i++)
        {
            clipped.Parameters[i] = plain.Parameters[i] = T.CreateChecked(random.NextDouble() - 0.5);
        }

        int clippedSteps = 0;
        for (int step = 0; step < 12; step++)
        {
            // Norms from about 0.03 to 30: some steps clip, some do not.
            double scale = Math.Pow(10, (step % 4) - 2);
            T[] g = Enumerable.Range(0, clipped.ParameterCount).Select(_ => T.CreateChecked((random.NextDouble() - 0.5) * scale)).ToArray();
            g.CopyTo(clipped.Gradients);
            clipped.Step();

            double norm = Math.Sqrt(g.Sum(x => double.CreateChecked(x) * double.CreateChecked(x)));
            double lastNorm = clippedModel.LastGradNorm;
            Assert.Equal(norm, lastNorm, norm * 1e-13);
            double c = GradientNorm.ClipCoefficient(MaxNorm, lastNorm);
            clippedSteps += c < 1 ? 1 : 0;
            T factor = T.CreateChecked(c);
            for (int i = 0; i < g.Length; i++)
            {
                plain.Gradients[i] = g[i] * factor;
            }

            plain.Step();
            Assert.True(
                MemoryMarshal.AsBytes(clipped.Parameters).SequenceEqual(MemoryMarshal.AsBytes(plain.Parameters)),
                $"{optimizer}: step {step + 1} (norm {norm}, factor {c}) differs from the step on hand-scaled gradients");
        }

        Assert.InRange(clippedSteps, 3, 9);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_step_with_a_NaN_or_infinite_gradient_changes_nothing_and_is_counted(string optimizer, string element, bool grouped)
    {
        Assembly assembly = ResumeTests.Compile(Source(optimizer, element, grouped), out AssemblyLoadContext context);
        try
        {
            Type type = assembly.GetType("Clipped")!;
            dynamic skipping = Activator.CreateInstance(type)!;
            dynamic twin = Activator.CreateInstance(type)!;
            if (element == "float")
            {
                Skip<float>(skipping, twin, optimizer);
            }
            else
            {
                Skip<double>(skipping, twin, optimizer);
            }
        }
        finally
        {
            context.Unload();
        }
    }

    private static void Skip<T>(dynamic skippingModel, dynamic twinModel, string optimizer)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var skipping = (IOptimizable<T>)skippingModel;
        var twin = (IOptimizable<T>)twinModel;
        var random = new Random(8);
        for (int i = 0; i < skipping.ParameterCount; i++)
        {
            skipping.Parameters[i] = twin.Parameters[i] = T.CreateChecked(random.NextDouble() - 0.5);
        }

        T[] poison = [T.NaN, T.PositiveInfinity, T.NegativeInfinity];
        long skipped = 0;
        for (int step = 0; step < 9; step++)
        {
            T[] g = Enumerable.Range(0, skipping.ParameterCount).Select(_ => T.CreateChecked(random.NextDouble() - 0.5)).ToArray();
            g.CopyTo(skipping.Gradients);
            g.CopyTo(twin.Gradients);
            skipping.Step();
            twin.Step();

            // A poisoned step: the skipping model must end it exactly where it started (its state is checked by every later
            // step matching the twin's, which never saw the poisoned steps).
            byte[] before = MemoryMarshal.AsBytes(skipping.Parameters).ToArray();
            skipping.Gradients[random.Next(skipping.ParameterCount)] = poison[step % 3];
            skipping.Step();
            skipped++;
            Assert.Equal(skipped, (long)skippingModel.SkippedSteps);
            Assert.False(double.IsFinite((double)skippingModel.LastGradNorm));
            Assert.Equal(twin.StepCount, skipping.StepCount);
            Assert.Equal(twin.LearningRate, skipping.LearningRate);
            Assert.True(before.AsSpan().SequenceEqual(MemoryMarshal.AsBytes(skipping.Parameters)), $"{optimizer}: a skipped step changed the parameters");
            Assert.True(MemoryMarshal.AsBytes(twin.Parameters).SequenceEqual(MemoryMarshal.AsBytes(skipping.Parameters)), $"{optimizer}: skipping changed the run at step {step + 1}");
        }

        Assert.True(MemoryMarshal.AsBytes(twin.Parameters).SequenceEqual(MemoryMarshal.AsBytes(skipping.Parameters)), $"{optimizer}: skipping changed the run");

        // The counters are part of the checkpoint.
        dynamic resumed = Activator.CreateInstance(((object)skippingModel).GetType())!;
        resumed.LoadCheckpoint(new MemoryStream(ResumeTests.Checkpoint(skippingModel)));
        Assert.Equal(skipped, (long)resumed.SkippedSteps);
        Assert.Equal(BitConverter.DoubleToInt64Bits((double)skippingModel.LastGradNorm), BitConverter.DoubleToInt64Bits((double)resumed.LastGradNorm));
    }
}
