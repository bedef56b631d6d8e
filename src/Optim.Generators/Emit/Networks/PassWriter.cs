using System.Collections.Generic;
using System.Linq;
using Optim.Generators.Common;
using Optim.Generators.Model;
using Optim.Generators.Model.Networks;

namespace Optim.Generators.Emit.Networks;

/// <summary>
/// Writes the passes of a network: <c>OptimForward</c> (each node's kernel in graph order), <c>OptimBackward</c> (reverse
/// mode: each node's gradient, complete once every op reading it has added its part, goes back through its op's rule
/// into its inputs' gradients and its layer's parameter gradients) and the public members that check their arguments and
/// run them.
/// </summary>
internal sealed class PassWriter
{
    private const string Kernels = NetworkEmitter.Kernels;
    private readonly SourceWriter _w;
    private readonly ModelSpec _model;
    private readonly NetworkSpec _network;
    private readonly BufferPlan _plan;
    private readonly string _t;
    private readonly List<Node> _inputs;
    private readonly Node _output;

    /// <summary>Linear nodes whose only reader is a Relu or LeakyRelu: the layer's kernel applies it as it stores (node id → the activation).</summary>
    private readonly Dictionary<int, Node> _activationOf = new();

    /// <summary>Activations whose gradient the Linear layer reading them passes straight through them (their own backward step is skipped).</summary>
    private readonly HashSet<int> _gatedByReader = new();

    /// <summary>
    /// Small float Linear layers whose fused activation's only reader is another small Linear layer (node id → that
    /// layer): both forward passes run in one kernel (Dense.ForwardPair), emitted at the first.
    /// </summary>
    private readonly Dictionary<int, Node> _pairedWith = new();

    /// <summary>The first layer of each pair (second layer's id → the first).</summary>
    private readonly Dictionary<int, Node> _pairedAfter = new();

    public PassWriter(SourceWriter w, ModelSpec model, BufferPlan plan)
    {
        _w = w;
        _model = model;
        _network = model.Network!;
        _plan = plan;
        _t = model.Element.Keyword();
        _inputs = _network.Nodes.Where(n => n.IsInput).ToList();
        _output = _network.Nodes[_network.Output];
        FindFusions();
    }

    /// <summary>
    /// Relu and LeakyRelu (slope ≥ 0) are fused with the layers around them: a Linear or Conv2d layer whose only reader
    /// is one applies it in its own kernel, and a Linear layer or a max pooling that is the only reader of one passes
    /// its input gradient back through it.
    /// Both read the activation's output in place of its input, which gives the same mask for these activations (the
    /// output is ≤ 0, or &gt; 0, exactly when the input is).
    /// </summary>
    private void FindFusions()
    {
        foreach (Node node in _network.Nodes)
        {
            if (node.Kind != OpKind.Activation || node.Id == _network.Output || !(node.Activation == "Relu" || (node.Activation == "LeakyRelu" && node.Number >= 0)))
            {
                continue;
            }

            Node x = _network.Nodes[node.Inputs[0]];
            if ((IsLinear(x) || IsConvolution(x)) && x.Id != _network.Output && Readers(x).Count == 1)
            {
                _activationOf[x.Id] = node;
            }

            List<Node> readers = Readers(node);
            if (readers.Count == 1 && (IsLinear(readers[0]) || readers[0].Kind == OpKind.MaxPool) && readers[0].Inputs[0] == node.Id)
            {
                _gatedByReader.Add(node.Id);
                if (_activationOf.TryGetValue(x.Id, out Node? fused) && fused.Id == node.Id && IsLinear(readers[0]) && IsSmallPair(_plan.LayerOf(x), _plan.LayerOf(readers[0])))
                {
                    _pairedWith[x.Id] = readers[0];
                    _pairedAfter[readers[0].Id] = x;
                }
            }
        }
    }

