using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Optim.Generators.Tests.Infrastructure;

/// <summary>
/// Memory whose last byte is followed by a page that cannot be read (Linux: an anonymous mapping whose last page is
/// protected): a span placed at its end turns a kernel's read or write of one element past the span into a fault, which
/// a managed array's neighbouring heap memory hides.
/// </summary>
internal sealed class PageEnd : IDisposable
{
    private const int ProtectNone = 0, ProtectReadWrite = 3, MapPrivate = 0x02, MapAnonymous = 0x20;
    private readonly nint _start;
    private readonly nuint _length;
    private readonly nuint _usable;

    /// <summary>Maps at least <paramref name="bytes"/> usable bytes (whole pages) and one protected page after them.</summary>
    public PageEnd(int bytes)
    {
        nuint page = (nuint)Environment.SystemPageSize;
        _usable = (((nuint)Math.Max(bytes, 1) + page - 1) / page) * page;
        _length = _usable + page;
        _start = Map(0, _length, ProtectReadWrite, MapPrivate | MapAnonymous, -1, 0);
        if (_start == -1)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "mmap failed");
        }

        if (Protect(_start + (nint)_usable, page, ProtectNone) != 0)
        {
            int error = Marshal.GetLastPInvokeError();
            _ = Unmap(_start, _length);
            throw new Win32Exception(error, "mprotect failed");
        }
    }

    /// <summary>Whether this process can map such memory (Linux).</summary>
    public static bool Supported => OperatingSystem.IsLinux();

    /// <summary><paramref name="values"/> copied to the end of the usable bytes: the span's last element is the last readable one.</summary>
    public Span<T> Holding<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        if ((nuint)(values.Length * size) > _usable)
        {
            throw new ArgumentOutOfRangeException(nameof(values), values.Length, "more values than the mapping holds");
        }

        nint at = _start + (nint)_usable - (values.Length * size);
        Span<T> span = MemoryMarshal.CreateSpan(ref Unsafe.As<byte, T>(ref Unsafe.AddByteOffset(ref Unsafe.NullRef<byte>(), at)), values.Length);
        values.CopyTo(span);
        return span;
    }

    public void Dispose()
    {
        if (Unmap(_start, _length) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "munmap failed");
        }
    }

    [DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static extern nint Map(nint address, nuint length, int protection, int flags, int descriptor, nint offset);

    [DllImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static extern int Protect(nint address, nuint length, int protection);

    [DllImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static extern int Unmap(nint address, nuint length);
}
