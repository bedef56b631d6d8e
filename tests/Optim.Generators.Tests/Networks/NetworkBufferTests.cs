using System;
using System.Linq;
using System.Numerics;
using System.Reflection;
using Xunit;

namespace Optim.Generators.Tests.Networks;

/// <summary>
/// The network buffers are planned by liveness: buffers never live at the same time share memory, which is only right if
/// every pass writes each buffer whole before it reads it. Every reference network is run twice from the same parameters,
/// once as it is and once with its whole network arena filled with NaN before every call (as a buffer shared with an
/// earlier one, or left from an earlier batch, would hold anything): outputs, losses, gradients and parameters must be
/// the same bits. At the file's batch and at one example fewer (stale rows past the batch).
/// </summary>
public sealed class NetworkBufferTests
{
    public static TheoryData<string, string> Cases() => NetworkReferenceTests.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Stale_buffer_contents_never_reach_the_results(string name, string element)
    {
        NetworkCase c = NetworkCase.Named(name);
        if (element == "Float")
        {
            Run<float>(c, element);
        }
        else
        {
            Run<double>(c, element);
        }
    }

    private static void Run<T>(NetworkCase c, string element)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        foreach (int batch in new[] { c.Batch, c.Batch - 1 }.Where(b => b >= 1).Distinct())
        {
            object clean = NetworkModels.Create(c, element), poisoned = NetworkModels.Create(c, element);
            T[] initial = NetworkModels.Initial<T>(c);
            initial.CopyTo(((IOptimizable<T>)clean).Parameters);
            initial.CopyTo(((IOptimizable<T>)poisoned).Parameters);
            object input = NetworkModels.Input<T>(c), target = NetworkModels.Target<T>(c);

            T[] Predict(object model)
            {
                var output = new T[c.Output64.Length];
                NetworkModels.Call(model, "RunPredict", input, output, batch);
                return output;
            }

            Same(c, element, batch, "Predict", Predict(clean), Call(poisoned, () => Predict(poisoned)));
            Same(c, element, batch, "Evaluate", new[] { (T)NetworkModels.Call(clean, "RunEvaluate", input, target, batch)! }, Call(poisoned, () => new[] { (T)NetworkModels.Call(poisoned, "RunEvaluate", input, target, batch)! }));
            for (int step = 1; step <= 2; step++)
            {
                Same(c, element, batch, $"TrainStep {step}", new[] { (T)NetworkModels.Call(clean, "RunTrainStep", input, target, batch)! }, Call(poisoned, () => new[] { (T)NetworkModels.Call(poisoned, "RunTrainStep", input, target, batch)! }));
                Same(c, element, batch, $"gradients after step {step}", ((IOptimizable<T>)clean).Gradients.ToArray(), ((IOptimizable<T>)poisoned).Gradients.ToArray());
                Same(c, element, batch, $"parameters after step {step}", ((IOptimizable<T>)clean).Parameters.ToArray(), ((IOptimizable<T>)poisoned).Parameters.ToArray());
            }
        }
    }

    /// <summary>Fills the model's network arena with NaN, then makes the call.</summary>
    private static T[] Call<T>(object model, Func<T[]> call)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        FieldInfo field = model.GetType().GetField("_optimNetwork", BindingFlags.NonPublic | BindingFlags.Instance)!;
        ((Arena<T>)field.GetValue(model)!).Span.Fill(T.NaN);
        return call();
    }

    private static void Same<T>(NetworkCase c, string element, int batch, string what, T[] expected, T[] actual)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(expected[i].Equals(actual[i]), $"{c.Name} ({element}, batch {batch}): {what}[{i}] is {actual[i]} with NaN in the buffers beforehand, {expected[i]} without");
        }
    }
}
