using System;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using Optim;
using Optim.Generators.Tests.Networks;
using Optim.SimdProbe;

// Which vector widths this process accelerates (the test checks the DOTNET_Enable* setting took effect), and whether
// the CPU and runtime offer AVX-512 at all.
Console.WriteLine($"widths: V512={Vector512.IsHardwareAccelerated} V256={Vector256.IsHardwareAccelerated} V128={Vector128.IsHardwareAccelerated}");
Console.WriteLine($"isa: avx512f={System.Runtime.Intrinsics.X86.Avx512F.IsSupported} avx2={System.Runtime.Intrinsics.X86.Avx2.IsSupported}");
Console.WriteLine($"gemm: {Optim.Kernels.Gemm.KernelVectorBits}");

using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
Train(new SgdPlain(), hash);
Train(new SgdNesterov(), hash);
Train(new SgdDampening(), hash);
Train(new HeavyBall(), hash);
Train(new AdamPlain(), hash);
Train(new AdamAmsgrad(), hash);
Train(new AdamWPlain(), hash);
Train(new AdamDouble(), hash);
Train(new SgdDouble(), hash);
Train(new RmsPropCentered(), hash);
Train(new AdagradInit(), hash);
Train(new AdadeltaPlain(), hash);
Train(new AdamaxPlain(), hash);
Train(new NAdamDecoupled(), hash);
Train(new RAdamPlain(), hash);
Train(new RpropPlain(), hash);
Train(new AsgdAveraging(), hash);
Train(new LionDecay(), hash);
Train(new LambDecay(), hash);
Train(new LambDouble(), hash);
Train(new MuonHidden(), hash);
Train(new MuonDouble(), hash);
Train(new AdafactorMixed(), hash);
Train(new AdafactorDouble(), hash);
Train(new CustomAdam(), hash);
Train(new CustomSelects(), hash);
Train(new CustomEdges(), hash);
Train(new ClippedAdam(), hash);
Train(new ClippedLambDouble(), hash);
TrainNetworks(hash);
var initialised = new Initialised();
initialised.Initialize(42);
hash.AppendData(MemoryMarshal.AsBytes(initialised.Parameters));

// The network kernels (Optim.Kernels): every op, activation and loss, three training steps each, float and double.
NetworkWorkout<float>.HashAll(hash.AppendData);
NetworkWorkout<double>.HashAll(hash.AppendData);

// The GEMM alone (Optim.Kernels.Gemm): every transpose, accumulation, bias and activation, tile edges, one and two threads.
Optim.Generators.Tests.Gemm.GemmWorkout.HashAll<float>(hash.AppendData);
Optim.Generators.Tests.Gemm.GemmWorkout.HashAll<double>(hash.AppendData);
Console.WriteLine("hash: " + Convert.ToHexString(hash.GetHashAndReset()));

// The custom rules' contract at this vector width: Step() against the method called once per element.
int mismatches = CompareWithMethod<float>(new CustomAdam(), 2, (ref float p, float g, Span<float> s, float lr, long t) => CustomAdam.Adam(ref p, g, ref s[0], ref s[1], lr, t))
    + CompareWithMethod<double>(new CustomSelects(), 1, (ref double p, double g, Span<double> s, double lr, long t) => CustomSelects.Rule(ref p, g, ref s[0], lr, t))
    + CompareWithMethod<float>(new CustomEdges(), 1, (ref float p, float g, Span<float> s, float lr, long t) => CustomEdges.Edges(ref p, g, ref s[0]));
Console.WriteLine($"custom-rule mismatches: {mismatches}");

// Steps the model and the method side by side (with some zero gradients); counts parameters whose bits differ.
static int CompareWithMethod<T>(IOptimizable<T> model, int states, ElementRule<T> rule)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    var random = new Random(99);
    Fill(model.Parameters, random);
    T[] p = model.Parameters.ToArray();
    T[][] state = new T[p.Length][];
    for (int i = 0; i < p.Length; i++)
    {
        state[i] = new T[states];
    }

    int mismatches = 0;
    for (long step = 1; step <= 40; step++)
    {
        Fill(model.Gradients, random);
        model.Gradients[(int)(step % model.ParameterCount)] = T.Zero;
        T[] g = model.Gradients.ToArray();
        model.Step();
        T lr = T.CreateChecked(model.LearningRate);
        for (int i = 0; i < p.Length; i++)
        {
            rule(ref p[i], g[i], state[i], lr, step);
        }

        for (int i = 0; i < p.Length; i++)
        {
            bool same = MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in p[i])).SequenceEqual(MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in model.Parameters[i])));
            mismatches += same || (T.IsNaN(p[i]) && T.IsNaN(model.Parameters[i])) ? 0 : 1;
        }
    }

    return mismatches;
}

