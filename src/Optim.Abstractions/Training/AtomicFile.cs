using System;
using System.IO;

namespace Optim.Training;

/// <summary>
/// A file written all or nothing: the bytes go to a temporary file in the target's folder, which
/// <see cref="Commit"/> flushes to the disk and then moves over the target in one step. Disposing without committing
/// (an exception part-way through) deletes the temporary file and leaves any previous target untouched.
/// </summary>
internal sealed class AtomicFile : IDisposable
{
    private readonly string _target;
    private readonly string _temporary;
    private bool _committed;

    /// <summary>Creates the temporary file for <paramref name="path"/>.</summary>
    public AtomicFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _target = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(_target) ?? throw new ArgumentException($"'{path}' names a root folder, not a file.", nameof(path));
        _temporary = Path.Combine(folder, $"{Path.GetFileName(_target)}.{Guid.NewGuid():N}.tmp");
        Stream = new FileStream(_temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
    }

    /// <summary>The temporary file.</summary>
    public FileStream Stream { get; }

    /// <summary>Flushes the temporary file to the disk and moves it over the target.</summary>
    public void Commit()
    {
        Stream.Flush(flushToDisk: true);
        Stream.Dispose();
        File.Move(_temporary, _target, overwrite: true);
        _committed = true;
    }

    /// <summary>Closes the temporary file and, unless committed, deletes it.</summary>
    public void Dispose()
    {
        Stream.Dispose();
        if (!_committed)
        {
            try
            {
                File.Delete(_temporary);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort: the exception that abandoned the file is the one worth seeing.
            }
        }
    }
}
