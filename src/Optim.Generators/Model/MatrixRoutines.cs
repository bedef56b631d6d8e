using System;

namespace Optim.Generators.Model;

/// <summary>
/// What the generator must know of Optim.MatrixKernels' routines beyond how to call them: whether a routine, given the
/// model's threads, shares its own work between them for a matrix of a given shape. Such tensors are stepped one after
/// another with every thread; the others of a parallel model are handed to the threads whole. The runtime answers the
/// same question (<c>MatrixKernels.NewtonSchulzSharesProducts</c>); a test holds the two together.
/// </summary>
internal static class MatrixRoutines
{
    /// <summary>MatrixKernels.Multiply's column block: the columns of the output computed together.</summary>
    private const long ColumnBlock = 128;

    /// <summary>MatrixKernels.Multiply's multiply-adds of a column block from which its row tiles are shared between threads.</summary>
    private const long ParallelProductSize = 1 << 21;

    /// <summary>Whether <paramref name="routine"/> on a <paramref name="rows"/> × <paramref name="cols"/> matrix shares its work between threads.</summary>
    public static bool SharesWork(string routine, int rows, int cols)
    {
        if (routine != "NewtonSchulz")
        {
            return false;
        }

        // Its largest column block is that of A = X·Xᵀ: m rows, k inner terms, min(m, 128) columns; tiles of four rows.
        long m = Math.Min(rows, cols), k = Math.Max(rows, cols);
        return m > 4 && m * k * Math.Min(m, ColumnBlock) >= ParallelProductSize;
    }
}
