using System;
using System.Runtime.InteropServices;

namespace Optim.Distributed;

/// <summary>
/// The few entry points of MPI's C API that Optim.Distributed calls, bound at run time to Open MPI's
/// <c>libmpi.so.40</c> (or the library <c>OPTIM_MPI_LIBRARY</c> names). Open MPI's handles (<c>MPI_COMM_WORLD</c>,
/// <c>MPI_FLOAT</c>, <c>MPI_SUM</c>, …) are the addresses of exported globals, so they are looked up as exports too.
/// Function pointers rather than <c>DllImport</c>: nothing is resolved until <see cref="Load"/>, which reports a missing
/// library as an exception instead of failing at the first call.
/// </summary>
internal static unsafe partial class MpiNative
{
    /// <summary>The environment variable that names the MPI library to load instead of the default names.</summary>
    internal const string LibraryVariable = "OPTIM_MPI_LIBRARY";

    internal const int Success = 0;
    internal const int ThreadSerialized = 2;   // Open MPI: SINGLE 0, FUNNELED 1, SERIALIZED 2, MULTIPLE 3
    internal const int MaxErrorString = 256;   // MPI_MAX_ERROR_STRING

    /// <summary>Open MPI's <c>MPI_IN_PLACE</c>.</summary>
    internal static readonly nint InPlace = 1;

    private static readonly object Gate = new();
    private static bool _loaded;

    internal static nint CommWorld;
    internal static nint Float;
    internal static nint Double;
    internal static nint Byte;
    internal static nint Sum;
    internal static nint ErrorsReturn;

    internal static delegate* unmanaged<int*, int> Initialized;
    internal static delegate* unmanaged<int*, int> Finalized;
    internal static delegate* unmanaged<int*, byte***, int, int*, int> InitThread;
    internal static delegate* unmanaged<int> Finalize;
    internal static delegate* unmanaged<nint, int*, int> CommRank;
    internal static delegate* unmanaged<nint, int*, int> CommSize;
    internal static delegate* unmanaged<nint, nint, int> CommSetErrhandler;
    internal static delegate* unmanaged<nint, nint*, int> CommDup;
    internal static delegate* unmanaged<nint, int> Barrier;
    internal static delegate* unmanaged<nint, void*, int, nint, nint, nint, int> Allreduce;
    internal static delegate* unmanaged<void*, int, nint, int, nint, int> Bcast;
    internal static delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int> Allgather;
    internal static delegate* unmanaged<void*, int, nint, int, int, void*, int, nint, int, int, nint, void*, int> Sendrecv;
    internal static delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int> Allgatherv;
    internal static delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, int, nint, int> Gatherv;
    internal static delegate* unmanaged<nint, int, int> Abort;
    internal static delegate* unmanaged<int, byte*, int*, int> ErrorString;

