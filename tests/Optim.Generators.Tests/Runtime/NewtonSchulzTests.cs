using System;
using System.Linq;
using System.Numerics;
using Xunit;

namespace Optim.Generators.Tests.Runtime;

/// <summary>
/// MatrixKernels.NewtonSchulz computes its products in register tiles (four output rows by one vector of columns, narrower
/// vectors and single columns for the rest): it must give, bit for bit, what the plain triple loop gives when every output
/// element adds its terms in ascending order with one multiply and one add each, for shapes that leave every kind of
/// remainder (rows not a multiple of four, columns not a multiple of any vector width, wide and tall matrices).
/// </summary>
public sealed class NewtonSchulzTests
{
    [Theory]
    [InlineData(1, 5)]
    [InlineData(5, 10)]
    [InlineData(13, 7)]
    [InlineData(6, 37)]
    [InlineData(40, 64)]
    [InlineData(150, 130)]
    public void Tiled_products_give_the_plain_loops_bits_float(int rows, int cols) => Compare<float>(rows, cols);

    [Theory]
    [InlineData(3, 11)]
    [InlineData(17, 9)]
    [InlineData(33, 70)]
    public void Tiled_products_give_the_plain_loops_bits_double(int rows, int cols) => Compare<double>(rows, cols);

    private static void Compare<T>(int rows, int cols)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random((rows * 1000) + cols);
        T[] matrix = Enumerable.Range(0, rows * cols).Select(_ => T.CreateTruncating(random.NextDouble() - 0.5)).ToArray();
        T[] expected = Plain(matrix, rows, cols, steps: 5, eps: 1e-7, a: 3.4445, b: -4.775, c: 2.0315);

        T[] actual = (T[])matrix.Clone();
        var workspace = new T[MatrixKernels.NewtonSchulzWorkspaceLength([rows, cols])];
        MatrixKernels.NewtonSchulz<T>(actual, rows, cols, workspace, 5, 1e-7, 3.4445, -4.775, 2.0315);

        int differing = Enumerable.Range(0, actual.Length).FirstOrDefault(i => !actual[i].Equals(expected[i]), -1);
        Assert.True(differing < 0, differing < 0 ? "" : $"element {differing}: {actual[differing]}, the plain loop gives {expected[differing]}");
    }

    /// <summary>torch.optim.Muon's orthogonalization written with plain loops, in the element type.</summary>
    private static T[] Plain<T>(T[] g, int rows, int cols, int steps, double eps, double a, double b, double c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = Math.Min(rows, cols), k = Math.Max(rows, cols);
        var x = new T[m * k];
        for (int r = 0; r < rows; r++)
        {
            for (int q = 0; q < cols; q++)
            {
                x[rows > cols ? (q * rows) + r : (r * cols) + q] = g[(r * cols) + q];
            }
        }

        double squares = 0;
        foreach (T value in x)
        {
            squares += double.CreateTruncating(value) * double.CreateTruncating(value);
        }

        T scale = T.CreateTruncating(Math.Max(Math.Sqrt(squares), eps));
        for (int i = 0; i < x.Length; i++)
        {
            x[i] /= scale;
        }

        T ta = T.CreateTruncating(a), tb = T.CreateTruncating(b), tc = T.CreateTruncating(c);
        for (int step = 0; step < steps; step++)
        {
            T[] gram = Product(m, k, m, (i, j) => x[(i * k) + j], (j, q) => x[(q * k) + j]);   // X·Xᵀ
            T[] square = Product(m, m, m, (i, j) => gram[(i * m) + j], (j, q) => gram[(j * m) + q]);
            T[] update = gram.Select((value, i) => (tb * value) + (tc * square[i])).ToArray();
            T[] product = Product(m, m, k, (i, j) => update[(i * m) + j], (j, q) => x[(j * k) + q]);
            x = x.Select((value, i) => (ta * value) + product[i]).ToArray();
        }

        var result = new T[rows * cols];
        for (int r = 0; r < rows; r++)
        {
            for (int q = 0; q < cols; q++)
            {
                result[(r * cols) + q] = x[rows > cols ? (q * rows) + r : (r * cols) + q];
            }
        }

        return result;
    }

    /// <summary>(n × inner)·(inner × width), each element's terms added in ascending order from zero.</summary>
    private static T[] Product<T>(int n, int inner, int width, Func<int, int, T> left, Func<int, int, T> right)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new T[n * width];
        for (int i = 0; i < n; i++)
        {
            for (int q = 0; q < width; q++)
            {
                T sum = T.Zero;
                for (int j = 0; j < inner; j++)
                {
                    sum += left(i, j) * right(j, q);
                }

                result[(i * width) + q] = sum;
            }
        }

        return result;
    }
}

[Optimize(Optimizer.Muon, Lr = 0.02, Threads = 2)]
public sealed partial class SharedProductsMuon
{
    [Parameter(160, 140)] public partial Span<float> W { get; }
}

[Optimize(Optimizer.Muon, Lr = 0.02, Threads = 1)]
public sealed partial class SingleThreadMuon
{
    [Parameter(160, 140)] public partial Span<float> W { get; }
}

/// <summary>
/// A parallel model shares the row tiles of Muon's large products between threads: each tile is computed whole by one
/// thread, so two threads must give a single thread's bits, step after step.
/// </summary>
[Collection(StepWorkersGroup.Name)]
public sealed class SharedNewtonSchulzTests
{
    [Fact]
    public void Products_shared_between_threads_give_one_threads_bits() =>
        ParallelTensorTests.StepAlike(new SharedProductsMuon(), new SingleThreadMuon(), steps: 3, minimumSlices: 2);
}
