using System;

namespace Optim.Distributed;

/// <summary>
/// An MPI call failed. The message names the MPI function, MPI's error text and code, and the rank that saw it
/// (<c>MPI_Allreduce failed on rank 1 of 3: MPI_ERR_COUNT: invalid count argument (MPI error 2)</c>).
/// </summary>
public sealed class MpiException : Exception
{
    /// <summary>Creates an exception with a message only.</summary>
    public MpiException()
    {
    }

    /// <summary>Creates an exception with a message only.</summary>
    public MpiException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public MpiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal MpiException(string function, int errorCode, int rank, int size)
        : base($"{function} failed on rank {rank} of {size}: {MpiNative.Describe(errorCode)}")
    {
        Function = function;
        ErrorCode = errorCode;
        Rank = rank;
    }

    /// <summary>The MPI function that failed (<c>MPI_Allreduce</c>), or null.</summary>
    public string? Function { get; }

    /// <summary>MPI's error code (the <c>MPI_ERR_*</c> class or an Open MPI code); 0 when not from an MPI call.</summary>
    public int ErrorCode { get; }

    /// <summary>The rank on which the call failed; -1 when unknown.</summary>
    public int Rank { get; } = -1;
}
