using System.Collections.Generic;
using System.Linq;
using Optim.Generators.Model.Networks;

namespace Optim.Generators.Emit.Networks;

/// <summary>
/// Where each node's values, gradient and saved state (LayerNorm's means and reciprocal deviations, dropout's mask,
/// max-pooling's chosen positions) live: MaxBatch rows of each, rounded up to whole 64-byte lines, in one arena allocated
/// with the model (positions in an int array beside it). Inputs use the caller's spans and have no gradient; a node that
/// depends on no parameter needs no gradient either. Convolutions share one workspace at the arena's end, sized at run
/// time by the kernel library.
/// </summary>
internal sealed class BufferPlan
{
    private readonly Dictionary<int, int> _values = new();
    private readonly Dictionary<int, int> _gradients = new();
    private readonly Dictionary<int, int> _saved = new();
    private readonly Dictionary<int, int> _positions = new();
    private readonly NetworkSpec _network;
    private readonly bool[] _needsGradient;

    public BufferPlan(NetworkSpec network, int perLine)
    {
        _network = network;
        int next = 0;
        int Take(int length)
        {
            int at = next;
            next += (length + perLine - 1) / perLine * perLine;
            return at;
        }

        _needsGradient = new bool[network.Nodes.Count];
        foreach (Node node in network.Nodes)
        {
            _needsGradient[node.Id] = node.Kind == OpKind.Layer || node.Inputs.Any(i => _needsGradient[i]);
        }

        foreach (Node node in network.Nodes.Where(n => !n.IsInput))
        {
            _values[node.Id] = Take(Length(node));
        }

        foreach (Node node in network.Nodes.Where(n => _needsGradient[n.Id]))
        {
            _gradients[node.Id] = Take(Length(node));
        }

        int positions = 0;
        foreach (Node node in network.Nodes)
        {
            if (node.Kind == OpKind.Dropout)
            {
                _saved[node.Id] = Take(Length(node));
            }
            else if (node.Kind == OpKind.Layer && LayerOf(node).Kind == LayerKind.LayerNorm)
            {
                _saved[node.Id] = Take(2 * _network.MaxBatch * Rows(node));
            }
            else if (node.Kind == OpKind.MaxPool)
            {
                _positions[node.Id] = positions;
                positions += Length(node);
            }
        }

        // A node read by several ops gets its gradient from each; all but the first add theirs through the scratch buffer.
        // An op whose kernel always writes its input's gradient (LayerNorm) writes there when the input needs none.
        ScratchLength = network.Nodes
            .Where(n => _needsGradient[n.Id]
                ? Consumers(n.Id) > 1
                : network.Nodes.Any(c => c.Kind == OpKind.Layer && c.Inputs[0] == n.Id && LayerOf(c).Kind == LayerKind.LayerNorm))
            .Select(Length).DefaultIfEmpty(0).Max();
        Scratch = Take(ScratchLength);
        Total = next;
        PositionCount = positions;
    }

    /// <summary>Elements of the arena before the convolution workspace.</summary>
    public int Total { get; }

    /// <summary>Elements of the int array of max-pooling positions.</summary>
    public int PositionCount { get; }

    public int Scratch { get; }

    public int ScratchLength { get; }

    /// <summary>Values of a node for MaxBatch examples.</summary>
    public int Length(Node node) => _network.MaxBatch * node.PerExample;

    /// <summary>Rows a LayerNorm node normalizes per example.</summary>
    public int Rows(Node node) => node.PerExample / LayerOf(node).Sizes[0];

    public LayerSpec LayerOf(Node node) => _network.Layers.First(l => l.Name == node.Layer);

    public bool NeedsGradient(Node node) => _needsGradient[node.Id];

    public bool HasValues(Node node) => _values.ContainsKey(node.Id);

    public bool HasGradient(Node node) => _gradients.ContainsKey(node.Id);

    public int Values(Node node) => _values[node.Id];

    public int Gradient(Node node) => _gradients[node.Id];

    /// <summary>The start of a node's saved state (mask, or means then reciprocal deviations).</summary>
    public int Saved(Node node) => _saved[node.Id];

    /// <summary>The start of a max-pooling node's positions in the int array.</summary>
    public int Positions(Node node) => _positions[node.Id];

    /// <summary>How many times the ops of the graph read node <paramref name="id"/>.</summary>
    public int Consumers(int id) => _network.Nodes.Sum(n => n.Inputs.Count(i => i == id));
}
