using System;
using static System.FormattableString;

namespace Optim.Sample;

/// <summary>Console output of the <c>train</c> command. All numbers are formatted with the invariant culture.</summary>
internal static class Report
{
    private const int ColumnWidth = 29;

    /// <summary>Describes the data set and the network before training starts.</summary>
    public static void Setup(Dataset data, int parameterCount, int batchSize, int epochs)
    {
        Console.WriteLine("Optim sample: a 10 -> 5 -> 1 MLP (Linear, ReLU, Linear; MSE loss) trained with every optimizer.");
        Console.WriteLine(Invariant($"Data:     {data.Count} samples of {SeedNetwork.Inputs} features in [-1, 1]"));
        Console.WriteLine(Invariant($"          {Dataset.Formula}"));
        Console.WriteLine(Invariant($"          target variance {data.TargetVariance:F5} (the MSE of always predicting the mean)"));
        Console.WriteLine(Invariant($"Training: {parameterCount} parameters, He-uniform init (same for every optimizer), batch {batchSize}, {epochs} epochs"));
        Console.WriteLine(Invariant($"Schedule: linear warm-up over {TrainCommand.WarmupSteps} steps from a tenth of each optimizer's rate, then cosine to 0 at step {TrainCommand.TotalSteps}"));
        Console.WriteLine();
    }

    /// <summary>Prints the column headings of the progress table.</summary>
    public static void ProgressHeader(ReadOnlySpan<ITrainingRun> runs)
    {
        Console.WriteLine("Training MSE over the whole data set (as % of the target variance), and the learning rate of the next step:");
        Console.Write("epoch");
        foreach (ITrainingRun run in runs)
        {
            Console.Write(Invariant($"{run.Name,ColumnWidth}"));
        }

        Console.WriteLine();
    }

    /// <summary>Prints every run's current training MSE.</summary>
    public static void ProgressRow(int epoch, ReadOnlySpan<ITrainingRun> runs, double targetVariance)
    {
        Console.Write(Invariant($"{epoch,5}"));
        foreach (ITrainingRun run in runs)
        {
            double mse = run.Evaluate();
            string cell = Invariant($"{mse:F5} ({Percent(mse, targetVariance),5:F1}%) lr {run.LearningRate:0.00000}");
            Console.Write(Invariant($"{cell,ColumnWidth}"));
        }

        Console.WriteLine();
    }

    /// <summary>Prints the final comparison table.</summary>
    public static void Summary(ReadOnlySpan<ITrainingRun> runs, double targetVariance)
    {
        Console.WriteLine();
        Console.WriteLine("Bytes allocated: on the training thread from epoch 2 on (epoch 1 also pays for JIT compilation).");
        Console.WriteLine("optimizer     final MSE   % of variance   steps       steps/s   bytes allocated");
        Console.WriteLine("----------    ---------   -------------   -----   -----------   ---------------");
        foreach (ITrainingRun run in runs)
        {
            double mse = run.Evaluate();
            double stepsPerSecond = run.Steps / run.TrainingTime.TotalSeconds;
            Console.WriteLine(Invariant(
                $"{run.Name,-10}    {mse,9:F5}   {Percent(mse, targetVariance),12:F2}%   {run.Steps,5}   {stepsPerSecond,11:N0}   {run.AllocatedBytes,15:N0}"));
        }

        Console.WriteLine();
    }

    /// <summary>Reports whether <paramref name="run"/> reached <paramref name="goal"/> (a fraction of the target variance).</summary>
    /// <returns><see langword="true"/> if it did.</returns>
    public static bool Verdict(ITrainingRun run, double targetVariance, double goal)
    {
        double mse = run.Evaluate();
        bool passed = mse < goal * targetVariance;
        string outcome = Invariant(
            $"{run.Name} reached a training MSE of {Percent(mse, targetVariance):F2}% of the target variance (goal: below {100 * goal:F0}%).");
        if (passed)
        {
            Console.WriteLine(Invariant($"OK: {outcome}"));
        }
        else
        {
            Console.Error.WriteLine(Invariant($"FAILED: {outcome}"));
        }

        return passed;
    }

    private static double Percent(double mse, double targetVariance) => 100 * mse / targetVariance;
}
