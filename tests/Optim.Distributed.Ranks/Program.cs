using System;
using Optim.Distributed;
using Optim.Distributed.Ranks;

// Started by the distributed tests under mpirun: `mpirun -np 3 dotnet Optim.Distributed.Ranks.dll train --model hand-float ...`.
if (args.Length == 0 || args[0] != "train")
{
    Console.Error.WriteLine("usage: Optim.Distributed.Ranks train [--model hand-float|hand-double] [--steps N] [--batch B] [--seed S] [--out DIR] " +
        "[--save PATH --save-at STEP] [--resume PATH] [--fail-rank R --fail-step STEP --fail-mode throw|die|exit] [--allocation-calls N]");
    return 2;
}

var options = TrainOptions.Parse(args[1..]);
var world = MpiWorld.Initialize();
Trainer.Run(options, world);
Console.WriteLine($"rank {world.Rank} of {world.Size} finished");
return 0;
