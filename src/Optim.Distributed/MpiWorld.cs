using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace Optim.Distributed;

/// <summary>
/// The processes of one MPI job (<c>MPI_COMM_WORLD</c>): this process's rank, the number of ranks and the collectives
/// Optim.Distributed needs, over Open MPI's C library. One per process: <see cref="Initialize"/> starts MPI (or joins
/// an MPI that the host already started) and MPI ends when the process exits.
/// </summary>
/// <remarks>
/// <para>Every failed MPI call throws <see cref="MpiException"/> naming the call, MPI's error and this rank (MPI's error
/// handler is set to <c>MPI_ERRORS_RETURN</c>, so no call aborts the process on its own).</para>
/// <para>A rank must not leave the others waiting in a collective. So an unhandled exception on any rank prints
/// <c>Optim.Distributed: rank r of n failed: …</c> and calls <c>MPI_Abort</c>, and a process that exits with a non-zero
/// exit code aborts the job the same way; <c>mpirun</c> then stops every rank and reports the rank
/// (<c>MPI_ABORT was invoked on rank 1 …</c>). A rank that dies (killed, crashed) is reported by <c>mpirun</c>, which
/// stops the others (<c>mpirun noticed that process rank 1 … exited on signal 9</c>).</para>
/// <para>Calls are serialized: MPI is initialised with <c>MPI_THREAD_SERIALIZED</c>, so any thread may call, one at a time.</para>
/// </remarks>
public sealed unsafe class MpiWorld
{
    private static readonly object Gate = new();
    private static MpiWorld? _current;
    private byte[] _scratch = [];   // ReduceScatterSum's second receive buffer (pinned), grown when needed
    private int _finished;   // 1 once MPI_Finalize or MPI_Abort has been called

    // A duplicate of MPI_COMM_WORLD: our collectives and ring messages never match the program's own MPI messages.
    private readonly nint _comm;

    private MpiWorld(int rank, int size, bool ownsMpi, nint comm)
    {
        _comm = comm;
        Rank = rank;
        Size = size;
        OwnsMpi = ownsMpi;
    }

    /// <summary>This process's rank, 0 to <see cref="Size"/> − 1.</summary>
    public int Rank { get; }

    /// <summary>The number of ranks in the job.</summary>
    public int Size { get; }

    /// <summary>True on rank 0, the rank that writes checkpoints and whose parameters <see cref="DataParallel{T}.BroadcastParameters"/> sends.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>True when <see cref="Initialize"/> started MPI (and so finalizes it at exit); false when the host had.</summary>
    public bool OwnsMpi { get; }

    /// <summary>
    /// Starts MPI if this process has not, and returns the world. Call it once at start-up on every rank (later calls
    /// return the same object). A program started without <c>mpirun</c> runs as a job of one rank.
    /// </summary>
    /// <exception cref="DllNotFoundException">MPI is not installed (the message says how to install it).</exception>
    /// <exception cref="InvalidOperationException">MPI was already finalized in this process; it cannot start again.</exception>
    /// <exception cref="MpiException">MPI failed to start.</exception>
    public static MpiWorld Initialize()
    {
        lock (Gate)
        {
            if (_current != null)
            {
                return _current;
            }

            MpiNative.Load();
            int flag;
            Check(MpiNative.Finalized(&flag), "MPI_Finalized", -1, -1);
            if (flag != 0)
            {
                throw new InvalidOperationException("MPI was finalized in this process; MPI cannot be started again.");
            }

            Check(MpiNative.Initialized(&flag), "MPI_Initialized", -1, -1);
            bool owns = flag == 0;
            if (owns)
            {
                int provided;
                Check(MpiNative.InitThread(null, null, MpiNative.ThreadSerialized, &provided), "MPI_Init_thread", -1, -1);
            }

            Check(MpiNative.CommSetErrhandler(MpiNative.CommWorld, MpiNative.ErrorsReturn), "MPI_Comm_set_errhandler", -1, -1);
            int rank, size;
            Check(MpiNative.CommRank(MpiNative.CommWorld, &rank), "MPI_Comm_rank", -1, -1);
            Check(MpiNative.CommSize(MpiNative.CommWorld, &size), "MPI_Comm_size", rank, -1);

            nint comm;
            Check(MpiNative.CommDup(MpiNative.CommWorld, &comm), "MPI_Comm_dup", rank, size);
            Check(MpiNative.CommSetErrhandler(comm, MpiNative.ErrorsReturn), "MPI_Comm_set_errhandler", rank, size);
            var world = new MpiWorld(rank, size, owns, comm);
            AppDomain.CurrentDomain.UnhandledException += world.OnUnhandledException;
            AppDomain.CurrentDomain.ProcessExit += world.OnProcessExit;
            _current = world;
            return world;
        }
    }

