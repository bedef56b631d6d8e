using System;
using System.Collections.Generic;
using System.IO;

namespace Optim.Data;

/// <summary>
/// Fashion-MNIST (Zalando Research, MIT licence): 60,000 training and 10,000 test images of 28 × 28 clothes in 10
/// classes, as IDX files. On Debian and Ubuntu the package <see cref="DebianPackage"/> installs them in
/// <see cref="DefaultFolder"/>.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where Debian's package puts the files.</summary>
    public const string DefaultFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>The Debian package that installs the files.</summary>
    public const string DebianPackage = "dataset-fashion-mnist";

    /// <summary>The number of classes (T-shirt/top, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle boot).</summary>
    public const int Classes = 10;

    /// <summary>The class names, by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// Reads the training and the test set from <paramref name="folder"/> (default <see cref="DefaultFolder"/>): the files
    /// <c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c> and
    /// <c>t10k-labels-idx1-ubyte</c>, each gzip-compressed (<c>.gz</c>) or plain. Pixels are scaled to [0, 1].
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist (the message names the package to install).</exception>
    /// <exception cref="FileNotFoundException">A file is missing from the folder.</exception>
    /// <exception cref="InvalidDataException">A file is malformed (<see cref="LabelledImages.ReadIdx"/>).</exception>
    public static (LabelledImages Train, LabelledImages Test) Load(string? folder = null)
    {
        folder ??= DefaultFolder;
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException(
                $"Fashion-MNIST folder not found: {folder}. Install Debian's package {DebianPackage} (`sudo apt-get install {DebianPackage}`, " +
                $"it puts the files in {DefaultFolder}) or give the folder that holds the four IDX files.");
        }

        LabelledImages train = LabelledImages.ReadIdx(Find(folder, "train-images-idx3-ubyte"), Find(folder, "train-labels-idx1-ubyte"), Classes);
        LabelledImages test = LabelledImages.ReadIdx(Find(folder, "t10k-images-idx3-ubyte"), Find(folder, "t10k-labels-idx1-ubyte"), Classes);
        return (train, test);
    }

    private static string Find(string folder, string name)
    {
        foreach (string candidate in new[] { name + ".gz", name })
        {
            string path = Path.Combine(folder, candidate);
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new FileNotFoundException(
            $"{Path.Combine(folder, name)}(.gz) not found: the folder must hold Fashion-MNIST's four IDX files (Debian's package {DebianPackage} installs them).",
            Path.Combine(folder, name + ".gz"));
    }
}
