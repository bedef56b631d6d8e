using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;
using Optim;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.Runtime;

/// <summary>
/// A model too large for the memory available fails with an OutOfMemoryException that names the model and the
/// bytes its arena asked for. The failure is made certain, whatever the machine, by running the model in a child
/// process whose GC heap is capped at 256 MiB (DOTNET_GCHeapHardLimit) while the arena needs 3.2 GB.
/// </summary>
public sealed class ArenaMemoryTests
{
    private const string Program = """
        using System;
        using Optim;
        using static Optim.Optimizer;

        namespace Demo
        {
            // Adam: parameters, gradients and two moments, 4 × 200,000,000 floats.
            [Optimize(Adam, Threads = 1)]
            public partial class HugeModel { [Parameter(200_000_000)] public partial Span<float> W { get; } }

            public static class Program
            {
                public static int Main()
                {
                    try
                    {
                        var model = new HugeModel();
                        Console.WriteLine("allocated " + model.Parameters.Length);
                        return 0;
                    }
                    catch (OutOfMemoryException e)
                    {
                        Console.WriteLine(e.GetType().FullName);
                        Console.WriteLine(e.Message);
                        Console.WriteLine("inner: " + e.InnerException?.GetType().FullName);
                        return 3;
                    }
                }
            }
        }
        """;

    [Fact]
    public void A_model_that_does_not_fit_names_itself_and_the_bytes_it_asked_for()
    {
        string folder = Path.Combine(Path.GetTempPath(), "optim-arena-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            Compilation compilation = InMemoryModels.Compile(Program, OutputKind.ConsoleApplication);
            string app = Path.Combine(folder, "HugeModel.dll");
            EmitResult emitted = compilation.Emit(app);
            Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
            string library = typeof(IOptimizable).Assembly.Location;
            File.Copy(library, Path.Combine(folder, Path.GetFileName(library)));
            File.WriteAllText(Path.Combine(folder, "HugeModel.runtimeconfig.json"), $$"""
                { "runtimeOptions": { "tfm": "net10.0", "framework": { "name": "Microsoft.NETCore.App", "version": "{{Environment.Version.ToString(3)}}" } } }
                """);

            var environment = new Dictionary<string, string?> { ["DOTNET_GCHeapHardLimit"] = "0x10000000" }; // 256 MiB, hex
            var (exit, output, error) = Processes.Run("dotnet", ["exec", app], environment, timeoutSeconds: 120);

            Assert.True(exit == 3, $"exit {exit}\n{output}\n{error}");
            Assert.Contains("System.InsufficientMemoryException", output, StringComparison.Ordinal); // an OutOfMemoryException
            Assert.Contains("Model Demo.HugeModel could not allocate its arena", output, StringComparison.Ordinal);

            // 4 sections × 200,000,000 floats + 16 floats of alignment slack, 4 bytes each.
            Assert.Contains("3,200,000,064 bytes", output, StringComparison.Ordinal);
            Assert.Contains("800,000,000 Single elements", output, StringComparison.Ordinal);
            Assert.Contains("inner: System.OutOfMemoryException", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void An_arena_longer_than_an_array_can_be_is_an_argument_error_not_an_allocation()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Arena<double>(int.MaxValue));
        Assert.Equal("length", error.ParamName);
    }
}
