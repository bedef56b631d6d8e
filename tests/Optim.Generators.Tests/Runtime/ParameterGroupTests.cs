using System;
using System.IO;
using System.Linq;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.Runtime;

/// <summary>
/// [Optimize] on a parameter property makes a parameter group. A model with groups steps every group exactly as
/// separate single-group models would: the test trains both side by side on the same gradients and compares bits.
/// </summary>
public sealed class ParameterGroupTests
{
    private const string Usings = "using System;\nusing Optim;\nusing static Optim.Optimizer;\n";

    public static TheoryData<string, string, string, string, double> Cases => new()
    {
        // No weight decay on biases: the class's AdamW, the biases' override inheriting Lr and the betas.
        {
            "[Optimize(AdamW, Lr = 3e-3, WeightDecay = 0.1)]",
            "[Parameter(5, 10)] public partial Span<float> W1 { get; }\n[Parameter(5), Optimize(AdamW, WeightDecay = 0)] public partial Span<float> B1 { get; }\n[Parameter(1, 5)] public partial Span<float> W2 { get; }\n[Parameter(1), Optimize(AdamW, WeightDecay = 0)] public partial Span<float> B2 { get; }",
            "[Optimize(AdamW, Lr = 3e-3, WeightDecay = 0.1)] public sealed partial class A { [Parameter(5, 10)] public partial Span<float> W1 { get; } [Parameter(1, 5)] public partial Span<float> W2 { get; } }",
            "[Optimize(AdamW, Lr = 3e-3, WeightDecay = 0)] public sealed partial class B { [Parameter(5)] public partial Span<float> B1 { get; } [Parameter(1)] public partial Span<float> B2 { get; } }",
            1.0
        },

        // Muon for the hidden matrices, AdamW (with its own, smaller rate) for the biases.
        {
            "[Optimize(Muon, Lr = 0.02)]",
            "[Parameter(8, 6)] public partial Span<float> W1 { get; }\n[Parameter(8), Optimize(AdamW, Lr = 1e-3)] public partial Span<float> B1 { get; }\n[Parameter(3, 8)] public partial Span<float> W2 { get; }\n[Parameter(3), Optimize(AdamW, Lr = 1e-3)] public partial Span<float> B2 { get; }",
            "[Optimize(Muon, Lr = 0.02)] public sealed partial class A { [Parameter(8, 6)] public partial Span<float> W1 { get; } [Parameter(3, 8)] public partial Span<float> W2 { get; } }",
            "[Optimize(AdamW, Lr = 1e-3)] public sealed partial class B { [Parameter(8)] public partial Span<float> B1 { get; } [Parameter(3)] public partial Span<float> B2 { get; } }",
            0.05
        },

        // A per-tensor rule (LAMB) beside an element-wise one (SGD with momentum), in double.
        {
            "[Optimize(Lamb, Lr = 0.01, WeightDecay = 0.01)]",
            "[Parameter(37)] public partial Span<double> W1 { get; }\n[Parameter(3), Optimize(Sgd, Lr = 0.1, Momentum = 0.9)] public partial Span<double> B1 { get; }\n[Parameter(4, 5)] public partial Span<double> W2 { get; }",
            "[Optimize(Lamb, Lr = 0.01, WeightDecay = 0.01)] public sealed partial class A { [Parameter(37)] public partial Span<double> W1 { get; } [Parameter(4, 5)] public partial Span<double> W2 { get; } }",
            "[Optimize(Sgd, Lr = 0.1, Momentum = 0.9)] public sealed partial class B { [Parameter(3)] public partial Span<double> B1 { get; } }",
            10.0
        },

        // The rule the README states: a group with the class's optimizer inherits every value it leaves out (Lr and Beta1
        // here); a group with another optimizer starts from that optimizer's defaults, Lr included (Sgd's 1e-3, not 0.05).
        {
            "[Optimize(Adam, Lr = 0.05, Beta1 = 0.8)]",
            "[Parameter(4, 3)] public partial Span<float> W1 { get; }\n[Parameter(4), Optimize(Adam, Eps = 1e-6)] public partial Span<float> B1 { get; }",
            "[Optimize(Adam, Lr = 0.05, Beta1 = 0.8)] public sealed partial class A { [Parameter(4, 3)] public partial Span<float> W1 { get; } }",
            "[Optimize(Adam, Lr = 0.05, Beta1 = 0.8, Eps = 1e-6)] public sealed partial class B { [Parameter(4)] public partial Span<float> B1 { get; } }",
            1.0
        },
        {
            "[Optimize(Adam, Lr = 0.05)]",
            "[Parameter(4, 3)] public partial Span<float> W1 { get; }\n[Parameter(4), Optimize(Sgd, Momentum = 0.9)] public partial Span<float> B1 { get; }",
            "[Optimize(Adam, Lr = 0.05)] public sealed partial class A { [Parameter(4, 3)] public partial Span<float> W1 { get; } }",
            "[Optimize(Sgd, Lr = 1e-3, Momentum = 0.9)] public sealed partial class B { [Parameter(4)] public partial Span<float> B1 { get; } }",
            1e-3 / 0.05
        },

        // Adafactor (per-row and per-column state) as the second group, after Adam's sections: matrices, a vector, a 3-D tensor.
        {
            "[Optimize(Adam, Lr = 1e-3)]",
            "[Parameter(6, 10)] public partial Span<float> W1 { get; }\n[Parameter(7), Optimize(Adafactor, Lr = 1e-2)] public partial Span<float> B1 { get; }\n[Parameter(9, 4), Optimize(Adafactor, Lr = 1e-2)] public partial Span<float> W2 { get; }\n[Parameter(2, 3, 5), Optimize(Adafactor, Lr = 1e-2)] public partial Span<float> W3 { get; }",
            "[Optimize(Adam, Lr = 1e-3)] public sealed partial class A { [Parameter(6, 10)] public partial Span<float> W1 { get; } }",
            "[Optimize(Adafactor, Lr = 1e-2)] public sealed partial class B { [Parameter(7)] public partial Span<float> B1 { get; } [Parameter(9, 4)] public partial Span<float> W2 { get; } [Parameter(2, 3, 5)] public partial Span<float> W3 { get; } }",
            10.0
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_grouped_model_steps_like_one_model_per_group(string attribute, string members, string first, string second, double lrScale)
    {
        string source = Usings + $"{attribute}\npublic sealed partial class Grouped\n{{\n{members}\n}}\n{first}\n{second}\n";
        using var assembly = Compiled.Load(source);
        object grouped = assembly.Create("Grouped");
        object a = assembly.Create("A");
        object b = assembly.Create("B");
        var random = new Random(11);
        string[] names = members.Split('\n').Select(m => m.Split("Span<")[1].Split('>')[1].Trim().Split(' ')[0]).ToArray();
        object[] owners = names.Select(n => (object)(HasProperty(a, n) ? a : b)).ToArray();

        // The same initial values and gradients for the grouped model and the per-group models.
        foreach (var (name, owner) in names.Zip(owners))
        {
            Fill(grouped, owner, name, "", random);
        }

        double rate = ((IOptimizable)grouped).LearningRate;
        for (int step = 0; step < 12; step++)
        {
            ((IOptimizable)grouped).ZeroGrad();
            ((IOptimizable)a).ZeroGrad();
            ((IOptimizable)b).ZeroGrad();
            foreach (var (name, owner) in names.Zip(owners))
            {
                Fill(grouped, owner, name, "Grad", random);
            }

            // The class's rate changes between steps; a group with its own Lr follows in proportion.
            double lr = rate * (1 + (step % 3));
            ((IOptimizable)grouped).LearningRate = lr;
            ((IOptimizable)a).LearningRate = lr;
            ((IOptimizable)b).LearningRate = lr * lrScale;
            ((IOptimizable)grouped).Step();
            ((IOptimizable)a).Step();
            ((IOptimizable)b).Step();

            foreach (var (name, owner) in names.Zip(owners))
            {
                double[] expected = Values(owner, name);
                double[] actual = Values(grouped, name);
                Assert.True(expected.SequenceEqual(actual), $"step {step + 1}, {name}: grouped [{string.Join(", ", actual.Take(4))}…], separate [{string.Join(", ", expected.Take(4))}…]");
            }
        }
    }

    [Fact]
    public void Parameters_sit_group_by_group_and_views_still_name_their_parameter()
    {
        string source = Usings + "[Optimize(Adam)] public sealed partial class M { [Parameter(2)] public partial Span<float> A { get; } [Parameter(3), Optimize(Sgd)] public partial Span<float> B { get; } [Parameter(4)] public partial Span<float> C { get; } }";
        using var assembly = Compiled.Load(source);
        var model = (IOptimizable<float>)assembly.Create("M");
        Span<float>(model, "A")[0] = 1f;
        Span<float>(model, "B")[0] = 2f;
        Span<float>(model, "C")[0] = 3f;

        // The class's group (A, C) first, then B's group.
        Assert.Equal(new[] { 1f, 0, 3f, 0, 0, 0, 2f, 0, 0 }, model.Parameters.ToArray());
    }

    private static bool HasProperty(object model, string name) => model.GetType().GetProperty(name) is not null;

    private static void Fill(object grouped, object owner, string name, string suffix, Random random)
    {
        if (grouped.GetType().GetProperty(name + suffix)!.PropertyType == typeof(Span<float>))
        {
            Span<float> x = Span<float>(grouped, name + suffix), y = Span<float>(owner, name + suffix);
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = y[i] = (float)(random.NextDouble() - 0.5);
            }
        }
        else
        {
            Span<double> x = Span<double>(grouped, name + suffix), y = Span<double>(owner, name + suffix);
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = y[i] = random.NextDouble() - 0.5;
            }
        }
    }

