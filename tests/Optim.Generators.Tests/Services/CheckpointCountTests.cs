using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Optim.Training;
using Xunit;
using static Optim.Optimizer;

namespace Optim.Generators.Tests.Services;

[Optimize(Adam, SkipNonFinite = true, Threads = 1)]
public sealed partial class SkippingAdam
{
    [Parameter(3)] public partial Span<float> W { get; }
}

/// <summary>
/// A checkpoint whose checksum is right but whose counts cannot be (a negative step or skipped-step count, written by
/// another tool or a bug) is refused, not repaired: the model keeps every value it had.
/// </summary>
public sealed class CheckpointCountTests
{
    [Theory]
    [InlineData(5L, -1L, "skippedSteps is -1, a negative count")]
    [InlineData(-2L, 0L, "step is -2, a negative count")]
    public void Negative_counts_are_refused_and_the_model_is_kept(long step, long skipped, string named)
    {
        var model = new SkippingAdam();
        model.W[0] = 1;
        model.Gradients[0] = float.NaN;
        model.Step(); // skipped
        model.Gradients[0] = 0.5f;
        model.Step();
        byte[] before = Save(model);

        var layout = (CheckpointLayout)typeof(SkippingAdam).GetField("OptimCheckpointLayout", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;
        using var crafted = new MemoryStream();
        using (var writer = new CheckpointWriter<float>(crafted, layout))
        {
            foreach (CheckpointSection section in layout.Sections)
            {
                writer.WriteSection(section.Name, Enumerable.Repeat(0.25f, section.Length).ToArray());
            }

            foreach (CheckpointScalar scalar in layout.Scalars)
            {
                if (scalar.Kind == CheckpointScalarKind.WholeNumber)
                {
                    writer.WriteScalar(scalar.Name, scalar.Name == "step" ? step : skipped);
                }
                else
                {
                    writer.WriteScalar(scalar.Name, 1e-3);
                }
            }

            writer.Commit();
        }

        crafted.Position = 0;
        var error = Assert.Throws<InvalidDataException>(() => model.LoadCheckpoint(crafted));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Save(model));
        Assert.Equal(1, model.SkippedSteps);
    }

    private static byte[] Save(SkippingAdam model)
    {
        using var stream = new MemoryStream();
        model.SaveCheckpoint(stream);
        return stream.ToArray();
    }
}
