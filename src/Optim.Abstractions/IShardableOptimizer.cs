using System;
using System.Numerics;

namespace Optim;

/// <summary>
/// A generated model whose optimizer state can be held for one slice of the parameters only (ZeRO stage 1): after
/// <see cref="ShardOptimizerState"/>, <see cref="IOptimizable.Step"/> updates parameters [start, end) and nothing else,
/// and the state buffers hold those elements only, so state memory falls to the slice's share. Every generated model
/// implements it; a model whose rule cannot be sharded by element ranges throws <see cref="NotSupportedException"/>
/// naming the reason.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public interface IShardableOptimizer<T> : IOptimizable<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Slices start on multiples of this many elements (one 64-byte line: 16 floats, 8 doubles).</summary>
    int ShardAlignment { get; }

    /// <summary>Number of state buffers the rule keeps per element (Adam: 2, m and v; AMSGrad: 3; plain SGD: 0).</summary>
    int OptimizerStateBuffers { get; }

    /// <summary>First element whose state this model holds (0 unless sharded).</summary>
    int ShardStart { get; }

    /// <summary>One past the last element whose state this model holds (<see cref="IOptimizable.ParameterCount"/> unless sharded).</summary>
    int ShardEnd { get; }

    /// <summary>Bytes allocated for optimizer state (every state buffer's section, padding included).</summary>
    long OptimizerStateBytes { get; }

    /// <summary>
    /// Keeps the optimizer state of parameters [<paramref name="start"/>, <paramref name="end"/>) only and makes
    /// <see cref="IOptimizable.Step"/> update those parameters only. The model's storage is reallocated once: parameters
    /// and gradients are kept whole, state held for elements inside both the old and the new slice is kept, state of
    /// elements new to this model starts at zero (as a fresh model's). (0, ParameterCount) restores the ordinary,
    /// unsharded model. Not during <c>Step()</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The slice is empty, outside the parameters, or does not start on a multiple of <see cref="ShardAlignment"/>, or ends elsewhere than on one or at ParameterCount.</exception>
    /// <exception cref="NotSupportedException">The model's rule, its parameter groups, threads or gradient services need the whole model in one step; the message names which.</exception>
    void ShardOptimizerState(int start, int end);

    /// <summary>State buffer <paramref name="buffer"/> over the elements this model holds: element i of the slice is parameter ShardStart + i.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="buffer"/> is not in [0, <see cref="OptimizerStateBuffers"/>).</exception>
    Span<T> OptimizerState(int buffer);
}

/// <summary>The storage work behind generated <see cref="IShardableOptimizer{T}.ShardOptimizerState"/> methods.</summary>
public static class OptimizerStateShards
{
    /// <summary>
    /// Validates a slice [<paramref name="start"/>, <paramref name="end"/>) of <paramref name="count"/> parameters for a
    /// model <paramref name="owner"/> whose lines hold <paramref name="alignment"/> elements.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The slice is empty, out of range or not on line boundaries.</exception>
    public static void Validate(int start, int end, int count, int alignment, string owner)
    {
        if (start < 0 || start >= count || start % alignment != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(start), start,
                $"{owner}: a state slice starts at a multiple of {alignment} elements (one 64-byte line) inside the {count} parameters.");
        }

        if (end <= start || end > count || (end != count && end % alignment != 0))
        {
            throw new ArgumentOutOfRangeException(nameof(end), end,
                $"{owner}: a state slice starting at {start} ends after it, at a multiple of {alignment} elements or at ParameterCount ({count}).");
        }
    }

    /// <summary>Elements of one state section for a slice of <paramref name="length"/> elements: whole lines.</summary>
    public static int SectionLength(int length, int alignment) => (length + alignment - 1) / alignment * alignment;

    /// <summary>
    /// A new arena for the slice [<paramref name="start"/>, <paramref name="end"/>): the parameter and gradient sections
    /// (2 × <paramref name="stride"/> elements) copied, then <paramref name="buffers"/> state sections of whole lines, each
    /// holding the old arena's state where the old slice [<paramref name="oldStart"/>, <paramref name="oldEnd"/>) covers it
    /// and zero elsewhere.
    /// </summary>
    public static Arena<T> Reallocate<T>(Arena<T> old, int stride, int buffers, int alignment, int oldStart, int oldEnd, int start, int end, string owner)
        where T : unmanaged
    {
        int oldSection = SectionLength(oldEnd - oldStart, alignment);
        int section = SectionLength(end - start, alignment);
        var arena = new Arena<T>(checked(2 * stride + buffers * section), owner);
        old.Slice(0, 2 * stride).CopyTo(arena.Slice(0, 2 * stride));
        int from = Math.Max(start, oldStart), to = Math.Min(end, oldEnd);
        if (from < to)
        {
            for (int b = 0; b < buffers; b++)
            {
                old.Slice(2 * stride + b * oldSection + (from - oldStart), to - from)
                    .CopyTo(arena.Slice(2 * stride + b * section + (from - start), to - from));
            }
        }

        return arena;
    }
}
