using System;
using System.IO;

namespace Optim.Distributed.Tests;

/// <summary>A fresh directory under the system's temp folder, deleted with the test class.</summary>
public abstract class TempDirectory : IDisposable
{
    protected TempDirectory() => Root = Directory.CreateTempSubdirectory("optim-mpi-").FullName;

    protected string Root { get; }

    protected string PathOf(string name) => Path.Combine(Root, name);

    public void Dispose()
    {
        Directory.Delete(Root, recursive: true);
        GC.SuppressFinalize(this);
    }
}
