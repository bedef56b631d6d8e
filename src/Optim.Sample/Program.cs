using System;
using System.CommandLine;
using System.Linq;
using Optim.Sample;
using Optim.Sample.Classification;

// Entry point: `dotnet run --project src/Optim.Sample [command]`, parsed by System.CommandLine. With no command the
// sample runs `train`. A command line it does not accept prints its errors and the usage to stderr and exits with 2.
var checkpoint = new Option<string?>("--checkpoint") { Description = "Train with Adam under the training services, saving a checkpoint to PATH after every epoch; resume from PATH if it exists.", HelpName = "PATH" };
var checkpointEpochs = new Option<int?>("--epochs") { Description = "With --checkpoint: stop after epoch N.", HelpName = "N" };
checkpointEpochs.Validators.Add(result => Positive(result.GetValue(checkpointEpochs), result));

var train = new Command("train", "Train a 10 -> 5 -> 1 MLP with every optimizer and compare them, then a digits classifier (default).");
var custom = new Command("custom", "Train the MLP with optimizers written in C# ([UpdateRule]: SimpleSGD, a naive Adam, Lion) beside the built-in ones they reproduce.");
var folder = new Argument<string?>("folder") { Description = "Where race.html and race.svg go (default ./race-output).", Arity = ArgumentArity.ZeroOrOne };
var race = new Command("race", "Race every optimizer down six test surfaces; writes race.html and race.svg.") { folder };

var data = new Option<string?>("--data") { Description = "The folder of Fashion-MNIST's IDX files (default " + Optim.Data.FashionMnist.DefaultFolder + ", Debian package " + Optim.Data.FashionMnist.DebianPackage + ").", HelpName = "DIR" };
var fashionEpochs = new Option<int?>("--epochs") { Description = "Epochs per model (default: mlp 10, cnn 20).", HelpName = "N" };
fashionEpochs.Validators.Add(result => Positive(result.GetValue(fashionEpochs), result));
var threads = new Option<int>("--threads") { Description = "Threads for the matrix products, convolutions and poolings: 0 every core (default), 1 one thread.", HelpName = "N" };
threads.Validators.Add(result =>
{
    if (result.GetValue(threads) < 0)
    {
        result.AddError("--threads must be 0 (every core) or at least 1.");
    }
});
var model = new Option<string>("--model") { Description = "Which model to train.", DefaultValueFactory = _ => "both" };
model.AcceptOnlyFromAmong([.. FashionCommand.ModelChoices]);
var fashion = new Command("fashion", "Train an MLP and a CNN on Fashion-MNIST; per epoch: training loss, test accuracy, seconds.") { data, fashionEpochs, threads, model };

var help = new Command("help", "Show this message.");
var root = new RootCommand("Optim sample: networks and optimizers written at compile time, trained on synthetic and real data.")
{
    checkpoint, checkpointEpochs, train, custom, race, fashion, help,
};
foreach (Command command in new[] { root, train })
{
    if (command != root)
    {
        command.Options.Add(checkpoint);
        command.Options.Add(checkpointEpochs);
    }

    command.SetAction(parsed =>
    {
        string? path = parsed.GetValue(checkpoint);
        int? epochs = parsed.GetValue(checkpointEpochs);
        if (path is null)
        {
            return epochs is null ? TrainCommand.Run() : Rejected(parsed, "--epochs needs --checkpoint PATH.");
        }

        return Optim.Sample.Checkpoints.CheckpointCommand.Run(path, epochs ?? int.MaxValue);
    });
}

custom.SetAction(_ => Optim.Sample.CustomRules.CustomCommand.Run());
race.SetAction(parsed => Optim.Sample.Race.RaceCommand.Run(parsed.GetValue(folder)));
fashion.SetAction(parsed => FashionCommand.Run(parsed.GetValue(data), parsed.GetValue(fashionEpochs), parsed.GetValue(threads), parsed.GetValue(model)!));
help.SetAction(_ => Usage(Console.Out, 0));

ParseResult parseResult = root.Parse(args);
return parseResult.Errors.Count > 0
    ? Rejected(parseResult, string.Join(Environment.NewLine, parseResult.Errors.Select(e => e.Message)))
    : parseResult.Invoke();

int Rejected(ParseResult parsed, string message)
{
    Console.Error.WriteLine($"Cannot run: {string.Join(' ', args)}");
    Console.Error.WriteLine(message);
    Console.Error.WriteLine();
    return Usage(Console.Error, 2);
}

int Usage(System.IO.TextWriter writer, int exitCode)
{
    root.Parse("--help").Invoke(new InvocationConfiguration { Output = writer });
    return exitCode;
}

static void Positive(int? value, System.CommandLine.Parsing.OptionResult result)
{
    if (value is <= 0)
    {
        result.AddError($"{result.Option.Name} must be at least 1 (got {value}).");
    }
}
