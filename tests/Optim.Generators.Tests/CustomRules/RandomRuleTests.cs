using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.Loader;
using System.Text;
using CsCheck;
using Xunit;

namespace Optim.Generators.Tests.CustomRules;

/// <summary>
/// Random [UpdateRule] methods drawn from a small grammar over the supported constructs (locals, compound assignment,
/// if/else, ?:, comparisons with &amp;&amp; || !, Sqrt Abs Max Min Sign Clamp FusedMultiplyAdd, per-step Pow/Exp/Log and
/// conversions), random sizes and steps: the generated Step() equals the method called per element, bit for bit.
/// CsCheck prints the seed of a failing batch; replay it with CsCheck_Seed. The quick suite compiles 2 batches of 12
/// rules; the long run (Category=Long) 8 batches, and the same again under each narrower vector setting.
/// </summary>
public sealed class RandomRuleTests
{
    [Fact]
    public void Random_rules_step_exactly_as_the_method_per_element()
    {
        Gen.Int[0, int.MaxValue].Array[12].Sample(RunBatch, iter: 2, threads: 1);
    }

    [Fact]
    [Trait("Category", "Long")]
    public void Random_rules_step_exactly_as_the_method_per_element_over_the_long_batch()
    {
        Gen.Int[0, int.MaxValue].Array[12].Sample(RunBatch, iter: 8, threads: 1);
    }

    /// <summary>
    /// The same property under each of the runtime's narrower settings: the long batch above, run again in a child
    /// <c>dotnet test</c> whose environment turns Vector512 off (the AVX2-only machine), then AVX2, then every hardware
    /// intrinsic (the scalar loop alone). Each child draws its own random rules.
    /// </summary>
    [Theory]
    [Trait("Category", "Long")]
    [InlineData("DOTNET_EnableAVX512")]
    [InlineData("DOTNET_EnableAVX2")]
    [InlineData("DOTNET_EnableHWIntrinsic")]
    public void Random_rules_hold_with_narrower_vectors(string knob)
    {
        string configuration = new System.IO.DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var environment = new Dictionary<string, string?>
        {
            ["DOTNET_EnableAVX512"] = null, ["DOTNET_EnableAVX2"] = null, ["DOTNET_EnableHWIntrinsic"] = null,
            ["DOTNET_PreferredVectorBitWidth"] = null, [knob] = "0",
        };
        var (exit, output, error) = Infrastructure.Processes.Run(
            "dotnet",
            ["test", Infrastructure.Repository.TestProject, "--no-build", "-c", configuration, "--filter", $"FullyQualifiedName={typeof(RandomRuleTests).FullName}.{nameof(Random_rules_step_exactly_as_the_method_per_element_over_the_long_batch)}"],
            environment,
            timeoutSeconds: 600);
        Assert.True(exit == 0, $"{knob}=0: {output}\n{error}");
        Assert.Contains("Passed:     1", output, StringComparison.Ordinal);
    }