    /// <summary>A Span property read through a delegate (reflection cannot box a span).</summary>
    private static Span<T> Span<T>(object model, string property)
    {
        var getter = (Func<Span<T>>)Delegate.CreateDelegate(typeof(Func<Span<T>>), model, model.GetType().GetProperty(property)!.GetMethod!);
        return getter();
    }

    private static double[] Values(object model, string property) =>
        model.GetType().GetProperty(property)!.PropertyType == typeof(Span<float>)
            ? Span<float>(model, property).ToArray().Select(v => (double)v).ToArray()
            : Span<double>(model, property).ToArray();

    /// <summary>Sources compiled with the generator into a collectible assembly.</summary>
    private sealed class Compiled : IDisposable
    {
        private readonly AssemblyLoadContext _context = new("groups", isCollectible: true);
        private System.Reflection.Assembly _assembly = null!;

        public static Compiled Load(string source)
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate(source);
            Assert.Empty(run.GeneratorDiagnostics);
            Assert.Empty(run.CompileDiagnostics);
            using var image = new MemoryStream();
            var emitted = run.Output.Emit(image);
            Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
            var compiled = new Compiled();
            compiled._assembly = compiled._context.LoadFromStream(new MemoryStream(image.ToArray()));
            return compiled;
        }

        public object Create(string type) => Activator.CreateInstance(_assembly.GetType(type)!)!;

        public void Dispose() => _context.Unload();
    }
}
