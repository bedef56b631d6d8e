using System;
using System.Buffers.Binary;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Optim.Generators.Tests.Runtime;
using Xunit;

namespace Optim.Generators.Tests.Networks;

/// <summary>The generated network members at run time: argument checks, sharing, eager parity, allocation, state_dict names.</summary>
public sealed class NetworkRuntimeTests
{
    private static (float[] X, float[] Y) SeedBatch(int batch, int seed)
    {
        var random = new Random(seed);
        float[] x = Enumerable.Range(0, batch * 10).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        float[] y = Enumerable.Range(0, batch).Select(n => x.Skip(n * 10).Take(10).Sum() * 0.3f).ToArray();
        return (x, y);
    }

    [Fact]
    public void A_batch_above_MaxBatch_is_rejected_naming_both_numbers()
    {
        var model = new SeedAdam();
        var (x, y) = SeedBatch(40, 1);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.TrainStep(x, y, 33));
        Assert.Contains("33", error.Message, StringComparison.Ordinal);
        Assert.Contains("32", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict(x, new float[40], 0));
        Assert.Equal(0, model.StepCount);
    }

    [Fact]
    public void A_span_shorter_than_the_batch_is_rejected_before_anything_changes()
    {
        var model = new SeedAdam();
        var (x, y) = SeedBatch(8, 2);
        float[] before = model.Parameters.ToArray();

        var error = Assert.Throws<ArgumentException>(() => model.TrainStep(x.AsSpan(0, 79), y, 8));
        Assert.Contains("'x' holds 79 values; a batch of 8 needs 80", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => model.TrainStep(x, y.AsSpan(0, 7), 8));
        Assert.Throws<ArgumentException>(() => model.Predict(x, new float[7], 8));
        Assert.Equal(before, model.Parameters.ToArray());
        Assert.Equal(0, model.StepCount);
    }

    [Fact]
    public void A_class_index_out_of_range_is_rejected_before_anything_changes()
    {
        var model = new TwoInputClassifier();
        double[] a = new double[12], b = new double[12];
        double[] before = model.Parameters.ToArray();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.TrainStep(a, b, new[] { 1, 3 }, 2));
        Assert.Contains("Class index 3 at position 1", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Evaluate(a, b, new[] { -1, 0 }, 2));
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void Layers_initialise_themselves_when_the_model_is_constructed()
    {
        var first = new SeedAdam();
        var second = new SeedAdam();

        // nn.Linear's default: weight and bias U(−1/√in, 1/√in), drawn from the documented default seed.
        float hiddenBound = 1 / MathF.Sqrt(10), outputBound = 1 / MathF.Sqrt(5);
        Assert.All(first.HiddenWeight.ToArray().Concat(first.HiddenBias.ToArray()), v => Assert.InRange(Math.Abs(v), 0, hiddenBound));
        Assert.All(first.OutputWeight.ToArray().Concat(first.OutputBias.ToArray()), v => Assert.InRange(Math.Abs(v), 0, outputBound));
        Assert.True(first.HiddenWeight.ToArray().Distinct().Count() > 45, "the weights are not drawn");
        Assert.Equal(first.Parameters.ToArray(), second.Parameters.ToArray());

        float[] constructed = first.Parameters.ToArray();
        first.Initialize(Optim.Training.Initializers.DefaultSeed);
        Assert.Equal(constructed, first.Parameters.ToArray());
        first.Initialize(5);
        Assert.NotEqual(constructed, first.Parameters.ToArray());
    }

    [Fact]
    public void One_network_declaration_trains_under_two_optimizers()
    {
        var sgd = new SeedSgd();
        var adam = new SeedAdam();
        sgd.Initialize(11);
        adam.Initialize(11);
        Assert.Equal(sgd.Parameters.ToArray(), adam.Parameters.ToArray()); // one network: same parameters, same draws
        var (x, y) = SeedBatch(32, 3);

        float sgdFirst = sgd.TrainStep(x, y, 32), adamFirst = adam.TrainStep(x, y, 32);
        Assert.Equal(sgdFirst, adamFirst); // same network, same parameters: same loss
        float sgdLoss = sgdFirst, adamLoss = adamFirst;
        for (int i = 0; i < 200; i++)
        {
            sgdLoss = sgd.TrainStep(x, y, 32);
            adamLoss = adam.TrainStep(x, y, 32);
        }

        Assert.True(sgdLoss < sgdFirst * 0.5f, $"SGD: {sgdFirst} → {sgdLoss}");
        Assert.True(adamLoss < adamFirst * 0.5f, $"Adam: {adamFirst} → {adamLoss}");
        Assert.NotEqual(sgd.Parameters.ToArray(), adam.Parameters.ToArray());
        Assert.Equal(61, SeedSgd.ParameterCount);
        Assert.Equal(5 * 10, sgd.HiddenWeight.Length);
    }

    [Fact]
    public void The_generated_forward_pass_equals_the_forward_method_run_eagerly()
    {
        var model = new TwoInputClassifier();
        var random = new Random(4);
        model.Initialize(7);
        double[] a = Enumerable.Range(0, 30).Select(_ => random.NextDouble() - 0.5).ToArray();
        double[] b = Enumerable.Range(0, 30).Select(_ => random.NextDouble() - 0.5).ToArray();

        var generated = new double[15];
        model.Predict(a, b, generated, 5);
        Tensor<double> eager = model.Forward(new Tensor<double>(a, 5, 6), new Tensor<double>(b, 5, 6));

        Assert.Equal(new[] { 5, 3 }, eager.Shape.ToArray());
        Assert.Equal(eager.Values, generated);
    }

    [Fact]
    public void ZeroGrad_Backward_Step_is_TrainStep_and_Backward_adds_to_the_gradients()
    {
        var trained = new SeedAdam();
        var manual = new SeedAdam();
        var (x, y) = SeedBatch(32, 5);

        for (int step = 0; step < 3; step++)
        {
            float expected = trained.TrainStep(x, y, 32);
            manual.ZeroGrad();
            float loss = manual.Backward(x, y, 32);
            Assert.Equal(expected, loss);
            manual.Step();
            Assert.Equal(trained.Parameters.ToArray(), manual.Parameters.ToArray());
        }

        // Without ZeroGrad a second call adds the same gradient again (each term is added to what the gradient holds,
        // so twice the first up to rounding, not a copy of it).
        manual.ZeroGrad();
        manual.Backward(x, y, 32);
        float[] once = manual.Gradients.ToArray();
        manual.Backward(x, y, 32);
        float[] twice = manual.Gradients.ToArray();
        Assert.Contains(once, g => g != 0);
        for (int i = 0; i < once.Length; i++)
        {
            Assert.True(Math.Abs(twice[i] - (2 * once[i])) <= 1e-6f * (1 + Math.Abs(once[i])), $"gradient {i}: {once[i]} then {twice[i]}");
        }

        Assert.Equal(3, manual.StepCount);
    }

    [Fact]
    public void Every_thread_count_gives_the_same_bits()
    {
        var random = new Random(9);
        float[] images = Enumerable.Range(0, 16 * 100).Select(_ => random.NextSingle()).ToArray();
        int[] classes = Enumerable.Range(0, 16).Select(i => (i * 7) % 10).ToArray();
        float[]? expected = null;
        foreach (int threads in new[] { 1, 2, 3, 0 })
        {
            var model = new WideConvNet { Threads = threads };
            Assert.Equal(threads, model.Threads);
            for (int step = 0; step < 3; step++)
            {
                model.TrainStep(images, classes, 16);
            }

            float[] parameters = model.Parameters.ToArray();
            expected ??= parameters;
            Assert.Equal(expected, parameters);
        }

        Assert.Equal(0, new WideConvNet().Threads); // [Optimize] without Threads: automatic
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new WideConvNet { Threads = -1 });
        Assert.Contains("Threads", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_training_step_allocates_nothing()
    {
        var model = new TinyConvNet();
        var random = new Random(5);
        float[] images = Enumerable.Range(0, 16 * 64).Select(_ => (float)random.NextDouble()).ToArray();
        int[] classes = Enumerable.Range(0, 16).Select(i => i % 10).ToArray();
        var output = new float[160];
        model.TrainStep(images, classes, 16);

        long bytes = Allocations.OnThisThread(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                model.TrainStep(images, classes, 16);
                model.Predict(images, output, 16);
            }
        });

        Assert.Equal(0, bytes);
    }

    [Fact]
    public void Dropout_is_active_in_training_and_off_in_inference()
    {
        var model = new TinyConvNet();
        model.Initialize(3);
        var random = new Random(6);
        float[] images = Enumerable.Range(0, 4 * 64).Select(_ => (float)random.NextDouble()).ToArray();
        int[] classes = { 1, 2, 3, 4 };

        float first = model.Evaluate(images, classes, 4), second = model.Evaluate(images, classes, 4);
        var predicted = new float[40];
        model.Predict(images, predicted, 4);
        Tensor<float> eager = model.Forward(new Tensor<float>(images, 4, 1, 8, 8));

        Assert.Equal(first, second);
        Assert.Equal(eager.Values, predicted);
    }

    [Fact]
    public void A_state_dict_saved_as_PyTorch_lays_it_out_loads_and_saves_under_its_names()
    {
        // The file as torch's safetensors.save_file writes nn.Sequential(Linear(10, 5), ReLU(), Linear(5, 1)).state_dict():
        // tensors sorted by name, metadata {"format": "pt"}, the header padded with spaces to 8 bytes.
        var random = new Random(7);
        var tensors = new (string Name, int[] Shape, float[] Values)[]
        {
            ("0.bias", new[] { 5 }, Values(5)),
            ("0.weight", new[] { 5, 10 }, Values(50)),
            ("2.bias", new[] { 1 }, Values(1)),
            ("2.weight", new[] { 1, 5 }, Values(5)),
        };
        float[] Values(int count) => Enumerable.Range(0, count).Select(_ => (float)random.NextDouble()).ToArray();

        var json = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        var data = new MemoryStream();
        Span<byte> bytes = stackalloc byte[4];
        foreach (var (name, shape, values) in tensors)
        {
            json.Append(CultureInfo.InvariantCulture, $",\"{name}\":{{\"dtype\":\"F32\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{data.Length},{data.Length + (values.Length * 4)}]}}");
            foreach (float v in values)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes, v);
                data.Write(bytes);
            }
        }

        json.Append('}');
        byte[] header = Encoding.UTF8.GetBytes(json.ToString());
        int length = (header.Length + 7) / 8 * 8;
        string path = Path.Combine(Path.GetTempPath(), $"optim-state-dict-{Guid.NewGuid():N}.safetensors");
        try
        {
            using (FileStream file = File.Create(path))
            {
                Span<byte> size = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(size, (ulong)length);
                file.Write(size);
                file.Write(header);
                file.Write(Enumerable.Repeat((byte)' ', length - header.Length).ToArray());
                file.Write(data.ToArray());
            }

            var model = new SeedAdam();
            model.LoadSafetensors(path);
            Assert.Equal(tensors[1].Values, model.HiddenWeight.ToArray());
            Assert.Equal(tensors[0].Values, model.HiddenBias.ToArray());
            Assert.Equal(tensors[3].Values, model.OutputWeight.ToArray());
            Assert.Equal(tensors[2].Values, model.OutputBias.ToArray());

            // And back: the model writes the same names, which the other optimizer class reads.
            model.SaveSafetensors(path);
            var other = new SeedSgd();
            other.LoadSafetensors(path);
            Assert.Equal(model.Parameters.ToArray(), other.Parameters.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
