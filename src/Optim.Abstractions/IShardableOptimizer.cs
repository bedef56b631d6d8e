using System;
using System.Numerics;

namespace Optim;

/// <summary>
/// A generated model whose optimizer state can be held for one slice of the parameters only (ZeRO stage 1): after
/// <see cref="ShardOptimizerState"/>, <see cref="IOptimizable.Step"/> updates parameters [start, end) and nothing else,
/// and the state buffers hold those elements only, so state memory falls to the slice's share. Every generated model
/// implements it. Element-wise rules (Adam, SGD, …) shard by element ranges at 64-byte line boundaries; rules with
/// per-tensor sums or matrix routines (LAMB, Adafactor, Muon: <see cref="ShardsWholeTensors"/>) shard by whole tensors,
/// a slice being a run of consecutive tensors. With parameter groups each group holds and updates the state of its part
/// of the slice; a model with any group of a whole-tensor rule shards by whole tensors. A multi-threaded Step() splits the
/// slice between its threads. A model that cannot be sharded (ASGD, whose state views read the whole buffer) throws
/// <see cref="NotSupportedException"/> naming the reason. <see cref="OptimizerStateShards.Partition{T}"/> cuts a model into balanced slices of either kind.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public interface IShardableOptimizer<T> : IOptimizable<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Slices start on multiples of this many elements (one 64-byte line: 16 floats, 8 doubles).</summary>
    int ShardAlignment { get; }

    /// <summary>
    /// Whether a slice must be a run of whole tensors (rules with per-tensor sums or matrix routines: LAMB, Adafactor,
    /// Muon, or a parameter group of one of them): it then starts and ends at <see cref="TensorBoundaries"/>, which need not
    /// be on lines. Otherwise slices are element ranges on <see cref="ShardAlignment"/>.
    /// </summary>
    bool ShardsWholeTensors { get; }

    /// <summary>
    /// Where each tensor (parameter) starts in <see cref="IOptimizable{T}.Parameters"/>, in the order they sit there
    /// (declaration order; with parameter groups, group by group), then ParameterCount: ascending.
    /// </summary>
    ReadOnlySpan<int> TensorBoundaries { get; }

    /// <summary>
    /// Number of state buffers the rule keeps (Adam: 2, m and v; AMSGrad: 3; plain SGD: 0; Adafactor: 3, per row, per column
    /// and working space); with parameter groups, every group's, group by group in the rule's order.
    /// </summary>
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
    /// <exception cref="ArgumentOutOfRangeException">The slice is empty, outside the parameters, or (element-wise rules) does not start on a multiple of <see cref="ShardAlignment"/>, or ends elsewhere than on one or at ParameterCount, or (<see cref="ShardsWholeTensors"/>) does not start and end at <see cref="TensorBoundaries"/>.</exception>
    /// <exception cref="NotSupportedException">The model's rule needs its whole state buffers (ASGD's averaged views); the message names it.</exception>
    void ShardOptimizerState(int start, int end);

    /// <summary>
    /// Whether <see cref="IOptimizable.Step"/> needs the norm of every gradient (ClipGradNorm, SkipNonFinite). Sharded, such a
    /// model sees its slice only, so before each sharded Step() it must be handed the whole gradient's Σ g² and finiteness
    /// by <see cref="SetGlobalGradientSquares"/>, made of every slice's <see cref="ShardGradientSquares"/> (DataParallel.Step
    /// does this: an all-gather of the partial sums, added in rank order on every rank).
    /// </summary>
    bool NeedsGlobalGradientNorm { get; }

    /// <summary>
    /// Σ g² over the gradients of the parameters this model holds state for (frozen ones left out, as the unsharded norm
    /// leaves them out), in double as the model's own norm computes it, and whether they are all finite.
    /// </summary>
    double ShardGradientSquares(out bool finite);

    /// <summary>
    /// The whole model's Σ g² and finiteness for the next sharded <see cref="IOptimizable.Step"/> (which uses them once, in
    /// place of its own pass over the gradients, for the clip coefficient, the non-finite skip and LastGradNorm). Ignored by a
    /// model that does not <see cref="NeedsGlobalGradientNorm"/>; an unsharded model computes its own.
    /// </summary>
    void SetGlobalGradientSquares(double squares, bool finite);

    /// <summary>
    /// State buffer <paramref name="buffer"/> over the elements this model holds: element i of the slice is parameter
    /// ShardStart + i. For a rule that <see cref="ShardsWholeTensors"/>, the held tensors' parts of the buffer one after
    /// another (a per-row buffer holds each matrix's rows, so its length need not be the slice's). With parameter groups a
    /// buffer belongs to one group and covers the slice's part of that group only (possibly nothing): the slices' views of a
    /// buffer, in slice order, make the whole model's.
    /// </summary>
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
    /// Cuts <paramref name="model"/>'s parameters into <paramref name="parts"/> consecutive slices for
    /// <see cref="IShardableOptimizer{T}.ShardOptimizerState"/>, as equal in elements as the model's boundaries allow:
    /// whole lines for element-wise rules (the last slice ends at ParameterCount), whole tensors for rules that
    /// <see cref="IShardableOptimizer{T}.ShardsWholeTensors"/> (each cut at the tensor boundary nearest to its even share,
    /// every slice at least one tensor). Returns the <paramref name="parts"/> + 1 cuts: slice r is [cuts[r], cuts[r + 1]).
    /// The same model and count give the same cuts everywhere.
    /// </summary>
    /// <exception cref="ArgumentException">The model has fewer lines (or tensors) than <paramref name="parts"/>.</exception>
    public static int[] Partition<T>(IShardableOptimizer<T> model, int parts)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parts);
        int count = model.ParameterCount;
        var cuts = new int[parts + 1];
        cuts[parts] = count;
        if (!model.ShardsWholeTensors)
        {
            int line = model.ShardAlignment;
            int lines = (count + line - 1) / line;
            if (lines < parts)
            {
                throw new ArgumentException(
                    $"{model.GetType().FullName} has {count} parameters ({lines} lines of {line}), too few to give each of {parts} slices a line.", nameof(parts));
            }

            for (int r = 1; r < parts; r++)
            {
                cuts[r] = (int)((long)lines * r / parts) * line;
            }

            return cuts;
        }

        ReadOnlySpan<int> boundaries = model.TensorBoundaries;
        int tensors = boundaries.Length - 1;
        if (tensors < parts)
        {
            throw new ArgumentException(
                $"{model.GetType().FullName} has {tensors} tensor(s), too few to give each of {parts} slices a whole tensor (its rule, or a parameter group's, updates whole tensors).", nameof(parts));
        }

        int previous = 0;   // index of the previous cut in the boundaries
        for (int r = 1; r < parts; r++)
        {
            long ideal = (long)count * r / parts;
            int best = previous + 1, last = tensors - (parts - r);   // leave a tensor for each later slice
            for (int i = best + 1; i <= last; i++)
            {
                if (Math.Abs(boundaries[i] - ideal) < Math.Abs(boundaries[best] - ideal))
                {
                    best = i;
                }
            }

            cuts[r] = boundaries[best];
            previous = best;
        }

        return cuts;
    }

    /// <summary>
    /// Validates a slice [<paramref name="start"/>, <paramref name="end"/>) of whole tensors for a model
    /// <paramref name="owner"/> whose tensors start at <paramref name="boundaries"/> (then ParameterCount); returns the
    /// indices of its first tensor and of the tensor after its last.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The slice is empty, out of range or does not start and end at tensor boundaries.</exception>
    public static (int First, int Last) ValidateTensors(int start, int end, ReadOnlySpan<int> boundaries, string owner)
    {
        int first = boundaries.IndexOf(start), last = boundaries.IndexOf(end);
        if (first < 0 || first == boundaries.Length - 1)
        {
            throw new ArgumentOutOfRangeException(nameof(start), start,
                $"{owner}: its rule (or a parameter group's) updates whole tensors, so a state slice starts where a tensor starts ({string.Join(", ", boundaries[..^1].ToArray())}).");
        }

        if (last <= first)
        {
            throw new ArgumentOutOfRangeException(nameof(end), end,
                $"{owner}: its rule (or a parameter group's) updates whole tensors, so a state slice starting at {start} ends after it where a tensor ends ({string.Join(", ", boundaries[1..].ToArray())}).");
        }

        return (first, last);
    }

    /// <summary>
    /// Where the held part of one state buffer lies in the buffer of the whole model: <c>Before</c> elements of the buffer
    /// belong to what lies before the slice [<paramref name="start"/>, <paramref name="end"/>), <c>Held</c> to the slice.
    /// <paramref name="lengths"/> holds each tensor's elements in that buffer (0 for a tensor of another parameter group). A
    /// tensor that the slice cuts counts element by element: only a buffer with one element per parameter (an element-wise
    /// rule's) may be cut, which the slice validation ensures.
    /// </summary>
    public static (int Before, int Held) TensorState(ReadOnlySpan<int> boundaries, ReadOnlySpan<int> lengths, int start, int end)
    {
        int before = 0, held = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            int from = boundaries[i], to = boundaries[i + 1];
            if (to <= start)
            {
                before += lengths[i];
            }
            else if (from >= end || lengths[i] == 0)
            {
                continue;
            }
            else if (start <= from && to <= end)
            {
                held += lengths[i];
            }
            else
            {
                // Cut by the slice: an element-wise tensor, one state element per parameter.
                before += Math.Max(0, start - from);
                held += Math.Min(to, end) - Math.Max(from, start);
            }
        }

        return (before, held);
    }

    /// <summary>
    /// A new arena for the slice [<paramref name="start"/>, <paramref name="end"/>) of a model whose state buffers may
    /// belong to several parameter groups: <paramref name="lengths"/>[b][i] is tensor i's elements in buffer b (0 when
    /// tensor i is not in buffer b's group). With <paramref name="wholeTensors"/> the slice must start and end at
    /// <paramref name="boundaries"/> (a model with a group whose rule updates whole tensors); otherwise it is an element
    /// range on lines of <paramref name="alignment"/> elements (ending on one or at ParameterCount), and each group holds the
    /// state of its elements inside it. Each buffer's section holds the slice's part of the buffer, in whole lines, keeping
    /// the old arena's state of what both the old slice [<paramref name="oldStart"/>, <paramref name="oldEnd"/>) and the new
    /// one cover, zero elsewhere; <paramref name="bases"/>[b] receives where buffer b's section starts less the state before
    /// the slice (element k of the whole model's buffer b is at bases[b] + k). The whole model's slice gives the ordinary
    /// layout: the sections one after another, in the order of <paramref name="lengths"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The slice is empty, out of range, or not on the boundaries it must respect.</exception>
    public static Arena<T> ReallocateSections<T>(Arena<T> old, int stride, int alignment, int[] boundaries, int[][] lengths, bool wholeTensors,
        int oldStart, int oldEnd, int start, int end, Span<int> bases, string owner)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(boundaries);
        ArgumentNullException.ThrowIfNull(lengths);
        if (wholeTensors)
        {
            ValidateTensors(start, end, boundaries, owner);
        }
        else
        {
            Validate(start, end, boundaries[^1], alignment, owner);
        }

        return MoveSections(old, stride, alignment, boundaries, lengths, oldStart, oldEnd, start, end, bases, owner);
    }

    private static Arena<T> MoveSections<T>(Arena<T> old, int stride, int alignment, int[] boundaries, int[][] lengths,
        int oldStart, int oldEnd, int start, int end, Span<int> bases, string owner)
        where T : unmanaged
    {
        int from = Math.Max(start, oldStart), to = Math.Min(end, oldEnd);
        long total = 2L * stride;
        for (int b = 0; b < lengths.Length; b++)
        {
            total += SectionLength(TensorState(boundaries, lengths[b], start, end).Held, alignment);
        }

        var arena = new Arena<T>(checked((int)total), owner);
        old.Slice(0, 2 * stride).CopyTo(arena.Slice(0, 2 * stride));
        int oldAt = 2 * stride, at = 2 * stride;
        for (int b = 0; b < lengths.Length; b++)
        {
            var (oldBefore, oldHeld) = TensorState(boundaries, lengths[b], oldStart, oldEnd);
            var (before, held) = TensorState(boundaries, lengths[b], start, end);
            if (from < to)
            {
                var (kept, keptHeld) = TensorState(boundaries, lengths[b], from, to);
                old.Slice(oldAt + (kept - oldBefore), keptHeld).CopyTo(arena.Slice(at + (kept - before), keptHeld));
            }

            bases[b] = at - before;
            oldAt += SectionLength(oldHeld, alignment);
            at += SectionLength(held, alignment);
        }

        return arena;
    }
}
