using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Optim.Generators.Tests.Infrastructure;
using Xunit;

namespace Optim.Generators.Tests.CustomRules;

/// <summary>
/// The contract of a custom rule, checked directly: the generated Step() against the user's [UpdateRule] method itself,
/// called once per element in a plain loop (by reflection), for every parameter value, bit for bit (NaN matching NaN).
/// </summary>
internal static class CustomRuleOracle
{
    /// <summary>
    /// Compiles <paramref name="source"/> with the generator (no diagnostics, no warnings in generated code) and loads it;
    /// <paramref name="overflowChecks"/> compiles it as a project with CheckForOverflowUnderflow does.
    /// </summary>
    public static Assembly Compile(string source, out AssemblyLoadContext context, bool overflowChecks = false)
    {
        GeneratorHarness.Run run = overflowChecks ? Checked(source) : GeneratorHarness.Generate(source);
        Assert.True(run.GeneratorDiagnostics.IsEmpty, string.Join("\n", run.GeneratorDiagnostics) + "\n" + source);
        Assert.True(run.CompileDiagnostics.IsEmpty, string.Join("\n", run.CompileDiagnostics) + "\n" + source);
        using var image = new MemoryStream();
        var emitted = run.Output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        image.Position = 0;
        context = new AssemblyLoadContext("custom rules " + Guid.NewGuid(), isCollectible: true);
        return context.LoadFromStream(image);
    }

    private static GeneratorHarness.Run Checked(string source)
    {
        CSharpCompilation compilation = GeneratorHarness.Compilation(new[] { source });
        compilation = compilation.WithOptions(compilation.Options.WithOverflowChecks(true));
        GeneratorDriver driver = GeneratorHarness.Driver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out _);
        return new GeneratorHarness.Run(driver.GetRunResult(), output);
    }

    /// <summary>
    /// Trains the model <paramref name="type"/> for <paramref name="steps"/> steps (random values over many magnitudes, some
    /// zeros, a learning rate that changes between steps) beside the per-element oracle; null when every parameter matches
    /// bit for bit after every step, else the first difference. A step in which the method throws must throw the same
    /// exception from Step(), leaving the parameters as the method left them; the run ends there.
    /// </summary>
    public static string? Compare(Type type, int steps, int seed)
    {
        object model = Activator.CreateInstance(type)!;
        MethodInfo rule = type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .Single(m => m.GetCustomAttributes().Any(a => a.GetType().Name == "UpdateRuleAttribute"));
        return model switch
        {
            IOptimizable<float> f => Run(f, rule, steps, seed, r => (float)Value(r), x => BitConverter.SingleToInt32Bits(x)),
            IOptimizable<double> d => Run(d, rule, steps, seed, Value, x => BitConverter.DoubleToInt64Bits(x)),
            _ => "not a model",
        };
    }

    private static string? Run<T>(IOptimizable<T> model, MethodInfo rule, int steps, int seed, Func<Random, T> draw, Func<T, long> bits)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        ParameterInfo[] parameters = rule.GetParameters();
        int states = parameters.Skip(2).Count(p => p.ParameterType.IsByRef);
        int n = model.ParameterCount;
        var random = new Random(seed);
        T[] p = Enumerable.Range(0, n).Select(_ => draw(random)).ToArray();
        T[][] state = Enumerable.Range(0, states).Select(_ => new T[n]).ToArray();
        p.CopyTo(model.Parameters);
        double baseLr = model.LearningRate;
        object?[] args = new object?[parameters.Length];
        for (int step = 1; step <= steps; step++)
        {
            T[] g = Enumerable.Range(0, n).Select(_ => random.Next(8) == 0 ? T.Zero : draw(random)).ToArray();
            g.CopyTo(model.Gradients);
            model.LearningRate = baseLr * (1 + (step % 3));
            Exception? generatedError = null;
            try
            {
                model.Step();
            }
            catch (Exception e) when (e is ArithmeticException or ArgumentException)
            {
                generatedError = e;
            }

            T lr = T.CreateChecked(model.LearningRate);
            Exception? methodError = null;
            for (int i = 0; i < n; i++)
            {
                args[0] = p[i];
                args[1] = g[i];
                for (int s = 0; s < states; s++)
                {
                    args[2 + s] = state[s][i];
                }

                for (int k = 2 + states; k < parameters.Length; k++)
                {
                    args[k] = parameters[k].ParameterType == typeof(long) ? (object)(long)step : lr;
                }

                try
                {
                    rule.Invoke(null, args);
                }
                catch (TargetInvocationException e)
                {
                    methodError = e.InnerException;
                    break;
                }

                p[i] = (T)args[0]!;
                for (int s = 0; s < states; s++)
                {
                    state[s][i] = (T)args[2 + s]!;
                }
            }

            for (int i = 0; i < n; i++)
            {
                // Bit for bit, except that any NaN matches any NaN: IEEE leaves a NaN's sign and payload unspecified, and
                // the JIT may swap the operands of + and × (so which NaN propagates) between tiers and widths.
                if (bits(p[i]) != bits(model.Parameters[i]) && !(T.IsNaN(p[i]) && T.IsNaN(model.Parameters[i])))
                {
                    return $"{model.GetType().Name}, {n} values: step {step}, element {i}: method {p[i]:R}, generated {model.Parameters[i]:R}";
                }
            }

            if (methodError?.GetType() != generatedError?.GetType())
            {
                return $"{model.GetType().Name}, {n} values: step {step}: the method {Outcome(methodError)}, Step() {Outcome(generatedError)}";
            }

            if (methodError is not null)
            {
                return null;
            }
        }

        return null;
    }

    private static string Outcome(Exception? error) => error is null ? "returned" : "threw " + error.GetType().Name;

    /// <summary>Values over many magnitudes, both signs.</summary>
    private static double Value(Random random) => (random.NextDouble() * 2 - 1) * Math.Pow(10, random.Next(-3, 3));
}