    private static void RunBatch(int[] seeds)
    {
        var source = new StringBuilder("using System;\nusing Optim;\nusing static Optim.Optimizer;\n");
        var expected = new List<(string Name, int Seed, string Rule)>();
        foreach (int seed in seeds)
        {
            var random = new Random(seed);
            string element = random.Next(3) == 0 ? "double" : "float";
            string rule = new RuleWriter(random, element).Write();
            string name = $"Rule{seed}";
            int size = random.Next(4) == 0 ? random.Next(1, 20) : random.Next(1, 400);
            source.Append(CustomRuleTests.Model(name, rule, element, size, lr: Math.Round(random.NextDouble() * 0.1 + 1e-3, 4)).Replace("using System;\nusing Optim;\nusing static Optim.Optimizer;\n", ""));
            expected.Add((name, seed, rule));
        }

        var assembly = CustomRuleOracle.Compile(source.ToString(), out AssemblyLoadContext context);
        try
        {
            foreach (var (name, seed, rule) in expected)
            {
                string? difference = CustomRuleOracle.Compare(assembly.GetType(name)!, steps: 1 + (seed % 6), seed);
                Assert.True(difference is null, difference + "\n" + rule);
            }
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>Writes one random rule in T (MathT, F suffixes), as <see cref="CustomRuleTests.For"/> expects.</summary>
    private sealed class RuleWriter
    {
        private readonly Random _random;
        private readonly List<string> _values = new() { "param", "grad" };
        private readonly List<string> _assignable = new() { "param" };
        private readonly StringBuilder _body = new();
        private readonly string _element;
        private int _locals;

        public RuleWriter(Random random, string element)
        {
            _random = random;
            _element = element;
        }

        public string Write()
        {
            int states = _random.Next(3);
            var parameters = new List<string> { "ref T param", "T grad" };
            for (int s = 0; s < states; s++)
            {
                parameters.Add($"ref T s{s}");
                _values.Add($"s{s}");
                _assignable.Add($"s{s}");
            }

            bool hasLr = _random.Next(4) != 0, hasStep = _random.Next(3) != 0;
            if (hasLr)
            {
                parameters.Add("T lr");
                _values.Add("lr");
            }

            if (hasStep)
            {
                parameters.Add("long step");
            }

            HasStep = hasStep;
            HasLr = hasLr;
            int statements = _random.Next(1, 7);
            for (int i = 0; i < statements; i++)
            {
                Statement("    ");
            }

            _body.Append("    param ").Append(Pick("=", "-=", "+=")).Append(' ').Append(Expression(2)).Append(";\n");
            return $"[UpdateRule]\npublic static void Rule({string.Join(", ", parameters)})\n{{\n{_body}}}\n";
        }

        private bool HasStep { get; set; }

        private bool HasLr { get; set; }

        private void Statement(string indent)
        {
            switch (_random.Next(6))
            {
                case 5:
                    DeferredLocal(indent);
                    break;
                case 0:
                case 1:
                {
                    string local = "a" + _locals++;
                    _body.Append(indent).Append(CultureInfo.InvariantCulture, $"T {local} = {Expression(3)};\n");
                    _values.Add(local);
                    _assignable.Add(local);
                    break;
                }

                case 2:
                    _body.Append(indent).Append(CultureInfo.InvariantCulture, $"{Pick(_assignable)} {Pick("=", "+=", "-=", "*=", "/=")} {Expression(3)};\n");
                    break;
                case 3:
                    _body.Append(indent).Append(CultureInfo.InvariantCulture, $"if ({Condition(2)})\n{indent}{{\n{indent}    {Pick(_assignable)} = {Expression(2)};\n{indent}}}\n");
                    if (_random.Next(2) == 0)
                    {
                        _body.Append(indent).Append(CultureInfo.InvariantCulture, $"else\n{indent}{{\n{indent}    {Pick(_assignable)} {Pick("=", "*=")} {Expression(2)};\n{indent}}}\n");
                    }

                    break;
                default:
                    if (_random.Next(2) == 0)
                    {
                        _body.Append(indent).Append(CultureInfo.InvariantCulture, $"{Pick(_assignable)}++;\n");
                    }
                    else
                    {
                        _body.Append(indent).Append(CultureInfo.InvariantCulture, $"{Pick(_assignable)} = {Condition(1)} ? {Expression(2)} : {Expression(2)};\n");
                    }

                    break;
            }
        }

        /// <summary>
        /// A local declared without an initialiser, then assigned in straight-line code or by both branches of an if
        /// (one of which may hold a nested if/else that assigns it on both paths, or a compound assignment after it).
        /// </summary>
        private void DeferredLocal(string indent)
        {
            string local = "a" + _locals++;
            _body.Append(indent).Append(CultureInfo.InvariantCulture, $"T {local};\n");
            if (_random.Next(3) == 0)
            {
                _body.Append(indent).Append(CultureInfo.InvariantCulture, $"{local} = {Expression(2)};\n");
            }
            else
            {
                _body.Append(indent).Append(CultureInfo.InvariantCulture, $"if ({Condition(2)})\n{indent}{{\n");
                Branch(local, indent + "    ");
                _body.Append(indent).Append(CultureInfo.InvariantCulture, $"}}\n{indent}else\n{indent}{{\n");
                Branch(local, indent + "    ");
                _body.Append(indent).Append("}\n");
            }

            _values.Add(local);
            _assignable.Add(local);
        }

        /// <summary>One branch assigning <paramref name="local"/> on every path.</summary>
        private void Branch(string local, string indent)
        {
            if (_random.Next(3) == 0)
            {
                _body.Append(indent).Append(CultureInfo.InvariantCulture, $"if ({Condition(1)})\n{indent}{{\n{indent}    {local} = {Expression(2)};\n{indent}}}\n");
                _body.Append(indent).Append(CultureInfo.InvariantCulture, $"else\n{indent}{{\n{indent}    {local} = {Expression(2)};\n{indent}}}\n");
            }
            else
            {
                _body.Append(indent).Append(CultureInfo.InvariantCulture, $"{local} = {Expression(2)};\n");
            }

            if (_random.Next(2) == 0)
            {
                _body.Append(indent).Append(CultureInfo.InvariantCulture, $"{local} {Pick("+=", "-=", "*=", "/=")} {Expression(1)};\n");
            }
        }

        private string Expression(int depth)
        {
            if (depth == 0 || _random.Next(3) == 0)
            {
                return Leaf();
            }

            return _random.Next(14) switch
            {
                12 => $"(T)((double){Expression(depth - 1)} {Pick("*", "/", "+")} {Pick("0.1", "3.0", "(double)step", "Math.Sqrt(2.0)")})".Replace("(double)step", HasStep ? "(double)step" : "7.0"),
                13 => $"(T)Math.{Pick("Sqrt(Math.Abs(", "Abs((", "Max(0.25, (")}{Expression(depth - 1)} * 0.5))",
                0 or 1 or 2 => $"({Expression(depth - 1)} {Pick("+", "-", "*", "/")} {Expression(depth - 1)})",
                3 => $"-{Leaf()}",
                4 => $"MathT.Sqrt(MathT.Abs({Expression(depth - 1)}))",
                5 => $"MathT.{Pick("Max", "Min")}({Expression(depth - 1)}, {Expression(depth - 1)})",
                6 => $"(MathT.Sign(grad) * {Expression(depth - 1)})",
                7 => $"Math.Clamp({Expression(depth - 1)}, -{Constant()}, {Constant()})",
                8 => $"MathT.FusedMultiplyAdd({Expression(depth - 1)}, {Expression(depth - 1)}, {Expression(depth - 1)})",
                9 => $"({Condition(depth - 1)} ? {Expression(depth - 1)} : {Expression(depth - 1)})",
                10 => $"MathT.Abs({Expression(depth - 1)})",
                _ => $"({Uniform()} * {Expression(depth - 1)})",
            };
        }

        private string Leaf() => _random.Next(4) switch
        {
            0 => Constant(),
            1 => Uniform(),
            _ => Pick(_values),
        };

        /// <summary>A per-step value: functions without vector forms, conversions, the step count.</summary>
        private string Uniform()
        {
            string lr = HasLr ? "lr" : Constant();
            if (!HasStep)
            {
                return _random.Next(2) == 0 ? $"MathT.Exp(-{lr})" : $"(1 - MathT.Sqrt({lr}))";
            }

            return _random.Next(5) switch
            {
                0 => $"(1 - MathT.Pow({Constant()}, step))",
                1 => $"(T)(1.0 / step)",
                2 => $"MathT.Log(step + {lr})",
                3 => $"(step % 2 == 0 ? {lr} : -{lr})",
                _ => $"((T)step * {lr})",
            };
        }

        private string Condition(int depth)
        {
            if (depth == 0 || _random.Next(3) != 0)
            {
                return _random.Next(6) == 0 && HasStep
                    ? $"step {Pick(">", "<=", "==")} {_random.Next(1, 4)}"
                    : $"{Expression(0)} {Pick(">", "<", ">=", "<=", "==", "!=")} {Expression(1)}";
            }

            return _random.Next(3) switch
            {
                0 => $"({Condition(depth - 1)} && {Condition(depth - 1)})",
                1 => $"({Condition(depth - 1)} || {Condition(depth - 1)})",
                _ => $"!({Condition(depth - 1)})",
            };
        }

        private string Constant() => Pick("0.5F", "2.0F", "0.9F", "1e-3F", "3.25F", "0.0F");

        private string Pick(params string[] options) => options[_random.Next(options.Length)];

        private string Pick(List<string> options) => options[_random.Next(options.Count)];
    }
}
