using System;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Optim.Generators.Tests.Networks;

/// <summary>
/// Networks that exercise every network kernel on sizes that leave vector tails, with fixed pseudo-random parameters,
/// inputs and targets: shared by the zero-allocation test and the SIMD-width probe (which hashes their results under
/// each DOTNET_Enable* setting).
/// </summary>
internal sealed class NetworkWorkout<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>(network, input shape, loss): together every op, every activation and every loss.</summary>
    public static readonly (string Spec, int[] Input, string Loss)[] Cases =
    [
        ("conv2d:2:3:3:2:1,gelu,max_pool2d:2,flatten,linear:12:19,layer_norm:19,silu,dropout:0.25:7,res(linear:19:19;tanh;linear:19:19),leaky_relu:0.1,linear:19:5", [3, 2, 9, 9], "cross_entropy"),
        ("conv2d:3:4:2:1:0,sigmoid,avg_pool2d:3,flatten,linear:36:37,gelu_tanh,linear:37:3", [2, 3, 10, 10], "smooth_l1"),
        ("embedding:20:6,flatten,linear:24:17,relu,linear:17:7", [5, 4], "bce_logits"),
        ("linear:33:35,relu,linear:35:2", [7, 33], "mse"),
        ("linear:5:9,tanh,linear:9:1", [3, 5], "l1"),
    ];

    private readonly T[] _target;
    private readonly int[] _classes;
    private readonly PlainAdam<T> _adam;

    public NetworkWorkout(int index)
    {
        var (spec, input, loss) = Cases[index];
        Loss = loss;
        Network = new Network<T>(spec, input);
        var random = new Random(100 + index);
        foreach (NetworkParameter<T> p in Network.Parameters)
        {
            Fill(p.Value, random, 0.5);
        }

        Fill(Network.Input, random, 1.5);
        for (int i = 0; i < Network.Indices.Length; i++)
        {
            Network.Indices[i] = random.Next(20);
        }

        int outputs = Network.Output.Length;
        int batch = Network.OutputShape[0];
        _classes = new int[batch];
        for (int i = 0; i < batch; i++)
        {
            _classes[i] = random.Next(Network.OutputShape[^1]);
        }

        _target = new T[outputs];
        for (int i = 0; i < outputs; i++)
        {
            _target[i] = loss == "bce_logits" ? T.CreateTruncating(random.Next(2)) : T.CreateTruncating((random.NextDouble() * 4) - 2);
        }

        _adam = new PlainAdam<T>(Network.Parameters, 0.01);
    }

    public Network<T> Network { get; }

    public string Loss { get; }

    /// <summary>One training step: zero the gradients, forward, loss, backward, Adam. Returns the loss.</summary>
    public double Step()
    {
        Network.ZeroGrad();
        Network.Forward();
        double loss = Network.Loss(Loss, _target, _classes);
        Network.Backward();
        _adam.Step();
        return loss;
    }

    /// <summary>Three steps of every case; each step's loss, output and gradients and the final parameters go to <paramref name="sink"/> as bytes.</summary>
    public static void HashAll(Action<ReadOnlySpan<byte>> sink)
    {
        for (int c = 0; c < Cases.Length; c++)
        {
            var workout = new NetworkWorkout<T>(c);
            for (int step = 0; step < 3; step++)
            {
                double loss = workout.Step();
                sink(MemoryMarshal.AsBytes(new ReadOnlySpan<double>(in loss)));
                sink(MemoryMarshal.AsBytes(workout.Network.Output));
                foreach (NetworkParameter<T> p in workout.Network.Parameters)
                {
                    sink(MemoryMarshal.AsBytes(p.Grad.AsSpan()));
                }
            }

            foreach (NetworkParameter<T> p in workout.Network.Parameters)
            {
                sink(MemoryMarshal.AsBytes(p.Value.AsSpan()));
            }
        }
    }

    private static void Fill(Span<T> values, Random random, double scale)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = T.CreateTruncating(((random.NextDouble() * 2) - 1) * scale);
        }
    }
}