    /// <summary>Waits until every rank has called it (<c>MPI_Barrier</c>).</summary>
    public void Barrier() => Check(MpiNative.Barrier(_comm), "MPI_Barrier");

    /// <summary>
    /// Sums <paramref name="values"/> element by element across ranks, in place (<c>MPI_Allreduce</c> with
    /// <c>MPI_IN_PLACE</c> and <c>MPI_SUM</c>): afterwards every rank holds the same sums. Every rank passes a span of the
    /// same length. Allocates nothing.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    public void AllReduceSum<T>(Span<T> values)
        where T : unmanaged
    {
        nint type = TypeOf<T>();
        fixed (T* pointer = values)
        {
            Check(MpiNative.Allreduce(MpiNative.InPlace, pointer, values.Length, type, MpiNative.Sum, _comm), "MPI_Allreduce");
        }
    }

    /// <summary>
    /// Sums <paramref name="input"/> (<see cref="Size"/> blocks of <c>output.Length</c> elements) element by element across
    /// ranks and leaves block <see cref="Rank"/> of the sum in <paramref name="output"/>: half of an all-reduce's traffic,
    /// the first half of ZeRO's gradient exchange. A ring over <c>MPI_Sendrecv</c>: in n − 1 rounds each rank passes a
    /// running sum of one block to the next rank and adds its own part of the block it receives, so each rank sends and
    /// receives (n − 1)/n of the buffer. (Open MPI 4.1's <c>MPI_Reduce_scatter</c> was 5 to 10 times slower than this at
    /// 10 M floats, with each of its algorithms.) Every rank's block is summed in a fixed order: deterministic. Allocates
    /// nothing once its scratch buffer has grown to a block.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <exception cref="ArgumentException"><paramref name="input"/> is not <see cref="Size"/> × <c>output.Length</c> long, or the spans overlap.</exception>
    public void ReduceScatterSum<T>(ReadOnlySpan<T> input, Span<T> output)
        where T : unmanaged, INumberBase<T>
    {
        nint type = TypeOf<T>();
        int block = output.Length;
        if ((long)block * Size != input.Length)
        {
            throw new ArgumentException(
                $"ReduceScatterSum needs input of ranks × block = {Size} × {block} elements, but input has {input.Length}.", nameof(input));
        }

        if (input.Overlaps(output))
        {
            throw new ArgumentException("ReduceScatterSum's output must not overlap its input.", nameof(output));
        }

        if (Size == 1)
        {
            input.CopyTo(output);
            return;
        }

        int bytes = checked(block * sizeof(T));
        if (Size > 2 && _scratch.Length < bytes)
        {
            _scratch = GC.AllocateUninitializedArray<byte>(bytes, pinned: true);
        }

        Span<T> scratch = MemoryMarshal.Cast<byte, T>(_scratch.AsSpan(0, Size > 2 ? bytes : 0));
        int right = (Rank + 1) % Size, left = (Rank + Size - 1) % Size;
        fixed (T* source = input)
        fixed (T* result = output)
        fixed (T* spare = scratch)
        {
            // Round s receives the running sum of block (rank − s − 2) mod n; the last round's block is this rank's own and
            // lands in output. Receive buffers alternate so that a round never receives into the buffer it sends from.
            T* sending = source + (long)Modulo(Rank - 1) * block;
            for (int s = 0; s < Size - 1; s++)
            {
                T* receiving = (Size - 2 - s) % 2 == 0 ? result : spare;
                Check(MpiNative.Sendrecv(sending, block, type, right, 0, receiving, block, type, left, 0, _comm, null), "MPI_Sendrecv");
                AddInPlace(new Span<T>(receiving, block), new ReadOnlySpan<T>(source + (long)Modulo(Rank - s - 2) * block, block));
                sending = receiving;
            }
        }
    }

