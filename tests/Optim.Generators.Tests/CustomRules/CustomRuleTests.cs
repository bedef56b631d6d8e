using System;
using System.Linq;
using System.Runtime.Loader;
using Xunit;

namespace Optim.Generators.Tests.CustomRules;

/// <summary>Hand-written custom rules, float and double, every tail length: generated Step() equals the method per element.</summary>
public sealed class CustomRuleTests
{
    /// <summary>The seed's SimpleSGD: p.data -= lr * p.grad.</summary>
    public const string SimpleSgd = """
        [UpdateRule]
        public static void Sgd(ref T param, T grad, T lr) => param -= lr * grad;
        """;

    /// <summary>Adam written the naive way: bias corrections with Pow inside the rule, two divisions.</summary>
    public const string NaiveAdam = """
        [UpdateRule]
        public static void Adam(ref T param, T grad, ref T m, ref T v, T lr, long step)
        {
            const T beta1 = 0.9F, beta2 = 0.999F, eps = 1e-8F;
            m = beta1 * m + (1 - beta1) * grad;
            v = beta2 * v + (1 - beta2) * grad * grad;
            T mHat = m / (1 - MathT.Pow(beta1, step));
            T vHat = v / (1 - MathT.Pow(beta2, step));
            param -= lr * mHat / (MathT.Sqrt(vHat) + eps);
        }
        """;

    /// <summary>Lion (Chen et al. 2023) with decoupled weight decay.</summary>
    public const string Lion = """
        [UpdateRule]
        public static void Lion(ref T param, T grad, ref T m, T lr)
        {
            const T beta1 = 0.9F, beta2 = 0.99F, weightDecay = 0.01F;
            T update = beta1 * m + (1 - beta1) * grad;
            param *= 1 - lr * weightDecay;
            param -= lr * MathT.Sign(update);
            m = beta2 * m + (1 - beta2) * grad;
        }
        """;

    /// <summary>Every supported construct at least once.</summary>
    public const string KitchenSink = """
        private const T Limit = 0.5F;

        [UpdateRule]
        public static void Everything(ref T param, T grad, ref T a, ref T b, T lr, long step)
        {
            T clipped = Math.Clamp(grad, -Limit, Limit);
            T warm = step < 3 ? lr * 0.5F : lr;
            if (clipped >= 0 && !(a != a) || step == 1)
            {
                a = MathT.Max(a, MathT.Abs(clipped));
            }
            else if (clipped <= -0.25F)
            {
                a = MathT.Min(a + 1, 2);
                b -= 1;
            }
            else
            {
                b = MathT.FusedMultiplyAdd(b, 0.5F, clipped);
            }

            int sign = MathT.Sign(grad);
            T scale = (T)(1.0 / (1.0 + (double)step)) + (T)Math.Log(step + 1);
            param += -warm * sign * scale / (MathT.Sqrt(a) + 1e-3F) + b * (T)0.001;
            param = param > 10 ? 10 : param;
            ++b;
        }
        """;

    /// <summary>
    /// Signed zeros and NaN, where vector and scalar functions most easily disagree: Clamp's own order of tests (−0 stays
    /// −0 inside [0, 1]), Max/Min of ±0, x != x, and 1/x to make the sign of a zero visible.
    /// </summary>
    public const string SignedZerosAndNaN = """
        [UpdateRule]
        public static void Edges(ref T param, T grad, ref T s)
        {
            T negativeZero = grad * -1;
            T nan = (grad - grad) / (grad - grad);
            T clamped = 1 / Math.Clamp(negativeZero, 0, 1) < 0 ? 1F : 0F;
            T maximum = 1 / MathT.Max(negativeZero, 0) < 0 ? 2F : 0F;
            T minimum = 1 / MathT.Min(0, negativeZero) < 0 ? 4F : 0F;
            T notANumber = nan != nan ? 8F : 0F;
            T sign = 1 / (T)MathT.Sign(negativeZero) > 0 ? 16F : 0F;
            T nanMaximum = MathT.Max(nan, param) == MathT.Max(nan, param) ? 32F : 0F;
            s = clamped + maximum + minimum + notANumber + sign + nanMaximum;
            param = param * 0.5F + s;
        }
        """;

    /// <summary>
    /// Element values computed in double inside a float rule, as C# does for <c>param * 0.5</c> or <c>(double)grad</c>:
    /// the vector code widens both halves of each vector, computes in double and narrows back.
    /// </summary>
    public const string DoubleIslands = """
        [UpdateRule]
        public static void Islands(ref T param, T grad, ref T s, T lr, long step)
        {
            double wide = (double)grad * 0.1 + Math.Sqrt(Math.Abs((double)param)) / step;
            s = (T)(wide > 0.01 ? wide : -wide * 3.0);
            param -= lr * (T)Math.Max(wide, (double)s) + (T)(param * 0.5);
            if ((double)grad * grad > 1e-3)
            {
                param = (T)((double)param * 0.999);
            }
        }
        """;

    /// <summary>A model around a rule, in float or double (T, MathT and the F suffix rewritten).</summary>
    public static string Model(string name, string rule, string element, int size, double lr = 0.01) =>
        $$"""
        using System;
        using Optim;
        using static Optim.Optimizer;

        [Optimize(Custom, Lr = {{lr.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}})]
        public partial class {{name}}
        {
            [Parameter({{size}})] public partial Span<{{element}}> W { get; }

        {{Indent(For(rule, element))}}
        }

        """;

    public static string For(string rule, string element) => element == "float"
        ? rule.Replace("MathT", "MathF").Replace("T ", "float ").Replace("(T)", "(float)").Replace("F;", "f;").Replace("F,", "f,").Replace("F)", "f)").Replace("F :", "f :")
        : rule.Replace("MathT", "Math").Replace("T ", "double ").Replace("(T)", "(double)").Replace("F;", ";").Replace("F,", ",").Replace("F)", ")").Replace("F :", " :");

    private static string Indent(string text) => string.Join("\n", text.Split('\n').Select(line => "    " + line));

    [Theory]
    [InlineData(nameof(SimpleSgd))]
    [InlineData(nameof(NaiveAdam))]
    [InlineData(nameof(Lion))]
    [InlineData(nameof(KitchenSink))]
    [InlineData(nameof(SignedZerosAndNaN))]
    [InlineData(nameof(DoubleIslands))]
    public void Generated_step_equals_the_method_called_per_element(string rule)
    {
        string text = (string)typeof(CustomRuleTests).GetField(rule)!.GetValue(null)!;
        int[] sizes = [1, 7, 16, 17, 100, 1027];
        string source = string.Concat(new[] { "float", "double" }.SelectMany(element => sizes.Select(size => Model($"{rule}_{element}_{size}", text, element, size))));
        source = "using System;\nusing Optim;\nusing static Optim.Optimizer;\n" + string.Concat(source.Split('\n').Where(line => !line.StartsWith("using ", StringComparison.Ordinal)).Select(line => line + "\n"));
        var assembly = CustomRuleOracle.Compile(source, out AssemblyLoadContext context);
        try
        {
            foreach (Type type in assembly.GetTypes().Where(t => t.Name.StartsWith(rule + "_", StringComparison.Ordinal)))
            {
                Assert.Null(CustomRuleOracle.Compare(type, steps: 12, seed: type.Name.Length));
            }

            Assert.Equal(2 * sizes.Length, assembly.GetTypes().Count(t => t.Name.StartsWith(rule + "_", StringComparison.Ordinal)));
        }
        finally
        {
            context.Unload();
        }
    }
}