    /// <summary>The shapes Dense.ForwardPair runs in one pass (float, 8 to 15 in features, at most 8 hidden units and outputs).</summary>
    private bool IsSmallPair(LayerSpec first, LayerSpec second) =>
        _model.Element == ElementType.Float && first.In >= 8 && first.In < 16 && first.Out <= 8 && second.Out <= 8;

    private bool IsLinear(Node node) => node.Kind == OpKind.Layer && _plan.LayerOf(node).Kind == LayerKind.Linear;

    private bool IsConvolution(Node node) => node.Kind == OpKind.Layer && _plan.LayerOf(node).Kind == LayerKind.Conv2d;

    private List<Node> Readers(Node node) => _network.Nodes.Where(n => n.Inputs.Contains(node.Id)).ToList();

    private static string FusedOption(Node activation) => $"global::Optim.Kernels.GemmOptions.{activation.Activation}";

    private static string N(int value) => NetworkEmitter.Number(value);

    private string InputParameters => string.Join(", ", _inputs.Select(i => $"global::System.ReadOnlySpan<{(i.Kind == OpKind.IndexInput ? "int" : _t)}> {i.Layer}"));

    private string InputArguments => string.Join(", ", _inputs.Select(i => i.Layer));

    private string TargetType => _network.ClassTargets ? "int" : _t;

    private int TargetPerExample => _network.ClassTargets ? 1 : _output.PerExample;

    /// <summary>
    /// The three passes alone, in the order they run (forward, loss, backward): the plan records which buffers each step
    /// names, for its liveness planning, before <see cref="Write"/> writes them with the buffers' places.
    /// </summary>
    public void WritePasses()
    {
        WriteForward();
        WriteLoss();
        WriteBackward();
    }

    public void Write()
    {
        WritePredict();
        WriteEvaluate();
        WriteTrainStep();
        WriteBackwardPublic();
        WriteChecks();
        WriteForward();
        WriteLoss();
        WriteBackward();
    }

