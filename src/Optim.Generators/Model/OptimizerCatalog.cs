using System.Collections.Immutable;
using System.Linq;
using Optim.Generators.Model.Optimizers;

namespace Optim.Generators.Model;

/// <summary>Every optimizer Optim offers, by the value of the <c>Optim.Optimizer</c> enum.</summary>
internal static class OptimizerCatalog
{
    public static ImmutableArray<OptimizerDefinition> All { get; } = ImmutableArray.Create(
        Sgd.Definition,
        Momentum.Definition,
        Adam.Definition,
        Adam.AdamWDefinition,
        RmsProp.Definition,
        Adagrad.Definition,
        Adadelta.Definition,
        Adamax.Definition,
        NAdam.Definition,
        RAdam.Definition,
        Rprop.Definition,
        Asgd.Definition,
        Lion.Definition,
        Lamb.Definition,
        Adafactor.Definition,
        Muon.Definition,
        Custom.Definition);

    public static OptimizerDefinition? Find(int id) => All.FirstOrDefault(d => d.Id == id);
}