    /// <summary>
    /// Gathers every rank's block into <paramref name="values"/> in place (<c>MPI_Allgather</c> with <c>MPI_IN_PLACE</c>):
    /// <paramref name="values"/> holds <see cref="Size"/> blocks of equal length, this rank supplies block
    /// <see cref="Rank"/>, and afterwards every rank holds all of them; ZeRO's parameter exchange. Allocates nothing.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="values"/>' length is not a multiple of <see cref="Size"/>.</exception>
    public void AllGatherInPlace<T>(Span<T> values)
        where T : unmanaged
    {
        if (values.Length % Size != 0)
        {
            throw new ArgumentException($"AllGatherInPlace needs a length divisible by the {Size} ranks, but the span has {values.Length} elements.", nameof(values));
        }

        long blockBytes = (long)(values.Length / Size) * sizeof(T);
        if (blockBytes > int.MaxValue)
        {
            throw new ArgumentException($"AllGatherInPlace moves at most {int.MaxValue} bytes per rank; a block here has {blockBytes}.", nameof(values));
        }

        fixed (T* pointer = values)
        {
            Check(MpiNative.Allgather((void*)MpiNative.InPlace, 0, MpiNative.Byte, pointer, (int)blockBytes, MpiNative.Byte, _comm), "MPI_Allgather");
        }
    }

    /// <summary>
    /// <see cref="ReduceScatterSum{T}(ReadOnlySpan{T}, Span{T})"/> with blocks of unequal lengths: <paramref name="input"/>
    /// holds rank r's block of <paramref name="counts"/>[r] elements after the blocks of the ranks before it, and
    /// <paramref name="output"/> (<paramref name="counts"/>[<see cref="Rank"/>] elements) receives the sum of this rank's
    /// block. The same ring, summing each block in a fixed order (deterministic); ZeRO's gradient exchange when the
    /// parameters do not divide evenly among the ranks. Allocates nothing once its scratch buffer has grown.
    /// </summary>
    /// <exception cref="ArgumentException">The counts are not one per rank, negative, or do not add up to the input's length; the output's length is not this rank's count; the spans overlap.</exception>
    public void ReduceScatterSum<T>(ReadOnlySpan<T> input, Span<T> output, ReadOnlySpan<int> counts)
        where T : unmanaged, INumberBase<T>
    {
        nint type = TypeOf<T>();
        long total = CheckCounts(counts, "ReduceScatterSum");
        if (total != input.Length || output.Length != counts[Rank])
        {
            throw new ArgumentException(
                $"ReduceScatterSum needs input of {total} elements (the counts' sum) and output of {counts[Rank]} (rank {Rank}'s count); got {input.Length} and {output.Length}.", nameof(input));
        }

        if (input.Overlaps(output))
        {
            throw new ArgumentException("ReduceScatterSum's output must not overlap its input.", nameof(output));
        }

        if (Size == 1)
        {
            input.CopyTo(output);
            return;
        }

        int max = 0;
        Span<long> offsets = Size <= 256 ? stackalloc long[Size] : new long[Size];
        for (int r = 0, offset = 0; r < Size; offset += counts[r], r++)
        {
            offsets[r] = offset;
            max = Math.Max(max, counts[r]);
        }

        int bytes = Size > 2 ? checked(2 * max * sizeof(T)) : 0;
        if (_scratch.Length < bytes)
        {
            _scratch = GC.AllocateUninitializedArray<byte>(bytes, pinned: true);
        }

        int right = (Rank + 1) % Size, left = (Rank + Size - 1) % Size;
        fixed (T* source = input)
        fixed (T* result = output)
        fixed (byte* spare = _scratch)
        {
            // As the even ring, but the running sums of other ranks' blocks go to two scratch halves in turn (a block
            // may be longer than this rank's output); the last round's block is this rank's own and lands in output.
            int first = Modulo(Rank - 1);
            T* sending = source + offsets[first];
            int sendCount = counts[first];
            for (int s = 0; s < Size - 1; s++)
            {
                int block = Modulo(Rank - s - 2);
                int count = counts[block];
                T* receiving = s == Size - 2 ? result : (T*)spare + (s % 2) * max;
                Check(MpiNative.Sendrecv(sending, sendCount, type, right, 0, receiving, count, type, left, 0, _comm, null), "MPI_Sendrecv");
                AddInPlace(new Span<T>(receiving, count), new ReadOnlySpan<T>(source + offsets[block], count));
                sending = receiving;
                sendCount = count;
            }
        }
    }

