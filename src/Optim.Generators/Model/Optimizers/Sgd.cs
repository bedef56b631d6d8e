using System.Collections.Generic;
using System.Collections.Immutable;
using Optim.Generators.Common;
using static Optim.Generators.Model.Expr;

namespace Optim.Generators.Model.Optimizers;

/// <summary>torch.optim.SGD (single-tensor path), as data.</summary>
internal static class Sgd
{
    public static OptimizerDefinition Definition { get; } = new(
        id: 0,
        name: "Sgd",
        ImmutableArray.Create(
            new Hyperparameter("Lr", Constraint.Positive, 1e-3),
            new Hyperparameter("Momentum", Constraint.NonNegative, 0),
            new Hyperparameter("Dampening", Constraint.ClosedUnit, 0),
            new Hyperparameter("Nesterov", Constraint.Flag, 0),
            new Hyperparameter("WeightDecay", Constraint.NonNegative, 0),
            new Hyperparameter("Maximize", Constraint.Flag, 0)),
        Build,
        Check);

    private static IEnumerable<ComboError> Check(HyperValues h)
    {
        if (h.Flag("Nesterov") && (h["Momentum"] <= 0 || h["Dampening"] != 0))
        {
            yield return new ComboError("Nesterov", "Nesterov momentum requires Momentum > 0 and Dampening = 0");
        }
    }

    private static UpdateRule Build(HyperValues h)
    {
        double momentum = h["Momentum"], dampening = h["Dampening"], weightDecay = h["WeightDecay"];
        var body = new List<Statement>();
        var scalars = new List<StepScalar> { new("gamma", "γ", Lr, ToKernel: true) };
        var state = new List<Buffer>();

        Expr g = Steps.Gradient(body, h.Flag("Maximize"), weightDecay);

        if (momentum != 0)
        {
            var buffer = new Buffer("momentumBuffer", "b", "momentum_buffer b");
            state.Add(buffer);
            Expr mu = Constant("momentum", "μ", momentum);

            // PyTorch starts the buffer as a copy of g; 0·b + 1·g is that copy, so one loop serves every step.
            var bufferScale = new StepScalar("bufferScale", "μₜ", FirstStep(Constant("zero", "0", 0), mu), ToKernel: true);
            scalars.Add(bufferScale);
            Expr update = bufferScale.Ref * buffer.Value;
            if (dampening == 0)
            {
                update += g;
            }
            else
            {
                var gradScale = new StepScalar("gradScale", "(1 − τ)ₜ", FirstStep(One, Constant("oneMinusDampening", "(1 − τ)", 1 - dampening)), ToKernel: true);
                scalars.Add(gradScale);
                update += gradScale.Ref * g;
            }

            body.Add(new Statement(buffer.Name, buffer.Symbol, update));
            if (h.Flag("Nesterov"))
            {
                body.Add(new Statement("g", "g", g + (mu * buffer.Value)));
                g = Variable("g", "g");
            }
            else
            {
                g = buffer.Value;
            }
        }

        body.Add(new Statement(UpdateRule.Param.Name, UpdateRule.Param.Symbol, UpdateRule.Param.Value - (scalars[0].Ref * g)));
        return new UpdateRule("SGD", "torch.optim.SGD", "", state.ToEquatableArray(), EquatableArray<StepAccumulator>.Empty, scalars.ToEquatableArray(), body.ToEquatableArray());
    }
}
