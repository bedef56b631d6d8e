using System.Collections.Generic;
using System.Linq;
using Optim.Generators.Model.Networks;

namespace Optim.Generators.Emit.Networks;

/// <summary>
/// Where each node's values, gradient and saved state (LayerNorm's means and reciprocal deviations, dropout's mask)
/// live: MaxBatch rows of each, rounded up to whole 64-byte lines, in one arena allocated with the model (max-pooling's
/// chosen positions in an int array beside it). Inputs use the caller's spans and have no gradient; a node that depends
/// on no parameter needs no gradient either. Convolutions share one workspace at the arena's end, sized at run time by
/// the kernel library.
/// <para>
/// The plan is made by liveness, in two steps. First the pass writer writes the forward pass, the loss and the backward
/// pass against this plan while it records, for every buffer it names, the steps (one per node of each pass, one for
/// the loss) that touch it: a buffer is live from the first step that names it to the last. <see cref="Allocate"/> then
/// places each buffer at the lowest offset clear of every buffer already placed whose life overlaps its own (trying two
/// orders and keeping the smaller arena), so buffers that are never live together share memory, and a buffer no step
/// names (a fused layer's own output, a gradient its reader's kernel passes straight through) takes none. Every
/// buffer's first step writes all of it before reading it (values are computed, gradients are written by the first op
/// to reach them), which is what makes sharing safe; the tests fill the arena with NaN before each call to hold the
/// kernels to it.
/// </para>
/// </summary>
internal sealed class BufferPlan
{
    private readonly Dictionary<Buffer, int> _lengths = new();
    private readonly Dictionary<Buffer, Life> _lives = new();
    private readonly Dictionary<Buffer, int> _offsets = new();
    private readonly Dictionary<int, int> _positions = new();
    private readonly Dictionary<int, string> _stepNames = new();
    private readonly NetworkSpec _network;
    private readonly bool[] _needsGradient;
    private readonly int _perLine;
    private int _step;
    private bool _allocated;