    private void WritePredict()
    {
        _w.Line($"/// <summary>Inference: the network's output {NetworkEmitter.Shape(_output)} for the first <paramref name=\"batch\"/> examples of the input, into <paramref name=\"output\"/>.</summary>");
        _w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">The batch is below 1 or above <see cref=\"MaxBatch\"/>.</exception>");
        _w.Line("/// <exception cref=\"global::System.ArgumentException\">A span is shorter than the batch needs.</exception>");
        _w.Line(ModelEmitter.GeneratedCode);
        _w.Open($"public void Predict({InputParameters}, global::System.Span<{_t}> output, int batch)");
        _w.Line($"OptimCheckInputs({InputArguments}, batch);");
        _w.Line($"global::Optim.Kernels.NetworkChecks.Length(output.Length, batch, {N(_output.PerExample)}, \"output\");");
        _w.Line($"OptimForward({InputArguments}, batch, false);");
        _w.Line($"{Values(_output)}.CopyTo(output);");
        _w.Close();
        _w.Line();
    }

    private void WriteEvaluate()
    {
        _w.Line($"/// <summary>The {Criterion()} of the first <paramref name=\"batch\"/> examples (no gradient is computed; parameters and gradients are left as they are).</summary>");
        WriteTargetExceptions();
        _w.Line(ModelEmitter.GeneratedCode);
        _w.Open($"public {_t} Evaluate({InputParameters}, global::System.ReadOnlySpan<{TargetType}> target, int batch)");
        _w.Line($"OptimCheckInputs({InputArguments}, batch);");
        _w.Line("OptimCheckTarget(target, batch);");
        _w.Line($"OptimForward({InputArguments}, batch, false);");
        _w.Line("return OptimLoss(target, batch, false);");
        _w.Close();
        _w.Line();
    }

    private void WriteTrainStep()
    {
        _w.Line($"/// <summary>");
        _w.Line($"/// One training step on the first <paramref name=\"batch\"/> examples: <see cref=\"ZeroGrad\"/>, the forward pass, the {Criterion()},");
        _w.Line("/// the backward pass into every parameter's gradient, and <see cref=\"Step\"/>. Returns the loss before the step.");
        _w.Line("/// </summary>");
        WriteTargetExceptions();
        _w.Line(ModelEmitter.GeneratedCode);
        _w.Open($"public {_t} TrainStep({InputParameters}, global::System.ReadOnlySpan<{TargetType}> target, int batch)");
        _w.Line($"OptimCheckInputs({InputArguments}, batch);");
        _w.Line("OptimCheckTarget(target, batch);");
        _w.Line("ZeroGrad();");
        _w.Line($"OptimForward({InputArguments}, batch, true);");
        _w.Line($"{_t} loss = OptimLoss(target, batch, true);");
        _w.Line($"OptimBackward({InputArguments}, batch);");
        _w.Line("Step();");
        _w.Line("return loss;");
        _w.Close();
        _w.Line();
    }

    private void WriteBackwardPublic()
    {
        _w.Line("/// <summary>");
        _w.Line($"/// The forward pass, the {Criterion()} and the backward pass on the first <paramref name=\"batch\"/> examples,");
        _w.Line("/// adding ∂loss/∂parameter to every parameter's gradient (as PyTorch's <c>loss.backward()</c> does) without");
        _w.Line("/// <see cref=\"ZeroGrad\"/> or <see cref=\"Step\"/>: for gradients that are combined before the step (averaged across");
        _w.Line("/// processes, accumulated over several batches). <c>ZeroGrad(); Backward(…); Step();</c> is <see cref=\"TrainStep\"/>.");
        _w.Line("/// Returns the loss.");
        _w.Line("/// </summary>");
        WriteTargetExceptions();
        _w.Line(ModelEmitter.GeneratedCode);
        _w.Open($"public {_t} Backward({InputParameters}, global::System.ReadOnlySpan<{TargetType}> target, int batch)");
        _w.Line($"OptimCheckInputs({InputArguments}, batch);");
        _w.Line("OptimCheckTarget(target, batch);");
        _w.Line($"OptimForward({InputArguments}, batch, true);");
        _w.Line($"{_t} loss = OptimLoss(target, batch, true);");
        _w.Line($"OptimBackward({InputArguments}, batch);");
        _w.Line("return loss;");
        _w.Close();
        _w.Line();
    }

    /// <summary>The exceptions of a member that takes inputs, targets and a batch (Evaluate, TrainStep, Backward).</summary>
    private void WriteTargetExceptions()
    {
        _w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">The batch is below 1 or above <see cref=\"MaxBatch\"/>" + (_network.ClassTargets ? ", or a class index is outside [0, classes)" : "") + ".</exception>");
        _w.Line("/// <exception cref=\"global::System.ArgumentException\">A span is shorter than the batch needs.</exception>");
    }

    private void WriteChecks()
    {
        _w.Line("/// <summary>Checks the batch against MaxBatch and every input's length before any kernel touches memory.</summary>");
        _w.Line(ModelEmitter.GeneratedCode);
        _w.Open($"private static void OptimCheckInputs({InputParameters}, int batch)");
        _w.Line("global::Optim.Kernels.NetworkChecks.Batch(batch, MaxBatch);");
        foreach (Node input in _inputs)
        {
            _w.Line($"global::Optim.Kernels.NetworkChecks.Length({input.Layer}.Length, batch, {N(input.PerExample)}, \"{input.Layer}\");");
            var rows = _network.Nodes.Where(n => n.Inputs.Contains(input.Id) && n.Kind == OpKind.Layer).Select(n => _plan.LayerOf(n).Sizes[0]).ToList();
            if (input.Kind == OpKind.IndexInput && rows.Count > 0)
            {
                _w.Line($"global::Optim.Kernels.NetworkChecks.Indices({input.Layer}.Slice(0, batch * {N(input.PerExample)}), {N(rows.Min())}, \"{input.Layer}\");");
            }
        }

        _w.Close();
        _w.Line();
        _w.Line(_network.ClassTargets
            ? "/// <summary>Checks the targets' length and that every class index is in [0, classes).</summary>"
            : "/// <summary>Checks the targets' length.</summary>");
        _w.Line(ModelEmitter.GeneratedCode);
        _w.Open($"private static void OptimCheckTarget(global::System.ReadOnlySpan<{TargetType}> target, int batch)");
        _w.Line($"global::Optim.Kernels.NetworkChecks.Length(target.Length, batch, {N(TargetPerExample)}, \"target\");");
        if (_network.ClassTargets)
        {
            _w.Line($"global::Optim.Kernels.NetworkChecks.Classes(target.Slice(0, batch), {N(_output.PerExample)});");
        }

        _w.Close();
        _w.Line();
    }

    private void WriteForward()
    {
        _w.Line("/// <summary>");
        _w.Line("/// The forward pass over the first <paramref name=\"batch\"/> examples: every node's values, in graph order. With");
        _w.Line("/// <paramref name=\"training\"/> false, dropout passes values through.");
        _w.Line("/// </summary>");
        _w.Line(ModelEmitter.GeneratedCode);
        _w.Open($"private void OptimForward({InputParameters}, int batch, bool training)");
        if (!_network.HasDropout)
        {
            _w.Line("_ = training;");
        }

        foreach (Node node in _network.Nodes.Where(n => !n.IsInput))
        {
            _plan.NextStep($"forward n{node.Id}");
            _w.Line($"// n{node.Id} {NetworkEmitter.Shape(node)} = {node.Source}");
            Node x = _network.Nodes[node.Inputs[0]];
            string k = N((int)node.Number);
            switch (node.Kind)
            {
                case OpKind.Layer when _pairedWith.TryGetValue(node.Id, out Node? second):
                    _w.Line($"// (and n{second.Id}: both small layers in one pass over the batch)");
                    _w.Line(PairForward(node, second, x));
                    break;
                case OpKind.Layer when _pairedAfter.TryGetValue(node.Id, out Node? first):
                    _w.Line($"// (computed with n{first.Id} by its kernel)");
                    break;
                case OpKind.Layer:
                    _w.Line(LayerForward(node, _plan.LayerOf(node), x));
                    break;
                case OpKind.Activation when _activationOf.TryGetValue(x.Id, out Node? fused) && fused.Id == node.Id:
                    _w.Line($"// (applied by n{x.Id}'s kernel as it stores)");
                    break;
                case OpKind.Activation:
                    _w.Line($"{Kernels}.Activations.Forward<{_t}>({Kernels}.Activation.{node.Activation}, {Literals.Double(node.Number)}, {Values(x)}, {Values(node)});");
                    break;
                case OpKind.MaxPool:
                    _w.Line($"{Kernels}.Pooling.MaxForward<{_t}>({Values(x)}, {Values(node)}, {Positions(node)}, batch, {N(x.Shape[0])}, {N(x.Shape[1])}, {N(x.Shape[2])}, {k}, _optimThreads);");
                    break;
                case OpKind.AvgPool:
                    _w.Line($"{Kernels}.Pooling.AvgForward<{_t}>({Values(x)}, {Values(node)}, batch, {N(x.Shape[0])}, {N(x.Shape[1])}, {N(x.Shape[2])}, {k}, _optimThreads);");
                    break;
                case OpKind.Flatten:
                    _w.Line($"{Values(x)}.CopyTo({Values(node)});");
                    break;
                case OpKind.Dropout:
                    _w.Open("if (training)");
                    _w.Line($"{Kernels}.Dropout.Forward<{_t}>({Values(x)}, {Values(node)}, {Saved(node, 0, node.PerExample)}, {Literals.Double(node.Number)}, ref _optimDropoutState);");
                    _w.Close();
                    _w.Open("else");
                    _w.Line($"{Values(x)}.CopyTo({Values(node)});");
                    _w.Close();
                    break;
                case OpKind.Add:
                    _w.Line($"{Kernels}.Elementwise.Add<{_t}>({Values(x)}, {Values(_network.Nodes[node.Inputs[1]])}, {Values(node)});");
                    break;
                case OpKind.Scale:
                    _w.Line($"{Kernels}.Elementwise.Scale<{_t}>({Values(x)}, {Literals.Double(node.Number)}, {Values(node)});");
                    break;
            }
        }

        _w.Close();
        _w.Line();
    }

    /// <summary>Two Linear layers and the activation between them in one kernel; the second's own fused activation too.</summary>
    private string PairForward(Node node, Node second, Node x)
    {
        LayerSpec first = _plan.LayerOf(node), next = _plan.LayerOf(second);
        Node activation = _activationOf[node.Id];
        string output = _activationOf.TryGetValue(second.Id, out Node? after)
            ? $"{Values(after)}, {FusedOption(after)}, {Literals.Double(after.Number)}"
            : $"{Values(second)}, global::Optim.Kernels.GemmOptions.None, 0.0";
        return $"{Kernels}.Dense.ForwardPair<{_t}>({Values(x)}, {Weight(first)}, {Bias(first)}, {Values(activation)}, {FusedOption(activation)}, {Literals.Double(activation.Number)}, "
            + $"{Weight(next)}, {Bias(next)}, {output}, {Rows(x, first.In)}, {N(first.In)}, {N(first.Out)}, {N(next.Out)}, _optimThreads);";
    }

    private string LayerForward(Node node, LayerSpec layer, Node x) => layer.Kind switch
    {
        LayerKind.Linear when _activationOf.TryGetValue(node.Id, out Node? activation) =>
            $"{Kernels}.Dense.Forward<{_t}>({Values(x)}, {Weight(layer)}, {Bias(layer)}, {Values(activation)}, {Rows(x, layer.In)}, {N(layer.In)}, {N(layer.Out)}, {FusedOption(activation)}, {Literals.Double(activation.Number)}, _optimThreads);",
        LayerKind.Linear => $"{Kernels}.Dense.Forward<{_t}>({Values(x)}, {Weight(layer)}, {Bias(layer)}, {Values(node)}, {Rows(x, layer.In)}, {N(layer.In)}, {N(layer.Out)}, maxThreads: _optimThreads);",
        LayerKind.Conv2d when _activationOf.TryGetValue(node.Id, out Node? activation) =>
            $"{Kernels}.Conv2d.Forward<{_t}>({Values(x)}, {Weight(layer)}, {Bias(layer)}, {Values(activation)}, {Workspace}, {NetworkEmitter.ConvolutionSizes(_network, node, "batch")}, _optimThreads, {FusedOption(activation)}, {Literals.Double(activation.Number)});",
        LayerKind.Conv2d => $"{Kernels}.Conv2d.Forward<{_t}>({Values(x)}, {Weight(layer)}, {Bias(layer)}, {Values(node)}, {Workspace}, {NetworkEmitter.ConvolutionSizes(_network, node, "batch")}, _optimThreads);",
        LayerKind.Embedding => $"{Kernels}.Embedding.Forward<{_t}>({Values(x)}, {Weight(layer)}, {Values(node)}, batch * {N(x.PerExample)}, {N(layer.Out)});",
        _ => $"{Kernels}.LayerNorm.Forward<{_t}>({Values(x)}, {Weight(layer)}, {Bias(layer)}, {Values(node)}, {Saved(node, 0, _plan.Rows(node))}, {Saved(node, _network.MaxBatch * _plan.Rows(node), _plan.Rows(node))}, batch * {N(_plan.Rows(node))}, {N(layer.Sizes[0])}, {Literals.Double(layer.Eps)});",
    };

    private void WriteLoss()
    {
        _w.Line($"/// <summary>The {Criterion()} of the output; with <paramref name=\"gradient\"/>, also ∂loss/∂output into the output's gradient buffer.</summary>");
        _w.Line(ModelEmitter.GeneratedCode);
        _w.Open($"private {_t} OptimLoss(global::System.ReadOnlySpan<{TargetType}> target, int batch, bool gradient)");
        _plan.NextStep("loss");
        string dy = _plan.HasGradient(_output) ? $"gradient ? {Gradient(_output)} : default" : "default";
        string y = Values(_output);
        string call = _network.Criterion switch
        {
            "CrossEntropy" => $"{Kernels}.Losses.CrossEntropy<{_t}>({y}, target.Slice(0, batch), {dy}, batch, {N(_output.PerExample)})",
            "MeanSquared" => $"{Kernels}.Losses.MeanSquared<{_t}>({y}, target.Slice(0, batch * {N(_output.PerExample)}), {dy})",
            "L1" => $"{Kernels}.Losses.L1<{_t}>({y}, target.Slice(0, batch * {N(_output.PerExample)}), {dy})",
            "SmoothL1" => $"{Kernels}.Losses.SmoothL1<{_t}>({y}, target.Slice(0, batch * {N(_output.PerExample)}), {dy})",
            _ => $"{Kernels}.Losses.BinaryCrossEntropyWithLogits<{_t}>({y}, target.Slice(0, batch * {N(_output.PerExample)}), {dy})",
        };
        _w.Line($"return ({_t}){call};");
        _w.Close();
        _w.Line();
    }

    private void WriteBackward()
    {
        _w.Line("/// <summary>");
        _w.Line("/// The backward pass (reverse mode): from ∂loss/∂output, each node in reverse graph order passes its gradient through");
        _w.Line("/// its op into its inputs' gradients (the first op to reach a node writes it, later ones add to it) and adds its");
        _w.Line("/// layer's contribution to the parameter gradients (a layer used twice adds both).");
        _w.Line("/// </summary>");
        _w.Line(ModelEmitter.GeneratedCode);
        _w.Open($"private void OptimBackward({InputParameters}, int batch)");
        var written = new HashSet<int>();
        foreach (Node node in _network.Nodes.Reverse().Where(n => !n.IsInput && _plan.HasGradient(n)))
        {
            _plan.NextStep($"backward n{node.Id}");
            _w.Line($"// n{node.Id} = {node.Source}");
            // A gradient its reader's kernel passes straight through is never stored: naming it would give it a buffer.
            string g = node.Kind == OpKind.Activation && _gatedByReader.Contains(node.Id) ? string.Empty : Gradient(node);
            Node x = _network.Nodes[node.Inputs[0]];
            string k = N((int)node.Number);
            switch (node.Kind)
            {
                case OpKind.Layer:
                    LayerBackward(node, _plan.LayerOf(node), x, g, written);
                    break;
                case OpKind.Activation when _gatedByReader.Contains(node.Id):
                    _w.Line("// (passed back through by its reader's kernel)");
                    break;
                case OpKind.Activation:
                    // A fused forward pass leaves the activation's input unwritten: its output gives the same mask.
                    string gateInput = _activationOf.ContainsKey(x.Id) ? Values(node) : Values(x);
                    Into(x, written, target => $"{Kernels}.Activations.Backward<{_t}>({Kernels}.Activation.{node.Activation}, {Literals.Double(node.Number)}, {gateInput}, {Values(node)}, {g}, {target});");
                    break;
                case OpKind.MaxPool when _gatedByReader.Contains(x.Id):
                    // The pooled Relu (or LeakyRelu) is passed back through as the gradient is scattered.
                    Into(_network.Nodes[x.Inputs[0]], written, target => $"{Kernels}.Pooling.MaxBackward<{_t}>({g}, {Positions(node)}, {target}, batch, {N(x.Shape[0])}, {N(x.Shape[1])}, {N(x.Shape[2])}, {k}, {FusedOption(x)}, {Values(x)}, {Literals.Double(x.Number)}, _optimThreads);");
                    break;
                case OpKind.MaxPool:
                    Into(x, written, target => $"{Kernels}.Pooling.MaxBackward<{_t}>({g}, {Positions(node)}, {target}, batch, {N(x.Shape[0])}, {N(x.Shape[1])}, {N(x.Shape[2])}, {k}, maxThreads: _optimThreads);");
                    break;
                case OpKind.AvgPool:
                    Into(x, written, target => $"{Kernels}.Pooling.AvgBackward<{_t}>({g}, {target}, batch, {N(x.Shape[0])}, {N(x.Shape[1])}, {N(x.Shape[2])}, {k}, _optimThreads);");
                    break;
                case OpKind.Flatten:
                    Into(x, written, target => $"{g}.CopyTo({target});");
                    break;
                case OpKind.Dropout:
                    Into(x, written, target => $"{Kernels}.Dropout.Backward<{_t}>({g}, {Saved(node, 0, node.PerExample)}, {target}, {Literals.Double(node.Number)});");
                    break;
                case OpKind.Add:
                    foreach (int input in node.Inputs)
                    {
                        Into(_network.Nodes[input], written, target => $"{g}.CopyTo({target});");
                    }

                    break;
                case OpKind.Scale:
                    Into(x, written, target => $"{Kernels}.Elementwise.Scale<{_t}>({g}, {Literals.Double(node.Number)}, {target});");
                    break;
            }
        }

        _w.Close();
    }

    private void LayerBackward(Node node, LayerSpec layer, Node x, string g, HashSet<int> written)
    {
        switch (layer.Kind)
        {
            case LayerKind.Linear:
                string rows = Rows(x, layer.In);
                // When the input is a Relu's (or LeakyRelu's) output read by this layer alone, its gradient goes straight on
                // through the activation, into the activation's input.
                Node gradientOf = _gatedByReader.Contains(x.Id) ? _network.Nodes[x.Inputs[0]] : x;
                string gate = gradientOf == x ? string.Empty : $", {FusedOption(x)}, {Values(x)}, {Literals.Double(x.Number)}";
                if (_plan.HasGradient(gradientOf) && written.Add(gradientOf.Id))
                {
                    // Both products in one call: a small layer runs them in one pass over the batch.
                    _w.Line($"{Kernels}.Dense.Backward<{_t}>({g}, {Values(x)}, {Weight(layer)}, {WeightGrad(layer)}, {BiasGrad(layer)}, {Gradient(gradientOf)}, {rows}, {N(layer.In)}, {N(layer.Out)}, _optimThreads{gate});");
                    break;
                }

                _w.Line($"{Kernels}.Dense.BackwardWeights<{_t}>({g}, {Values(x)}, {WeightGrad(layer)}, {BiasGrad(layer)}, {rows}, {N(layer.In)}, {N(layer.Out)}, _optimThreads);");
                Into(gradientOf, written, target => $"{Kernels}.Dense.BackwardInput<{_t}>({g}, {Weight(layer)}, {target}, {rows}, {N(layer.In)}, {N(layer.Out)}, _optimThreads{gate});");
                break;
            case LayerKind.Conv2d:
                string sizes = NetworkEmitter.ConvolutionSizes(_network, node, "batch");
                _w.Line($"{Kernels}.Conv2d.BackwardWeights<{_t}>({g}, {Values(x)}, {WeightGrad(layer)}, {BiasGrad(layer)}, {Workspace}, {sizes}, _optimThreads);");
                Into(x, written, target => $"{Kernels}.Conv2d.BackwardInput<{_t}>({g}, {Weight(layer)}, {target}, {Workspace}, {sizes}, _optimThreads);");
                break;
            case LayerKind.Embedding:
                _w.Line($"{Kernels}.Embedding.Backward<{_t}>({Values(x)}, {g}, {WeightGrad(layer)}, batch * {N(x.PerExample)}, {N(layer.Out)});");
                break;
            default:
                int perRow = _plan.Rows(node);
                string call(string target) => $"{Kernels}.LayerNorm.Backward<{_t}>({g}, {Values(x)}, {Weight(layer)}, {Saved(node, 0, perRow)}, {Saved(node, _network.MaxBatch * perRow, perRow)}, {target}, {WeightGrad(layer)}, {BiasGrad(layer)}, batch * {N(perRow)}, {N(layer.Sizes[0])});";
                if (_plan.HasGradient(x))
                {
                    Into(x, written, call);
                }
                else
                {
                    // The kernel writes the input's gradient too; the input needs none, so it goes to scratch.
                    _w.Line(call($"_optimNetwork.Slice({N(_plan.Scratch())}, batch * {N(x.PerExample)})"));
                }

                break;
        }
    }

    /// <summary>Writes a gradient contribution to <paramref name="input"/>: directly if it is the first, else through scratch and an addition.</summary>
    private void Into(Node input, HashSet<int> written, System.Func<string, string> compute)
    {
        if (!_plan.HasGradient(input))
        {
            return;
        }

        if (written.Add(input.Id))
        {
            _w.Line(compute(Gradient(input)));
            return;
        }

        string scratch = $"_optimNetwork.Slice({N(_plan.Scratch())}, batch * {N(input.PerExample)})";
        _w.Line(compute(scratch));
        _w.Line($"{Kernels}.Elementwise.Accumulate<{_t}>({scratch}, {Gradient(input)});");
    }

    private string Criterion() => _network.Criterion switch
    {
        "MeanSquared" => "mean squared error (nn.MSELoss)",
        "L1" => "mean absolute error (nn.L1Loss)",
        "SmoothL1" => "smooth L1 loss with β = 1 (nn.SmoothL1Loss)",
        "CrossEntropy" => "cross-entropy of the logits against class indices (nn.CrossEntropyLoss)",
        _ => "binary cross-entropy of the logits (nn.BCEWithLogitsLoss)",
    };

    private string Values(Node node) => node.IsInput
        ? $"{node.Layer}.Slice(0, batch * {N(node.PerExample)})"
        : $"_optimNetwork.Slice({N(_plan.Values(node))}, batch * {N(node.PerExample)})";

    private string Gradient(Node node) => $"_optimNetwork.Slice({N(_plan.Gradient(node))}, batch * {N(node.PerExample)})";

    private string Workspace => $"_optimNetwork.Slice({N(_plan.Total)}, _optimNetwork.Length - {N(_plan.Total)})";

    private string Positions(Node node) => $"global::System.MemoryExtensions.AsSpan(_optimPositions, {N(_plan.Positions(node))}, batch * {N(node.PerExample)})";

    /// <summary>Saved state of a node: <paramref name="perExample"/> values per example from <paramref name="at"/> past its start.</summary>
    private string Saved(Node node, int at, int perExample) => $"_optimNetwork.Slice({N(_plan.Saved(node) + at)}, batch * {N(perExample)})";

    private static string Rows(Node x, int inFeatures) => x.PerExample == inFeatures ? "batch" : $"batch * {N(x.PerExample / inFeatures)}";

    private ParameterSpec Parameter(string name) => _model.Parameters.First(p => p.Name == name);

    private string Weight(LayerSpec layer) => Slice(Parameter(layer.Weight), false);

    private string Bias(LayerSpec layer) => layer.HasBias ? Slice(Parameter(layer.Bias), false) : "default";

    private string WeightGrad(LayerSpec layer) => Slice(Parameter(layer.Weight), true);

    private string BiasGrad(LayerSpec layer) => layer.HasBias ? Slice(Parameter(layer.Bias), true) : "default";

    private static string Slice(ParameterSpec p, bool gradient) =>
        $"_optimArena.Slice({(gradient ? "OptimStride + " : "")}{N(p.Offset)}, {N(p.Length)})";
}
