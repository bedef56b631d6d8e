using System;
using System.Numerics;

namespace Optim;

// Muon's orthogonalization: Newton–Schulz iterations on one matrix, in the element type, over the products of MatrixKernels.cs.
public static partial class MatrixKernels
{
    /// <summary>
    /// Elements of workspace <see cref="NewtonSchulz{T}"/> needs for the largest of the given matrices, given as
    /// (rows, cols) pairs: for m = min(rows, cols) and k = max(rows, cols), 3·m·k + 2·m².
    /// </summary>
    /// <exception cref="ArgumentException">A dimension is not positive, or a pair is incomplete.</exception>
    /// <exception cref="OverflowException">The workspace would exceed the largest array.</exception>
    public static int NewtonSchulzWorkspaceLength(ReadOnlySpan<int> rowsAndCols)
    {
        if (rowsAndCols.Length % 2 != 0)
        {
            throw new ArgumentException("Shapes come as (rows, cols) pairs.", nameof(rowsAndCols));
        }

        long length = 0;
        for (int i = 0; i < rowsAndCols.Length; i += 2)
        {
            int rows = rowsAndCols[i], cols = rowsAndCols[i + 1];
            if (rows <= 0 || cols <= 0)
            {
                throw new ArgumentException($"Matrix dimensions must be positive: {rows} × {cols}.", nameof(rowsAndCols));
            }

            long m = Math.Min(rows, cols), k = Math.Max(rows, cols);
            length = Math.Max(length, checked((3 * m * k) + (2 * m * m)));
        }

        return checked((int)length);
    }

    /// <summary>
    /// Whether <see cref="NewtonSchulz{T}"/> on a <paramref name="rows"/> × <paramref name="cols"/> matrix, given two or
    /// more threads, shares the tiles of its products between them. Generated models step such matrices one after
    /// another with every thread, and share the smaller ones between threads whole, each on its own workspace.
    /// </summary>
    public static bool NewtonSchulzSharesProducts(int rows, int cols)
    {
        long m = Math.Min(rows, cols), k = Math.Max(rows, cols);

        // A = X·Xᵀ (m × k by k × m) has the largest column block of the three products: A·A and B·X never exceed it.
        return SharesTiles(m, k, Math.Min(m, ColumnBlock));
    }

    /// <summary>
    /// <paramref name="count"/> workspaces of <paramref name="length"/> elements each, for the threads that share a
    /// model's smaller matrices (see <see cref="NewtonSchulzSharesProducts"/>); allocated once with the model.
    /// </summary>
    public static T[][] Workspaces<T>(int count, int length)
    {
        var workspaces = new T[Math.Max(0, count)][];
        for (int w = 0; w < workspaces.Length; w++)
        {
            workspaces[w] = new T[length];
        }

        return workspaces;
    }

    /// <summary>
    /// torch.optim.Muon's orthogonalization of <paramref name="matrix"/> (rows × cols, row-major), in place and in the
    /// element type: X ← G / max(‖G‖, ε) (transposed first when rows &gt; cols), then <paramref name="steps"/> times
    /// A ← X·Xᵀ, B ← b·A + c·(A·A), X ← a·X + B·X, transposed back.
    /// </summary>
    /// <param name="matrix">The rows × cols values; replaced by the result.</param>
    /// <param name="rows">Rows of the matrix.</param>
    /// <param name="cols">Columns of the matrix.</param>
    /// <param name="workspace">At least <see cref="NewtonSchulzWorkspaceLength"/> elements for this shape.</param>
    /// <param name="steps">Newton–Schulz iterations.</param>
    /// <param name="eps">Lower bound of the norm the matrix is divided by.</param>
    /// <param name="a">Coefficient of X.</param>
    /// <param name="b">Coefficient of A.</param>
    /// <param name="c">Coefficient of A·A.</param>
    /// <param name="maxThreads">
    /// Threads a large product may use (<see cref="StepWorkers"/>, the caller's included): its four-row tiles are shared
    /// between them, each tile computed whole by one thread, so the result is the same bits for any count.
    /// </param>
    public static void NewtonSchulz<T>(Span<T> matrix, int rows, int cols, Span<T> workspace, double steps, double eps, double a, double b, double c, int maxThreads = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rows <= 0 || cols <= 0 || matrix.Length != rows * cols)
        {
            throw new ArgumentException($"A {rows} × {cols} matrix needs {rows * cols} values, not {matrix.Length}.", nameof(matrix));
        }

        int m = Math.Min(rows, cols), k = Math.Max(rows, cols);
        if (workspace.Length < (3 * m * k) + (2 * m * m))
        {
            throw new ArgumentException($"The workspace holds {workspace.Length} elements; a {rows} × {cols} matrix needs {(3 * m * k) + (2 * m * m)}.", nameof(workspace));
        }

        Span<T> x = workspace.Slice(0, m * k);                  // m × k, the wide orientation
        Span<T> xt = workspace.Slice(m * k, m * k);             // k × m
        Span<T> gram = workspace.Slice(2 * m * k, m * m);       // m × m
        Span<T> gramUpdate = workspace.Slice((2 * m * k) + (m * m), m * m);
        Span<T> product = workspace.Slice((2 * m * k) + (2 * m * m), m * k);

        if (rows > cols)
        {
            Transpose(matrix, rows, cols, x);
        }
        else
        {
            matrix.CopyTo(x);
        }

        // X ← X / max(‖X‖, ε): the norm summed in double, element by element in order.
        double squares = 0;
        foreach (T value in x)
        {
            double v = double.CreateTruncating(value);
            squares += v * v;
        }

        T scale = T.CreateTruncating(Math.Max(Math.Sqrt(squares), eps));
        for (int i = 0; i < x.Length; i++)
        {
            x[i] /= scale;
        }

        T ta = T.CreateTruncating(a), tb = T.CreateTruncating(b), tc = T.CreateTruncating(c);
        for (int step = 0; step < steps; step++)
        {
            // Each product packs the right operand's columns into a section no operand of that product uses.
            Transpose(x, m, k, xt);
            Multiply(x, m, k, xt, m, gram, product, maxThreads);                 // A = X·Xᵀ
            Multiply(gram, m, m, gram, m, gramUpdate, product, maxThreads);      // A·A
            for (int i = 0; i < gram.Length; i++)
            {
                gramUpdate[i] = (tb * gram[i]) + (tc * gramUpdate[i]);   // B = b·A + c·A·A
            }

            Multiply(gramUpdate, m, m, x, k, product, xt, maxThreads);           // B·X
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = (ta * x[i]) + product[i];            // X = a·X + B·X
            }
        }

        if (rows > cols)
        {
            Transpose(x, m, k, matrix);
        }
        else
        {
            x.CopyTo(matrix);
        }
    }
}
