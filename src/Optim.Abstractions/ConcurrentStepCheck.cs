using System;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Threading;

namespace Optim;

/// <summary>
/// The check a generated <c>Step()</c> makes in Debug builds (or with <c>OPTIM_CHECK_CONCURRENT_USE</c> defined) that
/// no other thread is inside <c>Step()</c> of the same model. A model is not thread-safe: two concurrent steps would
/// silently lose updates. The check is one <see cref="Interlocked.Exchange(ref int, int)"/> and one volatile write
/// per step, takes no lock and allocates nothing.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ConcurrentStepCheck
{
    /// <summary>Marks <paramref name="flag"/> as inside <c>Step()</c>, or throws if another thread already is.</summary>
    /// <param name="flag">The model's flag: 0 outside <c>Step()</c>, 1 inside.</param>
    /// <param name="model">The model's type name, for the message.</param>
    /// <exception cref="InvalidOperationException">Another thread is inside <c>Step()</c> of the same model.</exception>
    public static void Enter(ref int flag, string model)
    {
        if (Interlocked.Exchange(ref flag, 1) != 0)
        {
            ThrowConcurrent(model);
        }
    }

    /// <summary>Marks <paramref name="flag"/> as outside <c>Step()</c>.</summary>
    public static void Exit(ref int flag) => Volatile.Write(ref flag, 0);

    [DoesNotReturn]
    private static void ThrowConcurrent(string model) =>
        throw new InvalidOperationException(
            $"{model}.Step() was called concurrently on the same model from two threads. A model is not thread-safe: "
            + "concurrent steps lose updates. Give each thread its own model, or serialize the calls. "
            + "(This check runs in Debug builds and when OPTIM_CHECK_CONCURRENT_USE is defined.)");
}
