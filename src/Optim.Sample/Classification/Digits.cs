using System;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using Optim.Data;

namespace Optim.Sample.Classification;

/// <summary>
/// The handwritten digits embedded in the sample (data/digits: 1,797 images of 8 × 8 pixels valued 0–16, the UCI
/// "Optical Recognition of Handwritten Digits" test set by E. Alpaydin and C. Kaynak, CC BY 4.0, as scikit-learn ships
/// it) and the classifier the default command trains on them.
/// </summary>
internal static class Digits
{
    /// <summary>Every <see cref="TestEvery"/>-th image (index 0, 5, 10, …) is a test image: 360 test, 1,437 training.</summary>
    internal const int TestEvery = 5;

    internal const int Epochs = 30;
    internal const int InitSeed = 1;
    internal const ulong ShuffleSeed = 7;

    /// <summary>The MLP must reach this test accuracy.</summary>
    internal const double Goal = 0.95;

    /// <summary>Reads the embedded CSV (64 pixel values and the digit per row) into images with pixels scaled to [0, 1].</summary>
    public static LabelledImages Load()
    {
        const string resource = "Optim.Sample.Digits.digits.csv.gz";
        using Stream compressed = typeof(Digits).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The sample was built without its embedded resource {resource}.");
        using var reader = new StreamReader(new GZipStream(compressed, CompressionMode.Decompress));
        var pixels = new System.Collections.Generic.List<float>(1797 * 64);
        var labels = new System.Collections.Generic.List<int>(1797);
        int line = 0;
        while (reader.ReadLine() is { } text)
        {
            line++;
            string[] fields = text.Split(',');
            if (fields.Length != 65)
            {
                throw new InvalidDataException($"{resource}, line {line}: {fields.Length} fields; expected 64 pixels and a label.");
            }

            for (int i = 0; i < 64; i++)
            {
                pixels.Add(int.Parse(fields[i], CultureInfo.InvariantCulture) / 16f);
            }

            labels.Add(int.Parse(fields[64], CultureInfo.InvariantCulture));
        }

        return new LabelledImages(pixels.ToArray(), labels.ToArray(), 1, 8, 8, classes: 10);
    }

    /// <summary>The fixed split: images at multiples of <see cref="TestEvery"/> are the test set, the others train.</summary>
    public static (LabelledImages Train, LabelledImages Test) Split(LabelledImages all)
    {
        var train = new System.Collections.Generic.List<int>();
        var test = new System.Collections.Generic.List<int>();
        for (int i = 0; i < all.Count; i++)
        {
            (i % TestEvery == 0 ? test : train).Add(i);
        }

        return (all.Select(train.ToArray()), all.Select(test.ToArray()));
    }

    /// <summary>Trains the digits MLP and prints its test accuracy and time; returns true if it met <see cref="Goal"/>.</summary>
    public static bool Run()
    {
        var (train, test) = Split(Load());
        var model = new DigitsMlp { Threads = 1 };
        model.Initialize(InitSeed);
        var trainer = new ClassifierTrainer<DigitsMlp>(model, new MiniBatches(train, DigitsMlp.Batch, ShuffleSeed), train.Classes);

        Console.WriteLine("Handwritten digits (data/digits: UCI, E. Alpaydin and C. Kaynak, CC BY 4.0): an MLP 64 -> 128 -> 10");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"(ReLU, cross-entropy, Adam lr 1e-3, batch {DigitsMlp.Batch}, {Epochs} epochs, one thread); every {TestEvery}th image is a test image: {train.Count} train, {test.Count} test."));
        double loss = 0;
        double seconds = ClassifierTrainer<DigitsMlp>.Seconds(() =>
        {
            for (int epoch = 0; epoch < Epochs; epoch++)
            {
                loss = trainer.TrainEpoch();
            }
        });
        double accuracy = trainer.Accuracy(test);
        string outcome = string.Create(CultureInfo.InvariantCulture,
            $"digits MLP reached {100 * accuracy:F2}% test accuracy ({accuracy * test.Count:F0} of {test.Count}; goal {100 * Goal:F0}%) in {seconds:F2} s of training, final training loss {loss:F4}.");
        if (accuracy >= Goal)
        {
            Console.WriteLine("OK: " + outcome);
            return true;
        }

        Console.Error.WriteLine("FAILED: " + outcome);
        return false;
    }
}
