using System;
using Optim.Distributed;
using Optim.Distributed.Ranks;

// Started by the distributed tests under mpirun: `mpirun -np 3 dotnet Optim.Distributed.Ranks.dll train --model hand-float ...`.
// `single` trains the same way in one process without MPI (the reference the ranks must match); `collectives` checks
// MpiWorld's collectives against a scalar oracle.
if (args.Length == 1 && args[0] == "collectives")
{
    Collectives.Check(MpiWorld.Initialize());
    return 0;
}

if (args.Length == 1 && args[0] == "mismatch")
{
    // Rank 0 broadcasts 64 bytes, the others expect 8: MPI reports the truncation, which must arrive as an MpiException.
    var job = MpiWorld.Initialize();
    try
    {
        job.Broadcast<long>(new long[job.IsRoot ? 8 : 1]);
        Console.WriteLine($"rank {job.Rank}: no error");
    }
    catch (MpiException e)
    {
        Console.WriteLine($"MpiException: {e.Message} [function {e.Function}, code {e.ErrorCode}, rank {e.Rank}]");
    }

    job.Barrier();
    return 0;
}

if (args.Length == 0 || (args[0] != "train" && args[0] != "single"))
{
    Console.Error.WriteLine("usage: Optim.Distributed.Ranks collectives | mismatch | train|single [--model hand-float|hand-double|network-float|network-double|lamb-float|clipped-float] [--steps N] " +
        "[--batch B] [--seed S] [--out DIR] [--save PATH --save-at STEP] [--resume PATH] [--fail-rank R --fail-step STEP " +
        "--fail-mode throw|die|exit] [--allocation-calls N]");
    return 2;
}

var options = TrainOptions.Parse(args[1..]);
MpiWorld? world = args[0] == "train" ? MpiWorld.Initialize() : null;
Trainer.Run(options, world);
Console.WriteLine(world == null ? "single process finished" : $"rank {world.Rank} of {world.Size} finished");
return 0;
