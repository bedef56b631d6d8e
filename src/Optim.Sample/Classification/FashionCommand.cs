using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Optim.Data;
using Optim.Schedules;
using Spectre.Console;

namespace Optim.Sample.Classification;

/// <summary>
/// The <c>fashion</c> command: trains Fashion-MNIST's MLP and CNN (<see cref="FashionMlp"/>, <see cref="FashionCnn"/>) and
/// reports, per epoch, the training loss, the test accuracy and the seconds; then a table. Inputs are normalised with
/// the training set's mean and standard deviation; Adam's rate follows a cosine to 0 over the run (a run-time
/// <see cref="Scheduler"/>). docs/data.md gives the settings that were tried and what each reached.
/// </summary>
internal static class FashionCommand
{
    /// <summary>The largest batch the models take (the libtorch timing's batch).</summary>
    internal const int MaxBatch = 64;

    internal const int InitSeed = 1;
    internal const ulong ShuffleSeed = 2024;

    /// <summary>A model's settings: default epochs, target test accuracy, batch, flip probability.</summary>
    private sealed record Plan(string Name, string Description, int Epochs, double Goal, int Batch, double Flip);

    internal static readonly IReadOnlyList<string> ModelChoices = ["mlp", "cnn", "both"];

    private static readonly Plan Mlp = new("mlp", "MLP 784 -> 256 -> 10", Epochs: 10, Goal: 0.88, Batch: 64, Flip: 0);
    private static readonly Plan Cnn = new("cnn", "CNN conv 1->8 3x3, pool 2, conv 8->16 3x3, pool 2, linear 400 -> 10", Epochs: 20, Goal: 0.90, Batch: 32, Flip: 0);

    /// <summary>Runs the command; 0 if every model trained met its target, 1 if one missed, 3 if the data is missing.</summary>
    public static int Run(string? folder, int? epochs, int threads, string model)
    {
        LabelledImages train, test;
        try
        {
            (train, test) = FashionMnist.Load(folder);
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            Console.Error.WriteLine(e.Message);
            return 3;
        }

        var (mean, deviation) = train.PixelStatistics();
        train.Normalize(mean, deviation);
        test.Normalize(mean, deviation);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Fashion-MNIST ({folder ?? FashionMnist.DefaultFolder}): {train.Count:N0} training and {test.Count:N0} test images of {train.Height} x {train.Width}, normalised with the training set's mean {mean:F4} and deviation {deviation:F4}."));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Adam, its rate decayed to 0 by a cosine over the run; threads {(threads == 0 ? "all (" + Environment.ProcessorCount + ")" : threads.ToString(CultureInfo.InvariantCulture))}; seeds {InitSeed} (weights) and {ShuffleSeed} (batches)."));

        var results = new List<Result>();
        if (model is "mlp" or "both")
        {
            results.Add(Train(new FashionMlp(), Mlp, train, test, epochs ?? Mlp.Epochs, threads));
        }

        if (model is "cnn" or "both")
        {
            results.Add(Train(new FashionCnn(), Cnn, train, test, epochs ?? Cnn.Epochs, threads));
        }

        Summary(results);
        bool passed = true;
        foreach (Result result in results)
        {
            string outcome = string.Create(CultureInfo.InvariantCulture,
                $"Fashion {result.Plan.Name} reached {100 * result.Accuracy:F2}% test accuracy (goal {100 * result.Plan.Goal:F0}%) after {result.Epochs} epochs.");
            if (result.Accuracy >= result.Plan.Goal)
            {
                Console.WriteLine("OK: " + outcome);
            }
            else
            {
                Console.Error.WriteLine("FAILED: " + outcome);
                passed = false;
            }
        }

        return passed ? 0 : 1;
    }

    private sealed record Result(Plan Plan, int Epochs, int Parameters, double Loss, double Accuracy, double SecondsPerEpoch);

    private static Result Train<TModel>(TModel model, Plan plan, LabelledImages train, LabelledImages test, int epochs, int threads)
        where TModel : IClassifier
    {
        model.Initialize(InitSeed);
        model.Threads = threads;
        var batches = new MiniBatches(train, plan.Batch, ShuffleSeed) { FlipProbability = plan.Flip };
        double rate = model.LearningRate;
        var trainer = new ClassifierTrainer<TModel>(model, batches, train.Classes, new CosineAnnealingLR(epochs * batches.BatchesPerEpoch));

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{plan.Description}: {model.ParameterCount:N0} parameters; Adam lr {rate:0.###e0}, batch {plan.Batch}, {epochs} epochs{(plan.Flip > 0 ? ", random horizontal flips" : "")}."));
        Console.WriteLine("epoch   train loss   test accuracy   seconds   images/s");
        double loss = 0, accuracy = 0, totalSeconds = 0;
        bool interactive = AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            double seconds = interactive
                ? WithProgress(plan.Name, epoch, epochs, batches.BatchesPerEpoch, train.Count, trainer, out loss)
                : ClassifierTrainer<TModel>.Seconds(() => loss = trainer.TrainEpoch());
            totalSeconds += seconds;
            accuracy = trainer.Accuracy(test);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{epoch,5}   {loss,10:F4}   {100 * accuracy,12:F2}%   {seconds,7:F2}   {train.Count / seconds,8:N0}"));
        }

        return new Result(plan, epochs, model.ParameterCount, loss, accuracy, totalSeconds / epochs);
    }

    /// <summary>One epoch under a Spectre progress bar (epoch, running loss, images per second), cleared when done.</summary>
    private static double WithProgress<TModel>(string name, int epoch, int epochs, int batchesPerEpoch, int images, ClassifierTrainer<TModel> trainer, out double loss)
        where TModel : IClassifier
    {
        double result = 0, seconds = 0;
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask($"{name} epoch {epoch}/{epochs}", maxValue: batchesPerEpoch);
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                result = trainer.TrainEpoch((done, running) =>
                {
                    if (done % 25 == 0 || done == batchesPerEpoch)
                    {
                        double elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
                        task.Value = done;
                        task.Description = string.Create(CultureInfo.InvariantCulture,
                            $"{name} epoch {epoch}/{epochs}  loss {running:F4}  {done * (double)images / batchesPerEpoch / elapsed:N0} img/s");
                    }
                });
                seconds = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
            });
        loss = result;
        return seconds;
    }

    private static void Summary(List<Result> results)
    {
        var table = new Table().AddColumns("model", "parameters", "epochs", "train loss", "test accuracy", "target", "s/epoch");
        foreach (Result r in results)
        {
            table.AddRow(
                r.Plan.Name,
                r.Parameters.ToString("N0", CultureInfo.InvariantCulture),
                r.Epochs.ToString(CultureInfo.InvariantCulture),
                r.Loss.ToString("F4", CultureInfo.InvariantCulture),
                (100 * r.Accuracy).ToString("F2", CultureInfo.InvariantCulture) + "%",
                (100 * r.Plan.Goal).ToString("F0", CultureInfo.InvariantCulture) + "%",
                r.SecondsPerEpoch.ToString("F2", CultureInfo.InvariantCulture));
        }

        Console.WriteLine();
        AnsiConsole.Write(table);
        Console.WriteLine();
    }
}
