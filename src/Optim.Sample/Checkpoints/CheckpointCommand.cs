using System;
using System.IO;
using static System.FormattableString;

namespace Optim.Sample.Checkpoints;

/// <summary>
/// <c>--checkpoint PATH [--epochs N]</c>: trains the Adam MLP (gradients clipped to norm 1, non-finite steps skipped) and
/// saves a checkpoint after every epoch; started again with the same path, it resumes from that checkpoint and ends
/// exactly where an uninterrupted run ends. <c>--epochs N</c> stops after epoch N (to interrupt a run on purpose).
/// </summary>
internal static class CheckpointCommand
{
    private const int StepsPerEpoch = TrainCommand.SampleCount / TrainCommand.BatchSize;

    public static int Run(string path, int stopAfter)
    {
        Dataset data = Dataset.CreateSynthetic(TrainCommand.SampleCount, TrainCommand.DataSeed);
        var model = new ServicedAdamMlp();
        var trainer = new MlpTrainer<ServicedAdamMlp>("Adam", model, data, TrainCommand.BatchSize, TrainCommand.ShuffleSeed);
        int epoch = 0;
        if (File.Exists(path))
        {
            try
            {
                model.LoadCheckpoint(path);
            }
            catch (Exception e) when (e is InvalidDataException or ArgumentException or IOException)
            {
                // The file is left alone: a bad checkpoint must not be overwritten by a fresh run.
                Console.Error.WriteLine($"Cannot resume from {path}: {e.Message}");
                return 1;
            }

            if (model.StepCount % StepsPerEpoch != 0 || model.StepCount > (long)TrainCommand.Epochs * StepsPerEpoch)
            {
                Console.Error.WriteLine(Invariant($"Cannot resume from {path}: step {model.StepCount} is not the end of an epoch of this run."));
                return 1;
            }

            epoch = (int)(model.StepCount / StepsPerEpoch);
            trainer.SkipEpochs(epoch);
            Console.WriteLine(Invariant($"Resuming from {path}: epoch {epoch} done (step {model.StepCount}, {model.SkippedSteps} steps skipped so far)."));
        }
        else
        {
            model.Initialize(TrainCommand.InitSeed);
            Console.WriteLine($"No checkpoint at {path}: starting from Initialize({TrainCommand.InitSeed}); saving one after every epoch.");
        }

        Console.WriteLine("Adam, gradients clipped to norm 1 (ClipGradNorm = 1), non-finite steps skipped (SkipNonFinite)");
        Console.WriteLine("epoch        MSE   % of var.  learning rate   ‖g‖ last step   skipped");
        int last = Math.Min(stopAfter, TrainCommand.Epochs);
        while (epoch < last)
        {
            trainer.TrainEpoch();
            epoch++;
            model.SaveCheckpoint(path);
            if (epoch % TrainCommand.ReportEvery == 0 || epoch == last)
            {
                double mse = trainer.Evaluate();
                Console.WriteLine(Invariant($"{epoch,5}  {mse,9:F5}  {100 * mse / data.TargetVariance,9:F1}%  {model.LearningRate,13:F5}  {model.LastGradNorm,14:F4}  {model.SkippedSteps,8}"));
            }
        }

        Console.WriteLine(epoch == TrainCommand.Epochs
            ? $"Done: {TrainCommand.Epochs} epochs; the checkpoint at {path} holds the trained model."
            : Invariant($"Stopped after epoch {epoch}; run again with --checkpoint {path} to resume."));
        return 0;
    }
}
