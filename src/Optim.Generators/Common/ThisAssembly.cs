namespace Optim.Generators.Common;

/// <summary>Version stamped into <c>[GeneratedCode]</c>; a test keeps it equal to the assembly version.</summary>
internal static class ThisAssembly
{
    public const string Version = "0.1.0";
}