// Fixed pseudo-random parameters and gradients (spanning many magnitudes), 64 steps with a changing
// learning rate; then every parameter's bits go into the hash.
static void Train<T>(IOptimizable<T> model, IncrementalHash hash)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    var random = new Random(1234);
    Fill(model.Parameters, random);
    double lr = model.LearningRate;
    for (int step = 0; step < 64; step++)
    {
        model.ZeroGrad();
        Fill(model.Gradients, random);
        model.LearningRate = lr * (1 + (step % 5) * 0.1);
        model.Step();
    }

    hash.AppendData(MemoryMarshal.AsBytes(model.Parameters));
}

// The generated networks: 12 training steps each on fixed data (dropout drawing from the model's seeded generator),
// then the parameters, the last loss and a prediction go into the hash.
static void TrainNetworks(IncrementalHash hash)
{
    var random = new Random(4321);
    var conv = new ConvNetwork();
    conv.Initialize(5);
    float[] images = new float[9 * 2 * 13 * 11];
    Fill<float>(images, random);
    int[] classes = new int[9];
    for (int i = 0; i < classes.Length; i++)
    {
        classes[i] = random.Next(7);
    }

    float convLoss = 0;
    for (int step = 0; step < 12; step++)
    {
        convLoss = conv.TrainStep(images, classes, 9 - (step % 3));
    }

    float[] logits = new float[9 * 7];
    conv.Predict(images, logits, 9);
    hash.AppendData(MemoryMarshal.AsBytes(conv.Parameters));
    hash.AppendData(MemoryMarshal.AsBytes(new ReadOnlySpan<float>(in convLoss)));
    hash.AppendData(MemoryMarshal.AsBytes<float>(logits));

    var pooled = new PooledConvNetwork();
    pooled.Initialize(7);
    float[] grey = new float[6 * 21 * 15];
    Fill<float>(grey, random);
    int[] labels = new int[6];
    for (int i = 0; i < labels.Length; i++)
    {
        labels[i] = random.Next(5);
    }

    float pooledLoss = 0;
    for (int step = 0; step < 12; step++)
    {
        pooledLoss = pooled.TrainStep(grey, labels, 6 - (step % 2));
    }

    hash.AppendData(MemoryMarshal.AsBytes(pooled.Parameters));
    hash.AppendData(MemoryMarshal.AsBytes(new ReadOnlySpan<float>(in pooledLoss)));

    var chain = new SmallChainNetwork();
    chain.Initialize(8);
    float[] rows = TrainRows(chain, chain.TrainStep, 11, 2, [19, 18, 17, 16, 8, 7], random, hash);
    float[] chainOutput = new float[19 * 2];
    chain.Predict(rows, chainOutput, 19);
    hash.AppendData(MemoryMarshal.AsBytes<float>(chainOutput));

    var tails = new TailNetwork();
    tails.Initialize(9);
    TrainRows(tails, tails.TrainStep, 10, 7, [21, 20, 13, 8, 3, 1], random, hash);

    var tokens = new TokenNetwork();
    tokens.Initialize(6);
    int[] words = new int[11 * 7];
    for (int i = 0; i < words.Length; i++)
    {
        words[i] = random.Next(23);
    }

    double[] context = new double[11 * 75];
    double[] targets = new double[11 * 3];
    Fill<double>(context, random);
    Fill<double>(targets, random);
    double tokenLoss = 0;
    for (int step = 0; step < 12; step++)
    {
        tokenLoss = tokens.TrainStep(words, context, targets, 11 - (step % 4));
    }

    hash.AppendData(MemoryMarshal.AsBytes(tokens.Parameters));
    hash.AppendData(MemoryMarshal.AsBytes(new ReadOnlySpan<double>(in tokenLoss)));
}

// A network of rows (inputs features in, outputs targets out) trained 12 steps on fixed data, the batch cycling through
// batches (the first is the largest); its parameters and last loss go into the hash. Returns the rows it trained on.
static float[] TrainRows(IOptimizable<float> network, TrainStep step, int inputs, int outputs, int[] batches, Random random, IncrementalHash hash)
{
    float[] rows = new float[batches[0] * inputs], wanted = new float[batches[0] * outputs];
    Fill<float>(rows, random);
    Fill<float>(wanted, random);
    float loss = 0;
    for (int k = 0; k < 12; k++)
    {
        loss = step(rows, wanted, batches[k % batches.Length]);
    }

    hash.AppendData(MemoryMarshal.AsBytes(network.Parameters));
    hash.AppendData(MemoryMarshal.AsBytes(new ReadOnlySpan<float>(in loss)));
    return rows;
}

static void Fill<T>(Span<T> values, Random random)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    for (int i = 0; i < values.Length; i++)
    {
        double magnitude = Math.Pow(10, random.Next(-4, 3));
        values[i] = T.CreateTruncating((random.NextDouble() * 2 - 1) * magnitude);
    }
}

/// <summary>One call of an [UpdateRule] method, its state buffers passed as a span.</summary>
internal delegate void ElementRule<T>(ref T param, T grad, Span<T> state, T lr, long step);

/// <summary>A generated network's TrainStep for rows of features and of targets.</summary>
internal delegate float TrainStep(ReadOnlySpan<float> x, ReadOnlySpan<float> target, int batch);
