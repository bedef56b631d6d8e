using System;
using System.Linq;
using System.Numerics;
using System.Runtime.InteropServices;
using CsCheck;
using Optim.Generators.Tests.Runtime;
using Optim.Kernels;
using Xunit;

namespace Optim.Generators.Tests.Gemm;

/// <summary>
/// <see cref="Optim.Kernels.Gemm"/> against the scalar triple loop of <see cref="GemmOracle"/>, bit for bit: random shapes
/// (1 and every non-multiple of the micro-tiles, KC blocks and MC blocks), every transpose, accumulation, bias and
/// activation, at 1, 2 and 3 threads. (The vector widths are compared by the SIMD probe, which hashes
/// <see cref="GemmWorkout"/>.)
/// </summary>
public sealed class GemmTests
{
    private sealed record Case(int M, int N, int K, GemmOptions Options, bool Bias, int Seed);

    private static readonly Gen<GemmOptions> Options =
        from transposes in Gen.Int[0, 3]
        from accumulate in Gen.Bool
        from activation in Gen.Int[0, 2]
        select (GemmOptions)transposes | (accumulate ? GemmOptions.Accumulate : 0)
            | activation switch { 1 => GemmOptions.Relu, 2 => GemmOptions.LeakyRelu, _ => GemmOptions.None };

    private static readonly Gen<Case> Cases =
        from m in Gen.OneOf(Gen.Int[1, 20], Gen.Int[1, 200])
        from n in Gen.OneOf(Gen.Int[1, 40], Gen.Int[1, 130])
        from k in Gen.OneOf(Gen.Int[1, 12], Gen.Int[1, 600])
        from options in Options
        from bias in Gen.Int[0, 2]
        from seed in Gen.Int
        select new Case(m, n, k, options | (bias == 2 ? GemmOptions.BiasPerRow : 0), bias > 0, seed);

    [Fact]
    public void Float_products_equal_the_scalar_oracle_bit_for_bit_at_1_2_and_3_threads() =>
        Cases.Sample(Check<float>, iter: 60, threads: 1);

    [Fact]
    public void Double_products_equal_the_scalar_oracle_bit_for_bit_at_1_2_and_3_threads() =>
        Cases.Sample(Check<double>, iter: 40, threads: 1);

    /// <summary>
    /// A layer's passes on a small batch (at most Gemm.SkinnyRows rows, and one row past them; A not transposed, B either
    /// way): the unpacked paths, with every tail of n and k, accumulation, both bias orientations and both activations.
    /// </summary>
    [Fact]
    public void Skinny_products_equal_the_scalar_oracle_bit_for_bit() =>
        (from m in Gen.Int[1, Optim.Kernels.Gemm.SkinnyRows + 1]
         from n in Gen.Int[1, 70]
         from k in Gen.Int[1, 300]
         from options in Options
         from bias in Gen.Int[0, 2]
         from seed in Gen.Int
         select new Case(m, n, k, (options & ~GemmOptions.TransposeA) | (bias == 2 ? GemmOptions.BiasPerRow : 0), bias > 0, seed))
        .Sample(Check<float>, iter: 120, threads: 1);

    /// <summary>
    /// One example's forward pass (one row, B stored transposed) across the widths of its blocks: 64 outputs at a time
    /// (512-bit vectors where the GEMM runs them), 32, 8, then scalar chains, and k in blocks of 16 and 8 with tails.
    /// </summary>
    [Fact]
    public void Single_row_products_with_B_transposed_equal_the_scalar_oracle_bit_for_bit() =>
        (from n in Gen.Int[1, 200]
         from k in Gen.Int[1, 300]
         from options in Options
         from bias in Gen.Int[0, 2]
         from seed in Gen.Int
         select new Case(1, n, k, (options & ~GemmOptions.TransposeA) | GemmOptions.TransposeB | (bias == 2 ? GemmOptions.BiasPerRow : 0), bias > 0, seed))
        .Sample(Check<float>, iter: 80, threads: 1);

