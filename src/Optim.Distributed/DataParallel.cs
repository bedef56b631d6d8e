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
        using (var stream = new MemoryStream(bytes, writable: false))
        {
            load(stream);
        }

        VerifyParametersAgree();
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