    /// <summary>
    /// Gathers every rank's block into <paramref name="values"/> in place (<c>MPI_Allgatherv</c> with
    /// <c>MPI_IN_PLACE</c>): rank r's block is <paramref name="counts"/>[r] elements after the blocks of the ranks before it,
    /// this rank supplies its own, and afterwards every rank holds all of them. ZeRO's parameter exchange for unequal slices.
    /// </summary>
    /// <exception cref="ArgumentException">The counts are not one per rank, negative, or do not add up to the span's length.</exception>
    public void AllGatherInPlace<T>(Span<T> values, ReadOnlySpan<int> counts)
        where T : unmanaged
    {
        long total = CheckCounts(counts, "AllGatherInPlace");
        if (total != values.Length)
        {
            throw new ArgumentException($"AllGatherInPlace's counts add up to {total}, but the span has {values.Length} elements.", nameof(values));
        }

        Span<int> displacements = Size <= 256 ? stackalloc int[Size] : new int[Size];
        for (int r = 0, offset = 0; r < Size; offset += counts[r], r++)
        {
            displacements[r] = offset;
        }

        fixed (T* pointer = values)
        fixed (int* countPointer = counts)
        fixed (int* displacementPointer = displacements)
        {
            Check(MpiNative.Allgatherv((void*)MpiNative.InPlace, 0, TypeOf<T>(), pointer, countPointer, displacementPointer, TypeOf<T>(), _comm), "MPI_Allgatherv");
        }
    }

    /// <summary>
    /// Gathers every rank's <paramref name="block"/> into <paramref name="all"/> on rank <paramref name="root"/>
    /// (<c>MPI_Gatherv</c>): rank r's block lands <paramref name="counts"/>[r] elements long after the blocks of the ranks
    /// before it. On the root, <paramref name="block"/> must be its own part of <paramref name="all"/> (sent in place); on
    /// the other ranks <paramref name="all"/> is not read and may be empty.
    /// </summary>
    /// <exception cref="ArgumentException">The counts are wrong, or a span's length does not match them.</exception>
    public void Gather<T>(ReadOnlySpan<T> block, Span<T> all, ReadOnlySpan<int> counts, int root = 0)
        where T : unmanaged
    {
        long total = CheckCounts(counts, "Gather");
        if (block.Length != counts[Rank] || (Rank == root && all.Length != total))
        {
            throw new ArgumentException($"Gather needs this rank's block of {counts[Rank]} elements and, on the root, {total} elements to gather into; got {block.Length} and {all.Length}.", nameof(block));
        }

        Span<int> displacements = Size <= 256 ? stackalloc int[Size] : new int[Size];
        for (int r = 0, offset = 0; r < Size; offset += counts[r], r++)
        {
            displacements[r] = offset;
        }

        nint type = TypeOf<T>();
        fixed (T* send = block)
        fixed (T* receive = all)
        fixed (int* countPointer = counts)
        fixed (int* displacementPointer = displacements)
        {
            void* source = Rank == root ? (void*)MpiNative.InPlace : send;
            Check(MpiNative.Gatherv(source, block.Length, type, receive, countPointer, displacementPointer, type, root, _comm), "MPI_Gatherv");
        }
    }

    private long CheckCounts(ReadOnlySpan<int> counts, string operation)
    {
        if (counts.Length != Size)
        {
            throw new ArgumentException($"{operation} needs one count per rank ({Size}), but got {counts.Length}.", nameof(counts));
        }

        long total = 0;
        foreach (int count in counts)
        {
            if (count < 0)
            {
                throw new ArgumentException($"{operation}'s counts must not be negative; got {count}.", nameof(counts));
            }

            total += count;
        }

        if (total > int.MaxValue)
        {
            throw new ArgumentException($"{operation} moves at most {int.MaxValue} elements in all; the counts add up to {total}.", nameof(counts));
        }

        return total;
    }

    /// <summary>
    /// Gathers one value from every rank: afterwards <paramref name="all"/>[r] holds rank r's <paramref name="value"/>
    /// (<c>MPI_Allgather</c>). <paramref name="all"/> has <see cref="Size"/> elements.
    /// </summary>
    public void AllGather<T>(T value, Span<T> all)
        where T : unmanaged
    {
        if (all.Length != Size)
        {
            throw new ArgumentException($"AllGather needs one element per rank ({Size}), but the span has {all.Length}.", nameof(all));
        }

        fixed (T* target = all)
        {
            Check(MpiNative.Allgather(&value, sizeof(T), MpiNative.Byte, target, sizeof(T), MpiNative.Byte, _comm), "MPI_Allgather");
        }
    }