    public BufferPlan(NetworkSpec network, int perLine)
    {
        _network = network;
        _perLine = perLine;
        _needsGradient = new bool[network.Nodes.Count];
        foreach (Node node in network.Nodes)
        {
            _needsGradient[node.Id] = node.Kind == OpKind.Layer || node.Inputs.Any(i => _needsGradient[i]);
        }

        int positions = 0;
        foreach (Node node in network.Nodes)
        {
            if (!node.IsInput)
            {
                _lengths[new Buffer(BufferKind.Values, node.Id)] = Length(node);
            }

            if (_needsGradient[node.Id])
            {
                _lengths[new Buffer(BufferKind.Gradient, node.Id)] = Length(node);
            }

            if (node.Kind == OpKind.Dropout)
            {
                _lengths[new Buffer(BufferKind.Saved, node.Id)] = Length(node);
            }
            else if (node.Kind == OpKind.Layer && LayerOf(node).Kind == LayerKind.LayerNorm)
            {
                _lengths[new Buffer(BufferKind.Saved, node.Id)] = 2 * _network.MaxBatch * Rows(node);
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
        if (ScratchLength > 0)
        {
            _lengths[new Buffer(BufferKind.Scratch, -1)] = ScratchLength;
        }

        PositionCount = positions;
    }

    /// <summary>What a buffer holds.</summary>
    private enum BufferKind
    {
        Values,
        Gradient,
        Saved,
        Scratch,
    }

    /// <summary>Elements of the arena before the convolution workspace (after <see cref="Allocate"/>).</summary>
    public int Total { get; private set; }

    /// <summary>Elements a buffer of its own for every node's values, gradient and saved state would take, without liveness.</summary>
    public int Unshared { get; private set; }

    /// <summary>Elements of the int array of max-pooling positions.</summary>
    public int PositionCount { get; }

    public int ScratchLength { get; }

    /// <summary>Values of a node for MaxBatch examples.</summary>
    public int Length(Node node) => _network.MaxBatch * node.PerExample;

    /// <summary>Rows a LayerNorm node normalizes per example.</summary>
    public int Rows(Node node) => node.PerExample / LayerOf(node).Sizes[0];

    public LayerSpec LayerOf(Node node) => _network.Layers.First(l => l.Name == node.Layer);

    /// <summary>Whether the node needs a gradient: it is a layer or depends on one.</summary>
    public bool HasGradient(Node node) => _needsGradient[node.Id];

    /// <summary>Whether the passes store the node's values (false for one a fused kernel never writes), after <see cref="Allocate"/>.</summary>
    public bool KeepsValues(Node node) => _offsets.ContainsKey(new Buffer(BufferKind.Values, node.Id));

    /// <summary>Whether the passes store the node's gradient (false for one its reader passes straight through), after <see cref="Allocate"/>.</summary>
    public bool KeepsGradient(Node node) => _offsets.ContainsKey(new Buffer(BufferKind.Gradient, node.Id));

    /// <summary>The saved state's range and life, for the generated comments, or null for a node that saves none.</summary>
    public string? DescribeSaved(Node node)
    {
        var buffer = new Buffer(BufferKind.Saved, node.Id);
        return _offsets.TryGetValue(buffer, out int at) ? $"saved [{at}, {at + _lengths[buffer]}) {Describe(buffer)}" : null;
    }

    /// <summary>Whether the backward pass uses the scratch buffer, after <see cref="Allocate"/>.</summary>
    public bool KeepsScratch => _offsets.ContainsKey(new Buffer(BufferKind.Scratch, -1));

    public int Values(Node node) => Use(new Buffer(BufferKind.Values, node.Id));

    public int Gradient(Node node) => Use(new Buffer(BufferKind.Gradient, node.Id));

    /// <summary>The start of a node's saved state (mask, or means then reciprocal deviations).</summary>
    public int Saved(Node node) => Use(new Buffer(BufferKind.Saved, node.Id));

    /// <summary>The start of the scratch buffer for gradient contributions added to one already written.</summary>
    public int Scratch() => Use(new Buffer(BufferKind.Scratch, -1));

    /// <summary>The steps a buffer is live in, for the generated comments: "forward n1 to backward n3".</summary>
    public string LifeOfValues(Node node) => Describe(new Buffer(BufferKind.Values, node.Id));

    /// <summary>As <see cref="LifeOfValues"/>, for the node's gradient.</summary>
    public string LifeOfGradient(Node node) => Describe(new Buffer(BufferKind.Gradient, node.Id));

    /// <summary>The start of a max-pooling node's positions in the int array.</summary>
    public int Positions(Node node) => _positions[node.Id];

    /// <summary>How many times the ops of the graph read node <paramref name="id"/>.</summary>
    public int Consumers(int id) => _network.Nodes.Sum(n => n.Inputs.Count(i => i == id));

    /// <summary>While recording, moves to the next step of the passes; <paramref name="name"/> names it in comments.</summary>
    public void NextStep(string name)
    {
        if (!_allocated)
        {
            _step++;
            _stepNames[_step] = name;
        }
    }

    /// <summary>
    /// Places every buffer the recorded passes used, each at the lowest offset clear of the buffers already placed that
    /// are live at the same time: once taking them in order of first use, once largest first (the order memory planners
    /// of inference engines use), keeping the smaller arena (the first on a tie).
    /// </summary>
    public void Allocate()
    {
        var byFirstUse = _lives.Keys.OrderBy(b => _lives[b].First).ToList();
        var bySize = _lives.Keys.OrderByDescending(b => Lines(_lengths[b])).ThenBy(b => _lives[b].First).ToList();
        Dictionary<Buffer, int> first = Place(byFirstUse, out int firstTotal), second = Place(bySize, out int secondTotal);
        foreach (KeyValuePair<Buffer, int> entry in secondTotal < firstTotal ? second : first)
        {
            _offsets[entry.Key] = entry.Value;
        }

        Total = System.Math.Min(firstTotal, secondTotal);
        Unshared = _lengths.Values.Sum(Lines);
        _allocated = true;
    }

    private Dictionary<Buffer, int> Place(List<Buffer> order, out int total)
    {
        var offsets = new Dictionary<Buffer, int>();
        var placed = new List<(int Offset, int Length, Life Life)>();
        foreach (Buffer buffer in order)
        {
            Life life = _lives[buffer];
            int length = Lines(_lengths[buffer]);
            int at = 0;
            foreach (var other in placed.Where(p => p.Life.First <= life.Last && p.Life.Last >= life.First).OrderBy(p => p.Offset))
            {
                if (other.Offset - at >= length)
                {
                    break;
                }

                at = System.Math.Max(at, other.Offset + other.Length);
            }

            offsets[buffer] = at;
            placed.Add((at, length, life));
        }

        total = placed.Select(p => p.Offset + p.Length).DefaultIfEmpty(0).Max();
        return offsets;
    }

    private int Lines(int length) => (length + _perLine - 1) / _perLine * _perLine;

    /// <summary>Before <see cref="Allocate"/>, records that the current step touches the buffer; after, its offset.</summary>
    private int Use(Buffer buffer)
    {
        if (_allocated)
        {
            return _offsets[buffer];
        }

        _lives[buffer] = _lives.TryGetValue(buffer, out Life life) ? new Life(life.First, _step) : new Life(_step, _step);
        return 0;
    }

    private string Describe(Buffer buffer)
    {
        Life life = _lives[buffer];
        return life.First == life.Last ? _stepNames[life.First] : $"{_stepNames[life.First]} to {_stepNames[life.Last]}";
    }

    private readonly record struct Buffer(BufferKind Kind, int Node);

    /// <summary>The first and last step that touch a buffer (steps count up through forward, loss and backward).</summary>
    private readonly record struct Life(int First, int Last);
}
