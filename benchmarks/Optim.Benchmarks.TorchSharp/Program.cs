using System.Diagnostics;
using Optim.Data;
using TorchSharp;
using static TorchSharp.torch;

// libtorch's side of the network benchmarks through TorchSharp, one thread: the seed's step (SeedTrainingStepBenchmarks)
// and Fashion-MNIST epochs (FashionEpochBenchmarks), each step zero-grad, forward, loss, backward and Adam at the same
// shapes, batch sizes and learning rates as the Optim side. Run it beside the BenchmarkDotNet job it is compared with:
// only figures measured side by side mean anything on a shared host.
//
//     benchmarks/Optim.Benchmarks.TorchSharp/run.sh [seed] [epochs] [gemm] [--epochs N]
string[] actions = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal) && !int.TryParse(a, out _)).ToArray();
string? epochsArgument = args.SkipWhile(a => a != "--epochs").Skip(1).FirstOrDefault();
int epochCount = 2;
if (args.Contains("--epochs") && (!int.TryParse(epochsArgument, out epochCount) || epochCount < 1))
{
    Console.Error.WriteLine($"--epochs takes a whole number of epochs, 1 or more (got '{epochsArgument}')");
    return 2;
}

torch.set_num_threads(1);
torch.manual_seed(1);
Console.WriteLine($"libtorch {torch.__version__} through TorchSharp, {torch.get_num_threads()} thread");
foreach (string action in actions.Length > 0 ? actions : ["seed", "epochs"])
{
    switch (action)
    {
        case "seed":
            Peer.Seed();
            break;
        case "epochs":
            Peer.Epochs(epochCount);
            break;
        case "gemm":
            Peer.Gemm();
            break;
        default:
            Console.Error.WriteLine($"unknown argument '{action}': seed, epochs, gemm or --epochs N");
            return 2;
    }
}

return 0;

internal static class Peer
{
    /// <summary>
    /// The seed's MLP (10 → 5 → 1, MSE, Adam 1e-3) on one fixed random batch of 32: 200 warm-up steps, then the median
    /// and minimum of 15 rounds, each round enough back-to-back steps to last about 0.2 s (as libtorch_steps.py seed).
    /// </summary>
    public static void Seed()
    {
        var model = nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 1));
        var criterion = nn.MSELoss();
        var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
        Tensor x = rand(32, 10) * 2 - 1, y = rand(32, 1);

        void Step()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            Tensor loss = criterion.forward(model.forward(x), y);
            loss.backward();
            optimizer.step();
        }

        var (median, min, count) = Rounds(Step, warmUp: 200);
        Console.WriteLine($"seed: median {median * 1e6:F1} us, min {min * 1e6:F1} us per step ({count} steps a round)");
    }

    /// <summary>
    /// Fashion-MNIST epochs of the sample's MLP (784 → 256 → 10, Adam 2e-3) and CNN (conv 1→8 3×3, ReLU, max-pool 2,
    /// conv 8→16 3×3, ReLU, max-pool 2, linear 400→10, Adam 3e-3): the 60,000 training images normalised as the sample
    /// does, a fresh shuffle per epoch, batch 64, 938 steps, the batch gathered by index as the Optim side copies it.
    /// Real data only: trained over and over on one batch, the networks memorise it, their gradients underflow to
    /// subnormal numbers and the step slows down several times.
    /// </summary>
    public static void Epochs(int epochs)
    {
        var (train, _) = FashionMnist.Load();
        var (mean, deviation) = train.PixelStatistics();
        train.Normalize(mean, deviation);
        using Tensor images = tensor(train.Pixels.ToArray(), [train.Count, 1, 28, 28]);
        using Tensor labels = tensor(train.Labels.ToArray().Select(l => (long)l).ToArray(), [train.Count]);

        var mlp = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10));
        var cnn = nn.Sequential(
            nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(400, 10));
        using Tensor flat = images.view(train.Count, 784);
        Train("fashion-mlp", mlp, 2e-3, flat, labels, epochs);
        Train("fashion-cnn", cnn, 3e-3, images, labels, epochs);
    }

    /// <summary>
    /// libtorch's matrix product (addmm_ in place with β = 0, float32) at GemmBenchmarks' shapes, M × K times K × N: GFLOP/s = 2·M·N·K / time,
    /// the median of 15 rounds of about 0.2 s.
    /// </summary>
    public static void Gemm()
    {
        foreach ((int m, int k, int n) in new[] { (64, 784, 256), (256, 256, 256), (1024, 1024, 1024) })
        {
            using Tensor a = randn(m, k), b = randn(k, n), c = zeros(m, n);
            var (median, min, _) = Rounds(() => c.addmm_(a, b, beta: 0, alpha: 1), warmUp: 10);
            Console.WriteLine($"gemm {m}x{k}x{n}: median {2.0 * m * n * k / median / 1e9:F1} GFLOP/s, best {2.0 * m * n * k / min / 1e9:F1}");
        }
    }

    private static void Train(string name, nn.Module<Tensor, Tensor> model, double lr, Tensor inputs, Tensor labels, int epochs)
    {
        var criterion = nn.CrossEntropyLoss();
        var optimizer = optim.Adam(model.parameters(), lr: lr);
        long count = inputs.shape[0];
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            long started = Stopwatch.GetTimestamp();
            using Tensor order = randperm(count);
            double total = 0;
            int steps = 0;
            for (long first = 0; first < count; first += 64)
            {
                using var scope = NewDisposeScope();
                Tensor batch = order.slice(0, first, Math.Min(first + 64, count), 1);
                optimizer.zero_grad();
                Tensor loss = criterion.forward(model.forward(inputs.index_select(0, batch)), labels.index_select(0, batch));
                loss.backward();
                optimizer.step();
                total += loss.item<float>();
                steps++;
            }

            double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            Console.WriteLine($"{name} epoch {epoch}: {seconds:F3} s, {seconds / steps * 1e3:F2} ms per step, mean loss {total / steps:F4}");
        }
    }

    /// <summary>
    /// Seconds per call of <paramref name="work"/>: <paramref name="warmUp"/> calls, then the median and the minimum of 15
    /// rounds, each enough back-to-back calls (<c>Count</c>) to last about 0.2 s.
    /// </summary>
    private static (double Median, double Min, int Count) Rounds(Action work, int warmUp)
    {
        for (int i = 0; i < warmUp; i++)
        {
            work();
        }

        int count = 1;
        while (Time(count, work) < 0.2)
        {
            count *= 2;
        }

        double[] rounds = Enumerable.Range(0, 15).Select(_ => Time(count, work) / count).Order().ToArray();
        return (rounds[7], rounds[0], count);
    }

    private static double Time(int count, Action step)
    {
        long started = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            step();
        }

        return Stopwatch.GetElapsedTime(started).TotalSeconds;
    }
}