    /// <summary>The skinny paths' block edges exactly: 64, 32 and 8 outputs, k of 8 and 16, and one past each.</summary>
    [Theory]
    [InlineData(1, 64, 16, GemmOptions.TransposeB)]
    [InlineData(1, 96, 8, GemmOptions.TransposeB | GemmOptions.Accumulate)]
    [InlineData(1, 128, 17, GemmOptions.TransposeB | GemmOptions.Relu)]
    [InlineData(1, 65, 33, GemmOptions.TransposeB | GemmOptions.BiasPerRow | GemmOptions.LeakyRelu)]
    [InlineData(1, 64, 8, GemmOptions.None)]
    [InlineData(1, 8, 8, GemmOptions.TransposeB)]
    [InlineData(1, 8, 8, GemmOptions.Accumulate)]
    [InlineData(2, 64, 16, GemmOptions.None)]
    [InlineData(3, 8, 8, GemmOptions.TransposeB | GemmOptions.Accumulate)]
    [InlineData(3, 45, 20, GemmOptions.Relu)]
    [InlineData(4, 8, 9, GemmOptions.TransposeB | GemmOptions.BiasPerRow | GemmOptions.LeakyRelu)]
    [InlineData(4, 33, 24, GemmOptions.TransposeB | GemmOptions.Accumulate | GemmOptions.Relu)]
    public void Skinny_products_at_their_block_edges_equal_the_oracle(int m, int n, int k, GemmOptions options)
    {
        Check<float>(new Case(m, n, k, options, true, m + n + k));
        Check<float>(new Case(m, n, k, options & ~GemmOptions.BiasPerRow, false, m * n * k));
    }

    [Theory]
    [InlineData(3, 1100, 5, GemmOptions.TransposeB)]                       // past one NC panel of B
    [InlineData(2, 1030, 1, GemmOptions.Accumulate)]
    [InlineData(200, 7, 520, GemmOptions.TransposeA | GemmOptions.Relu)]   // past MC rows and two KC blocks
    [InlineData(97, 33, 257, GemmOptions.Accumulate | GemmOptions.LeakyRelu | GemmOptions.BiasPerRow)]
    public void Products_crossing_every_block_boundary_equal_the_oracle(int m, int n, int k, GemmOptions options)
    {
        Check<float>(new Case(m, n, k, options, true, 11));
        Check<double>(new Case(m, n, k, options, true, 12));
    }

    [Fact]
    public void A_product_allocates_nothing_after_the_first_at_one_or_several_threads()
    {
        var random = new Random(3);
        float[] a = GemmWorkout.Random<float>(64 * 300, random), b = GemmWorkout.Random<float>(300 * 200, random);
        float[] c = new float[64 * 200], bias = GemmWorkout.Random<float>(200, random);
        foreach (int threads in new[] { 1, 2 })
        {
            void Product() => Optim.Kernels.Gemm.Multiply<float>(a, b, c, 64, 200, 300, GemmOptions.Relu, bias, 0, threads);
            Product();
            Assert.Equal(0, Allocations.OnThisThread(() =>
            {
                for (int i = 0; i < 5; i++)
                {
                    Product();
                }
            }));
        }
    }

    [Theory]
    [InlineData(5, 3)]     // short rows: the unpacked path, then the activation kernel
    [InlineData(37, 19)]   // the GEMM with the activation fused into its store
    public void Dense_forward_with_a_fused_relu_equals_the_product_then_the_activation_kernel_at_any_thread_count(int inFeatures, int outFeatures)
    {
        const int Batch = 13;
        var random = new Random(inFeatures);
        float[] x = GemmWorkout.Random<float>(Batch * inFeatures, random), w = GemmWorkout.Random<float>(outFeatures * inFeatures, random);
        float[] bias = GemmWorkout.Random<float>(outFeatures, random);
        float[] separate = new float[Batch * outFeatures];
        Dense.Forward<float>(x, w, bias, separate, Batch, inFeatures, outFeatures);
        Activations.Forward<float>(Activation.Relu, 0, separate, separate);
        Assert.Contains(separate, v => v == 0);
        Assert.Contains(separate, v => v > 0);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            float[] fused = new float[Batch * outFeatures];
            Dense.Forward<float>(x, w, bias, fused, Batch, inFeatures, outFeatures, GemmOptions.Relu, 0, threads);
            Assert.True(MemoryMarshal.AsBytes(separate.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(fused.AsSpan())), $"threads={threads}");
        }