    /// <summary>Loads the MPI library and binds every entry point; throws <see cref="DllNotFoundException"/> naming what was tried.</summary>
    internal static void Load()
    {
        lock (Gate)
        {
            if (_loaded)
            {
                return;
            }

            if (!OperatingSystem.IsLinux())
            {
                throw new PlatformNotSupportedException("Optim.Distributed runs on Linux with Open MPI (libmpi.so.40).");
            }

            nint library = Open();
            CommWorld = Export(library, "ompi_mpi_comm_world");
            Float = Export(library, "ompi_mpi_float");
            Double = Export(library, "ompi_mpi_double");
            Byte = Export(library, "ompi_mpi_byte");
            Sum = Export(library, "ompi_mpi_op_sum");
            ErrorsReturn = Export(library, "ompi_mpi_errors_return");

            Initialized = (delegate* unmanaged<int*, int>)Export(library, "MPI_Initialized");
            Finalized = (delegate* unmanaged<int*, int>)Export(library, "MPI_Finalized");
            InitThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Export(library, "MPI_Init_thread");
            Finalize = (delegate* unmanaged<int>)Export(library, "MPI_Finalize");
            CommRank = (delegate* unmanaged<nint, int*, int>)Export(library, "MPI_Comm_rank");
            CommSize = (delegate* unmanaged<nint, int*, int>)Export(library, "MPI_Comm_size");
            CommSetErrhandler = (delegate* unmanaged<nint, nint, int>)Export(library, "MPI_Comm_set_errhandler");
            CommDup = (delegate* unmanaged<nint, nint*, int>)Export(library, "MPI_Comm_dup");
            Barrier = (delegate* unmanaged<nint, int>)Export(library, "MPI_Barrier");
            Allreduce = (delegate* unmanaged<nint, void*, int, nint, nint, nint, int>)Export(library, "MPI_Allreduce");
            Bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Export(library, "MPI_Bcast");
            Allgather = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)Export(library, "MPI_Allgather");
            Sendrecv = (delegate* unmanaged<void*, int, nint, int, int, void*, int, nint, int, int, nint, void*, int>)Export(library, "MPI_Sendrecv");
            Allgatherv = (delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int>)Export(library, "MPI_Allgatherv");
            Gatherv = (delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, int, nint, int>)Export(library, "MPI_Gatherv");
            Abort = (delegate* unmanaged<nint, int, int>)Export(library, "MPI_Abort");
            ErrorString = (delegate* unmanaged<int, byte*, int*, int>)Export(library, "MPI_Error_string");
            _loaded = true;
        }
    }

    /// <summary>MPI's text for an error code (<c>MPI_Error_string</c>), or the bare code if MPI cannot say.</summary>
    internal static string Describe(int code)
    {
        byte* text = stackalloc byte[MaxErrorString];
        int length = 0;
        if (ErrorString != null && ErrorString(code, text, &length) == Success && length > 0)
        {
            return $"{Marshal.PtrToStringUTF8((nint)text, Math.Min(length, MaxErrorString))} (MPI error {code})";
        }

        return $"MPI error {code}";
    }

    private static nint Open()
    {
        string? configured = Environment.GetEnvironmentVariable(LibraryVariable);
        string[] names = string.IsNullOrEmpty(configured) ? ["libmpi.so.40", "libmpi.so"] : [configured];
        foreach (string name in names)
        {
            // RTLD_NOW | RTLD_GLOBAL: Open MPI loads its components with dlopen and they look up libmpi's symbols
            // globally; NativeLibrary.Load opens with RTLD_LOCAL, which breaks that on some builds.
            nint handle = DlOpen(name, RtldNow | RtldGlobal);
            if (handle != 0)
            {
                return handle;
            }
        }

        throw new DllNotFoundException(
            $"MPI is not installed: could not load {string.Join(" or ", names)}. Install Open MPI (Debian/Ubuntu: apt-get install " +
            $"openmpi-bin libopenmpi-dev) or set {LibraryVariable} to the path of libmpi.so.40.");
    }

    private static nint Export(nint library, string name)
    {
        if (!NativeLibrary.TryGetExport(library, name, out nint address))
        {
            throw new EntryPointNotFoundException(
                $"The MPI library has no export '{name}'. Optim.Distributed needs Open MPI (libmpi.so.40, Open MPI 3.x to 5.x); " +
                "MPICH and other MPI implementations use another ABI.");
        }

        return address;
    }

    private const int RtldNow = 2;
    private const int RtldGlobal = 0x100;

    private static nint DlOpen(string name, int flags)
    {
        nint utf8 = Marshal.StringToCoTaskMemUTF8(name);
        try
        {
            return dlopen((byte*)utf8, flags);
        }
        finally
        {
            Marshal.FreeCoTaskMem(utf8);
        }
    }

    // glibc 2.34 and later export dlopen from libc.so.6 (older ones from libdl.so.2, which libc's stub forwards to).
    [LibraryImport("libc", EntryPoint = "dlopen")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial nint dlopen(byte* file, int mode);
}