    /// <summary>Copies <paramref name="values"/> from rank <paramref name="root"/> to every other rank (<c>MPI_Bcast</c>). Allocates nothing.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="root"/> is not a rank.</exception>
    public void Broadcast<T>(Span<T> values, int root = 0)
        where T : unmanaged
    {
        if ((uint)root >= (uint)Size)
        {
            throw new ArgumentOutOfRangeException(nameof(root), root, $"The root must be a rank, 0 to {Size - 1}.");
        }

        Span<byte> bytes = MemoryMarshal.AsBytes(values);
        const int Chunk = 1 << 30;
        fixed (byte* pointer = bytes)
        {
            for (long offset = 0; offset < bytes.Length; offset += Chunk)
            {
                int count = (int)Math.Min(Chunk, bytes.Length - offset);
                Check(MpiNative.Bcast(pointer + offset, count, MpiNative.Byte, root, _comm), "MPI_Bcast");
            }
        }
    }

    /// <summary>
    /// Ends the whole job at once (<c>MPI_Abort</c>): every rank stops, and <c>mpirun</c> exits with
    /// <paramref name="errorCode"/> and names this rank. Use it when this rank cannot go on; it does not return.
    /// </summary>
    public void Abort(int errorCode)
    {
        Interlocked.Exchange(ref _finished, 1);
        Console.Out.Flush();
        Console.Error.Flush();
        MpiNative.Abort(MpiNative.CommWorld, errorCode);
        Environment.Exit(errorCode);   // MPI_Abort does not return when it succeeds
    }

    /// <summary>
    /// Finalizes MPI now (<c>MPI_Finalize</c>; collective: every rank calls it). Optional: MPI is finalized when the
    /// process exits with code 0. No MPI call may follow.
    /// </summary>
    public void Shutdown()
    {
        if (Interlocked.Exchange(ref _finished, 1) == 0 && OwnsMpi)
        {
            Check(MpiNative.Finalize(), "MPI_Finalize");
        }
    }

    private int Modulo(int value) => ((value % Size) + Size) % Size;

    private static void AddInPlace<T>(Span<T> sums, ReadOnlySpan<T> values)
        where T : unmanaged, INumberBase<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && sums.Length >= Vector<T>.Count)
        {
            Span<Vector<T>> target = MemoryMarshal.Cast<T, Vector<T>>(sums);
            ReadOnlySpan<Vector<T>> source = MemoryMarshal.Cast<T, Vector<T>>(values);
            for (int v = 0; v < target.Length; v++)
            {
                target[v] += source[v];   // IEEE addition per element: the same bits as the scalar loop
            }

            i = target.Length * Vector<T>.Count;
        }

        for (; i < sums.Length; i++)
        {
            sums[i] += values[i];
        }
    }

    internal static nint TypeOf<T>()
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return MpiNative.Float;
        }

        if (typeof(T) == typeof(double))
        {
            return MpiNative.Double;
        }

        throw new NotSupportedException($"MPI reductions here work on float and double, not {typeof(T).Name}.");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Check(int code, string function)
    {
        if (code != MpiNative.Success)
        {
            throw new MpiException(function, code, Rank, Size);
        }
    }

    private static void Check(int code, string function, int rank, int size)
    {
        if (code != MpiNative.Success)
        {
            throw new MpiException(function, code, rank, size);
        }
    }

    private void OnUnhandledException(object sender, UnhandledExceptionEventArgs e)
    {
        if (Volatile.Read(ref _finished) != 0)
        {
            return;
        }

        Console.Error.WriteLine($"Optim.Distributed: rank {Rank} of {Size} failed: {e.ExceptionObject}");
        Abort(1);
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
        if (Volatile.Read(ref _finished) != 0)
        {
            return;
        }

        int code = Environment.ExitCode;
        if (code != 0)
        {
            Console.Error.WriteLine($"Optim.Distributed: rank {Rank} of {Size} exited with code {code}; aborting the job.");
            Abort(code);
        }

        if (Interlocked.Exchange(ref _finished, 1) == 0 && OwnsMpi)
        {
            MpiNative.Finalize();
        }
    }
}
