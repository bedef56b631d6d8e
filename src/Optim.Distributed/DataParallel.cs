using System;
using System.IO;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Optim.Distributed;

/// <summary>
/// Data-parallel training of one model over the ranks of an <see cref="MpiWorld"/>. Every rank holds a copy of the
/// model and computes the gradient of the mean loss over its own rows of the global batch (<see cref="Shard"/>);
/// <see cref="AverageGradients"/> then leaves every rank with the mean over the whole batch, so the model's own
/// <c>Step()</c> takes the same step everywhere and the parameters stay identical on every rank, bit for bit.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>, the model's element type.</typeparam>
/// <remarks>
/// A training step on every rank: <c>ZeroGrad()</c>; forward, loss and backward on this rank's rows into the gradients;
/// <see cref="AverageGradients"/>; <c>Step()</c>. Every call here is collective: every rank makes the same calls in the
/// same order.
/// </remarks>
public sealed class DataParallel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly IOptimizable<T> _model;
    private readonly ulong[] _hashes;
    private int[]? _counts;      // ZeRO-1: every rank's number of parameters, once sharded
    private int[]? _starts;      // ZeRO-1: every rank's first parameter
    private T[] _gradientSlice = [];   // ZeRO-1: this rank's summed gradients, before they are copied into the model
    private double[] _partialSquares = [];   // ZeRO-1 with ClipGradNorm/SkipNonFinite: every rank's Σ g² over its slice
    private int[] _partialFinite = [];       // … and whether its slice was finite (1) or not (0)

    /// <summary>Wraps <paramref name="model"/> for training over <paramref name="world"/>.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither float nor double.</exception>
    public DataParallel(MpiWorld world, IOptimizable<T> model)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(model);
        _ = MpiWorld.TypeOf<T>();
        World = world;
        _model = model;
        _hashes = new ulong[world.Size];
    }

    /// <summary>The ranks this model trains over.</summary>
    public MpiWorld World { get; }

    /// <summary>This rank's rows of a global batch of <paramref name="globalBatch"/> rows: rank r gets rows [r·b, (r+1)·b), b = globalBatch / ranks.</summary>
    /// <exception cref="ArgumentException">The batch does not divide evenly among the ranks (the average of unequal shards' means would not be the batch mean).</exception>
    public (int Start, int Count) Shard(int globalBatch) => BatchShard.Of(globalBatch, World.Rank, World.Size);

    /// <summary>
    /// Replaces every rank's gradients by their mean across ranks: one all-reduce sum in place, then a division by the
    /// number of ranks. Afterwards every rank holds the same bits. Allocates nothing. With one rank it does nothing.
    /// </summary>
    public void AverageGradients()
    {
        if (World.Size == 1)
        {
            return;
        }

        Span<T> gradients = _model.Gradients;
        World.AllReduceSum(gradients);
        DivideInPlace(gradients, T.CreateChecked(World.Size));
    }

    /// <summary>Whether <see cref="ShardOptimizerState"/> was called: each rank holds the optimizer state of its own slice only.</summary>
    public bool IsSharded => _counts != null;

    /// <summary>This rank's slice of the parameters [Start, End) once sharded; the whole model before.</summary>
    public (int Start, int End) OwnSlice => _starts == null ? (0, _model.ParameterCount) : (_starts[World.Rank], _starts[World.Rank] + _counts![World.Rank]);

    /// <summary>
    /// ZeRO stage 1: each rank keeps the optimizer state for its own slice of the parameters only, so state memory per rank
    /// falls to about 1/ranks. The slices are <see cref="OptimizerStateShards.Partition{T}"/>'s, in rank order: whole 64-byte
    /// lines (16 floats, 8 doubles) as equal as lines allow, the last ending at ParameterCount; or, for rules that update
    /// whole tensors (LAMB, Adafactor, Muon, also as one parameter group among others), runs of whole tensors as equal in
    /// elements as the tensors allow. With parameter groups each group keeps the state of its part of the rank's slice; a
    /// multi-threaded Step() splits the slice between its threads. Afterwards train with <see cref="Step"/> instead of
    /// <see cref="AverageGradients"/> and the model's <c>Step()</c>. Collective. Call it after loading or broadcasting the
    /// parameters, or later: the state a rank held for its slice is kept.
    /// </summary>
    /// <exception cref="NotSupportedException">The model is not a generated <see cref="IShardableOptimizer{T}"/>, or its rule needs its whole state (ASGD's averaged views; the message names it).</exception>
    /// <exception cref="ArgumentException">The model has fewer 64-byte lines of parameters (or tensors, for a per-tensor rule) than there are ranks.</exception>
    public void ShardOptimizerState()
    {
        if (_model is not IShardableOptimizer<T> shardable)
        {
            throw new NotSupportedException(
                $"{_model.GetType().FullName} cannot shard its optimizer state: only models generated by Optim (IShardableOptimizer<{typeof(T).Name}>) can.");
        }

        int[] cuts = OptimizerStateShards.Partition(shardable, World.Size);
        var starts = new int[World.Size];
        var counts = new int[World.Size];
        for (int r = 0; r < World.Size; r++)
        {
            starts[r] = cuts[r];
            counts[r] = cuts[r + 1] - cuts[r];
        }

        shardable.ShardOptimizerState(starts[World.Rank], starts[World.Rank] + counts[World.Rank]);
        _starts = starts;
        _counts = counts;
        _gradientSlice = new T[counts[World.Rank]];
        _partialSquares = new double[World.Size];
        _partialFinite = new int[World.Size];
    }

    /// <summary>
    /// One data-parallel training step after the gradients of this rank's rows: unsharded, <see cref="AverageGradients"/>
    /// then the model's <c>Step()</c>. Sharded (<see cref="ShardOptimizerState"/>): the gradients are reduce-scattered (each
    /// rank receives the sum of its slice only) and divided by the number of ranks, each rank steps its slice, and the
    /// parameters are all-gathered, so every rank again holds the same bits. The gradients outside a rank's slice are
    /// left as this rank computed them. A model that clips by, or skips on, the gradient norm (ClipGradNorm,
    /// SkipNonFinite) is handed the whole gradient's Σ g² first: each rank's sum over its slice, all-gathered and added in
    /// rank order on every rank, and whether every slice was finite. Collective; allocates nothing.
    /// </summary>
    public void Step()
    {
        if (_counts == null)
        {
            AverageGradients();
            _model.Step();
            return;
        }

        var (start, end) = OwnSlice;
        Span<T> gradients = _model.Gradients;
        World.ReduceScatterSum(gradients, _gradientSlice, _counts);
        Span<T> mine = gradients[start..end];
        _gradientSlice.CopyTo(mine);
        if (World.Size > 1)
        {
            DivideInPlace(mine, T.CreateChecked(World.Size));
        }

        var shardable = (IShardableOptimizer<T>)_model;
        if (shardable.NeedsGlobalGradientNorm)
        {
            // ClipGradNorm / SkipNonFinite need the norm of the whole gradient: every rank's Σ g² over its slice, gathered and
            // added in rank order on every rank (the same order, so the same bits, everywhere), and every slice's finiteness.
            double partial = shardable.ShardGradientSquares(out bool finite);
            World.AllGather(partial, _partialSquares);
            World.AllGather(finite ? 1 : 0, _partialFinite);
            double squares = 0;
            bool allFinite = true;
            for (int r = 0; r < World.Size; r++)
            {
                squares += _partialSquares[r];
                allFinite &= _partialFinite[r] != 0;
            }

            shardable.SetGlobalGradientSquares(squares, allFinite);
        }

        _model.Step();
        World.AllGatherInPlace(_model.Parameters, _counts);
    }

    /// <summary>Copies rank 0's parameters to every rank (at start-up, so that every rank starts from the same values).</summary>
    public void BroadcastParameters() => World.Broadcast(_model.Parameters, root: 0);

    /// <summary>A 64-bit hash of this rank's parameters' bits (equal bits give equal hashes; any difference almost surely changes it).</summary>
    public ulong ParameterHash() => Hash(MemoryMarshal.AsBytes(_model.Parameters));

    /// <summary>
    /// Checks that every rank's parameters hash alike, and returns the hash. Collective.
    /// </summary>
    /// <exception cref="InvalidOperationException">Some rank's parameters differ from rank 0's; the message names those ranks.</exception>
    public ulong VerifyParametersAgree()
    {
        ulong mine = ParameterHash();
        World.AllGather(mine, _hashes);
        string? differing = null;
        for (int r = 1; r < _hashes.Length; r++)
        {
            if (_hashes[r] != _hashes[0])
            {
                differing = differing == null ? $"{r}" : $"{differing}, {r}";
            }
        }

        if (differing != null)
        {
            throw new InvalidOperationException(
                $"The parameters differ between ranks after {_model.StepCount} steps: rank(s) {differing} disagree with rank 0 " +
                $"(hash {_hashes[0]:x16}); seen on rank {World.Rank}.");
        }

        return mine;
    }

    /// <summary>
    /// Writes a checkpoint on rank 0 with the model's own writer (<paramref name="save"/>, e.g. <c>model.SaveCheckpoint</c>,
    /// which writes atomically) and tells every rank whether it worked. Collective: call it on every rank. Since the ranks'
    /// models are identical, rank 0's checkpoint is the ordinary single-process checkpoint and loads on any number of ranks.
    /// </summary>
    /// <exception cref="IOException">On every rank, when rank 0 could not write the checkpoint (rank 0 rethrows its own exception).</exception>
    public void SaveCheckpoint(string path, Action<string> save)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(save);
        Exception? failure = null;
        Span<int> status = [0];
        GatherState();
        if (World.IsRoot)
        {
            try
            {
                save(path);
            }
#pragma warning disable CA1031 // every failure must reach the other ranks before rank 0 rethrows it
            catch (Exception e)
#pragma warning restore CA1031
            {
                failure = e;
                status[0] = 1;
            }
        }

        if (World.IsRoot && _counts != null)
        {
            ((IShardableOptimizer<T>)_model).ShardOptimizerState(OwnSlice.Start, OwnSlice.End);   // back to its slice: the rest is freed
        }

        World.Broadcast(status, root: 0);
        if (failure != null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        if (status[0] != 0)
        {
            throw new IOException($"Rank 0 failed to write the checkpoint '{path}' (see rank 0's error); seen on rank {World.Rank}.");
        }
    }

    /// <summary>
    /// Loads a checkpoint on every rank: rank 0 reads the file and sends its bytes to the others, and every rank passes
    /// them to <paramref name="load"/> (e.g. <c>stream =&gt; model.LoadCheckpoint(stream)</c>, which validates everything
    /// before it copies anything). Only rank 0 needs to see the file. Collective: call it on every rank. Afterwards it
    /// checks that every rank holds the same parameters.
    /// </summary>
    /// <exception cref="IOException">On every rank, when rank 0 could not read the file (rank 0 rethrows its own exception).</exception>
    public void LoadCheckpoint(string path, Action<Stream> load)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(load);
        byte[]? bytes = null;
        Exception? failure = null;
        Span<long> length = [-1];
        if (World.IsRoot)
        {
            try
            {
                bytes = File.ReadAllBytes(path);
                length[0] = bytes.LongLength;
            }
#pragma warning disable CA1031 // every failure must reach the other ranks before rank 0 rethrows it
            catch (Exception e)
#pragma warning restore CA1031
            {
                failure = e;
            }
        }

        World.Broadcast(length, root: 0);
        if (failure != null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        if (length[0] < 0)
        {
            throw new IOException($"Rank 0 could not read the checkpoint '{path}' (see rank 0's error); seen on rank {World.Rank}.");
        }

        bytes ??= new byte[length[0]];
        World.Broadcast(bytes.AsSpan(), root: 0);
        var shardable = _counts == null ? null : (IShardableOptimizer<T>)_model;
        shardable?.ShardOptimizerState(0, _model.ParameterCount);   // the whole state for a moment, to load the ordinary format
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            load(stream);
        }
        finally
        {
            shardable?.ShardOptimizerState(OwnSlice.Start, OwnSlice.End);   // keep this rank's slice of what was loaded
        }

        VerifyParametersAgree();
    }

    // ZeRO-1 checkpoints: rank 0 takes the whole state back (its own slice kept in place) and gathers every other rank's
    // slice of each state buffer into it, so that the model's own writer saves the ordinary format.
    private void GatherState()
    {
        if (_counts == null)
        {
            return;
        }

        // Each rank's part of a buffer: its slice's elements, or (a rule sharded by whole tensors) its tensors' parts, which
        // follow each other in rank order as the slices do. With parameter groups a buffer is one group's, and a rank's part
        // is its slice's share of that group (possibly nothing: a count of 0). The lengths are learnt while every rank still holds its slice.
        var shardable = (IShardableOptimizer<T>)_model;
        var lengths = new int[shardable.OptimizerStateBuffers][];
        for (int b = 0; b < lengths.Length; b++)
        {
            lengths[b] = new int[World.Size];
            World.AllGather(shardable.OptimizerState(b).Length, lengths[b]);
        }

        if (World.IsRoot)
        {
            shardable.ShardOptimizerState(0, _model.ParameterCount);
        }

        for (int b = 0; b < lengths.Length; b++)
        {
            Span<T> state = shardable.OptimizerState(b);
            Span<T> mine = World.IsRoot ? state[..lengths[b][0]] : state;
            World.Gather<T>(mine, World.IsRoot ? state : Span<T>.Empty, lengths[b]);
        }
    }

    private static void DivideInPlace(Span<T> values, T divisor)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<T>.Count)
        {
            var vectorDivisor = new Vector<T>(divisor);
            Span<Vector<T>> vectors = MemoryMarshal.Cast<T, Vector<T>>(values);
            for (int v = 0; v < vectors.Length; v++)
            {
                vectors[v] /= vectorDivisor;   // IEEE division per element: the same bits as the scalar loop
            }

            i = vectors.Length * Vector<T>.Count;
        }

        for (; i < values.Length; i++)
        {
            values[i] /= divisor;
        }
    }

    // FNV-1a over 64-bit words (then the tail bytes): fast enough to run after every step in tests, and any change of a
    // parameter's bits changes the hash except with negligible probability. Not a cryptographic hash.
    private static ulong Hash(ReadOnlySpan<byte> bytes)
    {
        const ulong Prime = 0x100000001b3;
        ulong hash = 0xcbf29ce484222325;
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(bytes);
        foreach (ulong word in words)
        {
            hash = (hash ^ word) * Prime;
            hash ^= hash >> 29;
        }

        for (int i = words.Length * sizeof(ulong); i < bytes.Length; i++)
        {
            hash = (hash ^ bytes[i]) * Prime;
        }

        return hash;
    }
}
