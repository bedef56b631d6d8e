using System;

namespace Optim.Sample;

/// <summary>
/// The <c>train</c> command: trains the same MLP, from the same initial weights and on the same mini-batches,
/// with every optimizer Optim offers (progress shown for SGD, Momentum and Adam), then compares them; then trains a
/// classifier of the embedded handwritten digits (<see cref="Classification.Digits"/>).
/// </summary>
internal static class TrainCommand
{
    /// <summary>Optimizer steps in the whole run (the schedule spans them).</summary>
    internal const int TotalSteps = Epochs * (SampleCount / BatchSize);

    /// <summary>Steps of linear learning-rate warm-up before the cosine decay.</summary>
    internal const int WarmupSteps = 100;

    internal const int SampleCount = 1024;
    internal const int BatchSize = 32;
    internal const int Epochs = 60;
    internal const int ReportEvery = 5;

    internal const int DataSeed = 42;
    /// <summary>
    /// The seed of every model's Initialize. A 5-unit ReLU layer is sensitive to its draw: Adam ends at 3.4–7.6 % of the
    /// target variance from seeds 2 to 8 and at 13.6 % from seed 1, whose draw leaves a hidden unit dead (measured with
    /// this sample, Release). Seed 2 is a typical draw.
    /// </summary>
    internal const int InitSeed = 2;
    internal const int ShuffleSeed = 2024;

    /// <summary>Adam must bring the training MSE below this fraction of the target variance.</summary>
    private const double AdamGoal = 0.10;

    /// <summary>Runs the command; returns 0 if Adam met <see cref="AdamGoal"/> and the digits classifier its goal, 1 otherwise.</summary>
    public static int Run()
    {
        Dataset data = Dataset.CreateSynthetic(SampleCount, DataSeed);
        Report.Setup(data, AdamMlp.ParameterCount, BatchSize, Epochs);

        ITrainingRun adam = Start("Adam", new AdamMlp(), data);
        ITrainingRun[] headline =
        [
            Start("SGD", new SgdMlp(), data),
            Start("Momentum", new MomentumMlp(), data),
            adam,
        ];
        ITrainingRun[] runs =
        [
            .. headline,
            Start("AdamW", new AdamWMlp(), data),
            Start("RMSprop", new RmsPropMlp(), data),
            Start("Adagrad", new AdagradMlp(), data),
            Start("Adadelta", new AdadeltaMlp(), data),
            Start("Adamax", new AdamaxMlp(), data),
            Start("NAdam", new NAdamMlp(), data),
            Start("RAdam", new RAdamMlp(), data),
            Start("Rprop", new RpropMlp(), data),
            Start("ASGD", new AsgdMlp(), data),
            Start("Lion", new LionMlp(), data),
            Start("LAMB", new LambMlp(), data),
            Start("Adafactor", new AdafactorMlp(), data),
            Start("Muon+AdamW", new MuonMlp(), data),
            Start("Adam, hand-written", new HandWritten.HandWrittenAdamMlp(), data),
        ];

        Report.ProgressHeader(headline);
        Report.ProgressRow(0, headline, data.TargetVariance);
        for (int epoch = 1; epoch <= Epochs; epoch++)
        {
            foreach (ITrainingRun run in runs)
            {
                run.TrainEpoch();
            }

            if (epoch % ReportEvery == 0)
            {
                Report.ProgressRow(epoch, headline, data.TargetVariance);
            }
        }

        Report.Summary(runs, data.TargetVariance);
        bool adamPassed = Report.Verdict(adam, data.TargetVariance, AdamGoal);

        // Real data beside the synthetic comparison: the embedded handwritten digits.
        Console.WriteLine();
        bool digitsPassed = Classification.Digits.Run();
        return adamPassed && digitsPassed ? 0 : 1;
    }

    /// <summary>Initialises <paramref name="model"/> with the shared seed and wraps it in a trainer.</summary>
    private static MlpTrainer<TModel> Start<TModel>(string name, TModel model, Dataset data)
        where TModel : ISeedMlp
    {
        model.Initialize(InitSeed);
        return new MlpTrainer<TModel>(name, model, data, BatchSize, ShuffleSeed);
    }
}
