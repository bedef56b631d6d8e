using System;
using Optim.Training;

namespace Optim.Data;

/// <summary>
/// Deterministic shuffled mini-batches over a <see cref="LabelledImages"/> set. <see cref="Shuffle"/> starts an epoch:
/// it permutes the order of the examples in place (Fisher–Yates driven by xoshiro256** from the seed, so a seed gives
/// the same batches on every machine and every run); <see cref="MoveNext"/> then copies the next batch into buffers
/// allocated once, with the constructor, so an epoch allocates nothing. The last batch of an epoch holds the remainder
/// (<see cref="Count"/> may be below <see cref="BatchSize"/>). With <see cref="FlipProbability"/> above 0 each image is
/// mirrored left to right with that probability as it is copied (a common augmentation for photographs; never for
/// digits).
/// </summary>
/// <example>
/// <code>
/// var batches = new MiniBatches(train, batchSize: 64, seed: 1);
/// for (int epoch = 0; epoch &lt; 10; epoch++)
/// {
///     batches.Shuffle();
///     while (batches.MoveNext()) model.TrainStep(batches.Inputs, batches.Targets, batches.Count);
/// }
/// </code>
/// </example>
public sealed class MiniBatches
{
    private readonly LabelledImages _data;
    private readonly int[] _order;
    private readonly float[] _inputs;
    private readonly int[] _targets;
    private Xoshiro256StarStar _random;
    private int _next;
    private double _flipProbability;

    /// <summary>Batches of <paramref name="batchSize"/> examples of <paramref name="data"/>, in its order until the first <see cref="Shuffle"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1.</exception>
    public MiniBatches(LabelledImages data, int batchSize, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _data = data;
        BatchSize = batchSize;
        _order = new int[data.Count];
        for (int i = 0; i < _order.Length; i++)
        {
            _order[i] = i;
        }

        _inputs = new float[batchSize * data.ImageSize];
        _targets = new int[batchSize];
        _random = new Xoshiro256StarStar(seed);
    }

    /// <summary>The most examples in one batch.</summary>
    public int BatchSize { get; }

    /// <summary>Batches per epoch: the examples divided by <see cref="BatchSize"/>, rounded up.</summary>
    public int BatchesPerEpoch => (_data.Count + BatchSize - 1) / BatchSize;

    /// <summary>The probability in [0, 1] that an image is mirrored left to right when copied into a batch (default 0).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside [0, 1].</exception>
    public double FlipProbability
    {
        get => _flipProbability;
        set => _flipProbability = value is >= 0 and <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The flip probability must be in [0, 1].");
    }

    /// <summary>The examples in the current batch (set by <see cref="MoveNext"/>).</summary>
    public int Count { get; private set; }

    /// <summary>The current batch's images, <see cref="Count"/> × the image size floats.</summary>
    public ReadOnlySpan<float> Inputs => _inputs.AsSpan(0, Count * _data.ImageSize);

    /// <summary>The current batch's labels, <see cref="Count"/> of them.</summary>
    public ReadOnlySpan<int> Targets => _targets.AsSpan(0, Count);

    /// <summary>The order of the examples in the current epoch.</summary>
    public ReadOnlySpan<int> Order => _order;

    /// <summary>Starts a new epoch in a new random order (the previous order, permuted again).</summary>
    public void Shuffle()
    {
        for (int i = _order.Length - 1; i > 0; i--)
        {
            // A uniform index in [0, i]: the high half of a 64 × 64-bit product (Lemire's method, bias below 2⁻³²).
            int j = (int)Math.BigMul(_random.NextUInt64(), (ulong)(i + 1), out _);
            (_order[i], _order[j]) = (_order[j], _order[i]);
        }

        _next = 0;
        Count = 0;
    }

    /// <summary>Starts the epoch again in the current order.</summary>
    public void Rewind()
    {
        _next = 0;
        Count = 0;
    }

    /// <summary>Copies the next batch into <see cref="Inputs"/> and <see cref="Targets"/>; false when the epoch is over.</summary>
    public bool MoveNext()
    {
        int remaining = _order.Length - _next;
        if (remaining <= 0)
        {
            Count = 0;
            return false;
        }

        Count = Math.Min(BatchSize, remaining);
        int size = _data.ImageSize, width = _data.Width;
        ReadOnlySpan<int> labels = _data.Labels;
        for (int b = 0; b < Count; b++)
        {
            int example = _order[_next + b];
            ReadOnlySpan<float> image = _data.Image(example);
            Span<float> destination = _inputs.AsSpan(b * size, size);
            if (_flipProbability > 0 && _random.NextDouble() < _flipProbability)
            {
                for (int row = 0; row < size; row += width)
                {
                    for (int x = 0; x < width; x++)
                    {
                        destination[row + x] = image[row + width - 1 - x];
                    }
                }
            }
            else
            {
                image.CopyTo(destination);
            }

            _targets[b] = labels[example];
        }

        _next += Count;
        return true;
    }
}
