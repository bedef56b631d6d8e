using System;
using System.Globalization;

namespace Optim.Sample.CustomRules;

/// <summary>
/// The <c>custom</c> command: the MLP trained by three optimizers written in C# ([UpdateRule] methods: the seed's
/// SimpleSGD, a naive Adam, Lion) beside the built-in ones they reproduce, from the same weights on the same batches.
/// </summary>
internal static class CustomCommand
{
    private const int SampleCount = 1024;
    private const int BatchSize = 32;
    private const int Epochs = 60;
    private const int DataSeed = 42;
    private const int InitSeed = TrainCommand.InitSeed;
    private const int ShuffleSeed = 2024;

    /// <summary>The custom Adam must bring the training MSE below this fraction of the target variance.</summary>
    private const double Goal = 0.10;

    /// <summary>Runs the command; returns 0 if the custom Adam met <see cref="Goal"/>, 1 otherwise.</summary>
    public static int Run()
    {
        Dataset data = Dataset.CreateSynthetic(SampleCount, DataSeed);
        Report.Setup(data, SimpleSgdMlp.ParameterCount, BatchSize, Epochs);
        (ITrainingRun BuiltIn, ITrainingRun Custom)[] pairs =
        [
            (Start("SGD", new SgdMlp(), data), Start("SimpleSGD", new SimpleSgdMlp(), data)),
            (Start("Adam", new AdamMlp(), data), Start("Adam (C#)", new NaiveAdamMlp(), data)),
            (Start("Lion", new LionMlp(), data), Start("Lion (C#)", new CustomLionMlp(), data)),
        ];

        for (int epoch = 1; epoch <= Epochs; epoch++)
        {
            foreach (var (builtIn, custom) in pairs)
            {
                builtIn.TrainEpoch();
                custom.TrainEpoch();
            }
        }

        ITrainingRun[] runs = [.. Array.ConvertAll(pairs, p => p.BuiltIn), .. Array.ConvertAll(pairs, p => p.Custom)];
        Report.Summary(runs, data.TargetVariance);
        Console.WriteLine("Each [UpdateRule] method against the built-in optimizer it reproduces, after the whole run:");
        foreach (var (builtIn, custom) in pairs)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {custom.Name,-10} vs {builtIn.Name,-5}: largest |Δθ| = {LargestDifference(builtIn.Parameters, custom.Parameters):G3}"));
        }

        Console.WriteLine("SimpleSGD is the built-in SGD's rule, so it matches bit for bit. The C# rules compute 1 - beta in float where");
        Console.WriteLine("the built-ins round PyTorch's double 1 - beta once, and the naive Adam divides twice and recomputes its bias");
        Console.WriteLine("corrections with MathF.Pow: rounding differences, which Lion's sign() amplifies where an update is near 0.");
        Console.WriteLine();
        return Report.Verdict(pairs[1].Custom, data.TargetVariance, Goal) ? 0 : 1;
    }

    private static double LargestDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double largest = 0;
        for (int i = 0; i < a.Length; i++)
        {
            largest = Math.Max(largest, Math.Abs((double)a[i] - b[i]));
        }

        return largest;
    }

    private static MlpTrainer<TModel> Start<TModel>(string name, TModel model, Dataset data)
        where TModel : ISeedMlp
    {
        model.Initialize(InitSeed);
        return new MlpTrainer<TModel>(name, model, data, BatchSize, ShuffleSeed);
    }
}