        Assert.Throws<ArgumentException>(() => Dense.Forward<float>(x, w, bias, separate, Batch, inFeatures, outFeatures, GemmOptions.TransposeA));
    }

    [Fact]
    public void Bad_arguments_throw_exceptions_naming_the_problem()
    {
        float[] a = new float[6], b = new float[6], c = new float[4];
        Assert.Contains("a holds 6", Assert.Throws<ArgumentException>(() => Optim.Kernels.Gemm.Multiply<float>(a, b, c, 2, 2, 4)).Message);
        Assert.Contains("c holds 4", Assert.Throws<ArgumentException>(() => Optim.Kernels.Gemm.Multiply<float>(a, b, c, 3, 2, 2)).Message);
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => Optim.Kernels.Gemm.Multiply<float>(a, b, c, 2, 0, 3)).ParamName);
        Assert.Contains("choose one", Assert.Throws<ArgumentException>(() => Optim.Kernels.Gemm.Multiply<float>(a, b, c, 2, 2, 3, GemmOptions.Relu | GemmOptions.LeakyRelu)).Message);
        Assert.Contains("no bias", Assert.Throws<ArgumentException>(() => Optim.Kernels.Gemm.Multiply<float>(a, b, c, 2, 2, 3, GemmOptions.BiasPerRow)).Message);
        Assert.Contains("bias holds 1", Assert.Throws<ArgumentException>(() => Optim.Kernels.Gemm.Multiply<float>(a, b, c, 2, 2, 3, bias: new float[1])).Message);
        Assert.Equal("maxThreads", Assert.Throws<ArgumentOutOfRangeException>(() => Optim.Kernels.Gemm.Multiply<float>(a, b, c, 2, 2, 3, maxThreads: -1)).ParamName);
    }

    private static void Check<T>(Case test)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (int m, int n, int k, GemmOptions options, bool hasBias, int seed) = test;
        var random = new Random(seed);
        T[] a = GemmWorkout.Random<T>(m * k, random), b = GemmWorkout.Random<T>(k * n, random), c = GemmWorkout.Random<T>(m * n, random);

        // Exact zeros and negative zeros, so the signs of zero sums and the activations' edges are exercised too.
        a[random.Next(a.Length)] = T.Zero;
        c[random.Next(c.Length)] = T.NegativeZero;
        T[] bias = hasBias ? GemmWorkout.Random<T>((options & GemmOptions.BiasPerRow) != 0 ? m : n, random) : [];
        T[] expected = (T[])c.Clone();
        GemmOracle.Multiply(a, b, expected, m, n, k, options, bias, 0.02);

        // The operands sit between guard values: NaN around the inputs (a value read past them would reach an output as
        // NaN), a sentinel around C (a store past it would change one).
        const int Guard = 37;
        T sentinel = T.CreateTruncating(12345);
        T[] guardedA = Guarded(a, T.NaN), guardedB = Guarded(b, T.NaN), guardedBias = Guarded(bias, T.NaN);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            T[] guardedC = Guarded(c, sentinel);
            Optim.Kernels.Gemm.Multiply<T>(guardedA.AsSpan(Guard, a.Length), guardedB.AsSpan(Guard, b.Length), guardedC.AsSpan(Guard, c.Length), m, n, k, options,
                guardedBias.AsSpan(Guard, bias.Length), 0.02, threads);
            Assert.True(guardedC.AsSpan(0, Guard).IndexOfAnyExcept(sentinel) < 0 && guardedC.AsSpan(Guard + c.Length).IndexOfAnyExcept(sentinel) < 0,
                $"{typeof(T).Name} {m}×{n}×{k} {options} threads={threads}: a store landed outside C");
            T[] actual = guardedC.AsSpan(Guard, c.Length).ToArray();
            if (!MemoryMarshal.AsBytes(expected.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(actual.AsSpan())))
            {
                int first = Enumerable.Range(0, expected.Length).First(i => !MemoryMarshal.AsBytes(expected.AsSpan(i, 1)).SequenceEqual(MemoryMarshal.AsBytes(actual.AsSpan(i, 1))));
                Assert.Fail($"{typeof(T).Name} {m}×{n}×{k} {options} bias={hasBias} threads={threads}: C[{first / n}, {first % n}] = {actual[first]}, the oracle {expected[first]}");
            }
        }

        static T[] Guarded(T[] values, T guard)
        {
            var buffer = new T[values.Length + (2 * Guard)];
            buffer.AsSpan().Fill(guard);
            values.CopyTo(buffer, Guard);
            return buffer;
        }
    }
}
