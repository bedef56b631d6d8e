using Optim.Generators.Common;
using Optim.Generators.Lowering;
using Optim.Generators.Model;

namespace Optim.Generators.Emit;

/// <summary>The gradient services Step() runs before the update (‖g‖, the non-finite skip, clipping) and the Debug check that two threads are not inside Step() at once.</summary>
internal static partial class StepWriter
{
    /// <summary>
    /// The gradient services before the update: one read of the whole gradient section for ‖g‖ (every group), then the
    /// non-finite skip and the clip coefficient.
    /// </summary>
    private static void WriteGradientServices(SourceWriter w, GradientServices services)
    {
        w.Line();
        w.Line("// ‖g‖ over every gradient of the model, in one read of the gradient section before the update.");
        w.Line("double _optimGradSquares = OptimGradientSquares(out bool _optimGradientsFinite);");
        w.Line("_optimLastGradNorm = global::System.Math.Sqrt(_optimGradSquares);");
        if (services.SkipNonFinite)
        {
            w.Open("if (!_optimGradientsFinite)");
            w.Line("// A NaN or infinite gradient: the step changes nothing but this count (optax's apply_if_finite).");
            w.Line("_optimSkippedSteps++;");
            w.Line("return;");
            w.Close();
        }

        if (services.Clips)
        {
            w.Line();
            w.Line($"// clip_grad_norm_(max_norm = {Literals.Double(services.ClipGradNorm)}): the update reads g·c, c = min(1, max_norm / (‖g‖ + 1e−6)).");
            w.Line($"double {Lowering.GradientClipping.CoefficientLocal} = global::Optim.GradientNorm.ClipCoefficient({Literals.Double(services.ClipGradNorm)}, _optimLastGradNorm);");
        }
    }

    /// <summary>LastGradNorm and SkippedSteps, with their fields, and the norm's pass.</summary>
    private static void WriteGradientServiceMembers(SourceWriter w, ModelLayout layout, GradientServices services)
    {
        ModelSpec model = layout.Model;
        string t = model.Element.Keyword();
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Σ g² over the gradients of the unfrozen parameters (GradientNorm.SumOfSquares: the same at every vector width),");
        w.Line("/// and whether they are all finite (checked again element by element only when the sum is not).");
        w.Line("/// </summary>");
        w.Line(ModelEmitter.GeneratedCode);
        w.Open("private double OptimGradientSquares(out bool finite)");
        if (ShardWriter.Unsupported(layout) is null)
        {
            ShardWriter.WriteGlobalSquares(w, layout);
        }

        w.Open("if (_optimFrozenParameterCount == 0)");
        w.Line($"global::System.ReadOnlySpan<{t}> all = _optimArena.Slice(OptimStride, ParameterCount);");
        w.Line(model.IsParallel
            ? $"double squares = _optimNormKernel.SumOfSquares(_optimArena, OptimStride, ParameterCount, maxThreads: {Threads(model)}); // split across threads, same bits"
            : "double squares = global::Optim.GradientNorm.SumOfSquares(all);");
        w.Line("finite = double.IsFinite(squares) || global::Optim.GradientNorm.AllFinite(all);");
        w.Line("return squares;");
        w.Close();
        w.Line();
        w.Line("// Frozen parameters' gradients are left out, as clip_grad_norm_ leaves out parameters without gradients.");
        w.Line("double sum = 0;");
        w.Line("finite = true;");
        foreach (ParameterSpec p in model.Parameters)
        {
            w.Open($"if (!{ModelEmitter.FrozenField(p)})");
            w.Line($"global::System.ReadOnlySpan<{t}> g = _optimArena.Slice(OptimStride + {p.Offset}, {p.Length}); // {p.Name}");
            WriteAddSquares(w);
        }

        w.Line("return sum;");
        w.Close();
        if (model.IsParallel)
        {
            w.Line();
            w.Line(ModelEmitter.GeneratedCode);
            w.Line($"private readonly global::Optim.GradientNormKernel<{t}> _optimNormKernel = new(ParameterCount);");
        }
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// The L2 norm of all the model's gradients as the last <see cref=\"Step\"/> found them, before any clipping (what");
        w.Line("/// <c>clip_grad_norm_</c> returns): NaN or ∞ if a gradient was; 0 before the first step.");
        w.Line("/// </summary>");
        w.Line(ModelEmitter.GeneratedCode);
        w.Line("public double LastGradNorm => _optimLastGradNorm;");
        w.Line();
        w.Line(ModelEmitter.GeneratedCode);
        w.Line("private double _optimLastGradNorm;");
        if (services.SkipNonFinite)
        {
            w.Line();
            w.Line("/// <summary>Steps skipped because a gradient was NaN or infinite (kept in checkpoints).</summary>");
            w.Line(ModelEmitter.GeneratedCode);
            w.Line("public long SkippedSteps => _optimSkippedSteps;");
            w.Line();
            w.Line(ModelEmitter.GeneratedCode);
            w.Line("private long _optimSkippedSteps;");
        }
    }

    /// <summary>The symbol test under which Step() checks that it is not running on two threads at once.</summary>
    private const string ConcurrencyCheckCondition = "#if DEBUG || OPTIM_CHECK_CONCURRENT_USE";

    /// <summary>
    /// Opens Step()'s concurrent-use check: compiled in the user's Debug builds (or with OPTIM_CHECK_CONCURRENT_USE),
    /// one Interlocked.Exchange on entry and a volatile write in a finally on exit; no lock, no allocation.
    /// </summary>
    private static void WriteConcurrencyCheckEnter(SourceWriter w, ModelSpec model)
    {
        w.Line(ConcurrencyCheckCondition);
        w.Line($"global::Optim.ConcurrentStepCheck.Enter(ref _optimStepping, \"{ModelEmitter.DisplayName(model)}\");");
        w.Line("try");
        w.Line("{");
        w.Line("#endif");
    }

    /// <summary>Closes what <see cref="WriteConcurrencyCheckEnter"/> opened.</summary>
    private static void WriteConcurrencyCheckExit(SourceWriter w)
    {
        w.Line(ConcurrencyCheckCondition);
        w.Line("}");
        w.Line("finally");
        w.Line("{");
        w.Line("    global::Optim.ConcurrentStepCheck.Exit(ref _optimStepping);");
        w.Line("}");
        w.Line("#endif");
    }

    /// <summary>The flag of the concurrent-use check (declared only where the check is compiled).</summary>
    private static void WriteConcurrencyCheckField(SourceWriter w)
    {
        w.Line();
        w.Line(ConcurrencyCheckCondition);
        w.Line("/// <summary>1 while a thread is inside <see cref=\"Step\"/> (Debug builds, or OPTIM_CHECK_CONCURRENT_USE): a second thread there throws.</summary>");
        w.Line(ModelEmitter.GeneratedCode);
        w.Line("private int _optimStepping;");
        w.Line("#endif");
    }

    /// <summary>
    /// Inside an open block that has the gradient span <c>g</c>: adds its squares to <c>sum</c> and its finiteness to
    /// <c>finite</c> (a sum that overflowed to ∞ from finite values still counts as finite), then closes the block.
    /// </summary>
    public static void WriteAddSquares(SourceWriter w)
    {
        w.Line("double squares = global::Optim.GradientNorm.SumOfSquares(g);");
        w.Line("sum += squares;");
        w.Line("finite &= double.IsFinite(squares) || global::Optim.GradientNorm.AllFinite(g);");
        w.Close();
    }
}
