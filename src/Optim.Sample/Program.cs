using System;
using System.IO;
using Optim.Sample;

// Entry point: `dotnet run --project src/Optim.Sample [command]`. Add new commands to this switch and to Usage.
string command = args.Length > 0 ? args[0] : "train";
return command switch
{
    "train" when args.Length <= 1 => TrainCommand.Run(),
    "train" or "--checkpoint" when CheckpointArguments(args) is var (path, epochs) && path is not null => Optim.Sample.Checkpoints.CheckpointCommand.Run(path, epochs),
    "custom" when args.Length <= 1 => Optim.Sample.CustomRules.CustomCommand.Run(),
    "race" when args.Length <= 2 => Optim.Sample.Race.RaceCommand.Run(args.Length == 2 ? args[1] : null),
    "help" or "--help" or "-h" => Usage(Console.Out, exitCode: 0),
    _ => UnknownCommand(args),
};

// [train] --checkpoint PATH [--epochs N]
static (string? Path, int Epochs) CheckpointArguments(string[] args)
{
    string? path = null;
    int epochs = int.MaxValue;
    for (int i = args[0] == "train" ? 1 : 0; i < args.Length; i += 2)
    {
        if (i + 1 >= args.Length)
        {
            return (null, 0);
        }

        switch (args[i])
        {
            case "--checkpoint":
                path = args[i + 1];
                break;
            case "--epochs" when int.TryParse(args[i + 1], out int n) && n > 0:
                epochs = n;
                break;
            default:
                return (null, 0);
        }
    }

    return (path, epochs);
}

static int UnknownCommand(string[] args)
{
    Console.Error.WriteLine($"Unknown command line: {string.Join(' ', args)}");
    Console.Error.WriteLine();
    return Usage(Console.Error, exitCode: 2);
}

static int Usage(TextWriter writer, int exitCode)
{
    writer.WriteLine("Usage: Optim.Sample [command] [argument]");
    writer.WriteLine();
    writer.WriteLine("Commands:");
    writer.WriteLine("  train   Train a 10 -> 5 -> 1 MLP with every optimizer and compare them (default).");
    writer.WriteLine("  train --checkpoint PATH [--epochs N]");
    writer.WriteLine("          Train it with Adam (gradients clipped, non-finite steps skipped), saving a checkpoint");
    writer.WriteLine("          to PATH after every epoch; resume from PATH if it exists. --epochs N stops after epoch N.");
    writer.WriteLine("  custom  Train it with optimizers written in C# ([UpdateRule]: SimpleSGD, a naive Adam, Lion)");
    writer.WriteLine("          beside the built-in ones they reproduce.");
    writer.WriteLine("  race [folder]  Race every optimizer down six test surfaces; writes race.html and race.svg");
    writer.WriteLine("                 to the folder (default ./race-output).");
    writer.WriteLine("  help    Show this message.");
    return exitCode;
}
