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

    /// <summary>
    /// Locals declared without an initialiser and assigned later: by both branches of an if (issue 20: Step() stored
    /// nothing), by nested ifs, in straight-line code, by compound assignments inside branches; element and per-step ones.
    /// </summary>
    public const string DeferredLocals = """
        [UpdateRule]
        public static void Deferred(ref T param, T grad, ref T s, T lr, long step)
        {
            T x;
            if (grad > 0)
                x = 1;
            else
                x = 2;
            T y;
            y = grad * 0.5F;
            T z = y;
            if (param > 0)
            {
                if (grad < param)
                {
                    z = grad;
                }
                else
                {
                    z *= 3;
                }
            }

            T w;
            if (step > 2)
            {
                w = lr;
            }
            else
            {
                w = lr * 0.5F;
            }

            T u;
            if (grad < -0.5F)
            {
                u = param;
                u += 1;
            }
            else
            {
                u = s;
                u -= grad;
                if (u > 1)
                {
                    u /= 2;
                }
            }

            T k = 4;
            if (grad == 0)
            {
                k = 8;
            }

            s = u + k;
            param -= x * w + y * z + u;
        }
        """;

    /// <summary>
    /// Issue 20's checked product: the method throws OverflowException from step 2 (2 × long.MaxValue), so must Step();
    /// it carried on with the wrapped value when the hoisted code dropped <c>checked</c>.
    /// </summary>
    public const string CheckedProduct = """
        [UpdateRule]
        public static void Checked(ref T param, T grad, long step) => param -= grad * checked(step * long.MaxValue) * 1e-30F;
        """;

    /// <summary>A checked per-step value nobody reads still throws, as the method computing it does (from step 3).</summary>
    public const string UnreadChecked = """
        [UpdateRule]
        public static void Unread(ref T param, T grad, T lr, long step)
        {
            int unread = checked((int)(step * 1000000000L));
            param -= lr * grad;
        }
        """;

    /// <summary>
    /// Unchecked products wrap, whatever the project's overflow checking (see the checked-project test); integer
    /// division by the step count minus 4 throws DivideByZeroException at step 4 in both.
    /// </summary>
    public const string WrapsAndDivides = """
        [UpdateRule]
        public static void Wraps(ref T param, T grad, long step)
        {
            long wrapped = unchecked(step * long.MaxValue + 3);
            param -= grad * (wrapped % 5) * 0.01F;
            param += (T)(10 / (step - 4)) * 0.001F;
        }
        """;

    /// <summary>
    /// Math.Clamp between per-step bounds: the method throws ArgumentException on every element once min &gt; max (from
    /// step 6 here); Step() used to clamp silently.
    /// </summary>
    public const string PerStepClamp = """
        [UpdateRule]
        public static void Clamped(ref T param, T grad, T lr, long step)
        {
            param = Math.Clamp(param - grad * lr, -lr * 100, lr * 100 * (4 - step));
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
    [InlineData(nameof(DeferredLocals))]
    [InlineData(nameof(CheckedProduct))]
    [InlineData(nameof(UnreadChecked))]
    [InlineData(nameof(WrapsAndDivides))]
    [InlineData(nameof(PerStepClamp))]
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

    /// <summary>
    /// A project compiled with CheckForOverflowUnderflow: the method's unmarked product throws from step 2 and its
    /// unchecked one wraps; the generated code, compiled in the same context, must say which is which.
    /// </summary>
    [Fact]
    public void Overflow_follows_the_method_in_a_checked_project()
    {
        const string rules = """
            [UpdateRule]
            public static void Wraps(ref T param, T grad, long step) => param -= grad * unchecked(step * long.MaxValue) * 1e-30F;
            """;
        const string throws = """
            [UpdateRule]
            public static void Throws(ref T param, T grad, long step) => param -= grad * (step * long.MaxValue) * 1e-30F;
            """;
        string source = "using System;\nusing Optim;\nusing static Optim.Optimizer;\n" + string.Concat(
            new[] { ("Wraps", rules), ("Throws", throws) }.SelectMany(r => new[] { "float", "double" }.Select(element => Model($"{r.Item1}_{element}", r.Item2, element, 17)))
                .Select(model => model.Replace("using System;\nusing Optim;\nusing static Optim.Optimizer;\n", "")));
        var assembly = CustomRuleOracle.Compile(source, out AssemblyLoadContext context, overflowChecks: true);
        try
        {
            foreach (Type type in assembly.GetTypes().Where(t => t.Name.StartsWith("Wraps_", StringComparison.Ordinal) || t.Name.StartsWith("Throws_", StringComparison.Ordinal)))
            {
                Assert.Null(CustomRuleOracle.Compare(type, steps: 4, seed: 1));
            }
        }
        finally
        {
            context.Unload();
        }
    }
}
