using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using Optim.Benchmarks.Peers;

namespace Optim.Benchmarks;

/// <summary>
/// Every element-wise optimizer's 10 M-parameter Step() beside a bandwidth probe that moves the same bytes (reads θ, g and
/// its state buffers, writes θ and the states): the probe's time over Step()'s is the fraction of the memory bandwidth
/// the generated loop reaches. LAMB and Adafactor (several passes per tensor) run beside Adam at the same size.
/// </summary>
[MemoryDiagnoser]
public class OptimizerZooBenchmarks
{
    /// <summary>State buffers each element-wise optimizer reads and writes per element (for the matching probe).</summary>
    public static readonly Dictionary<string, int> States = new()
    {
        ["Sgd"] = 1,
        ["Momentum"] = 1,
        ["Adam"] = 2,
        ["AdamW"] = 2,
        ["RmsProp"] = 1,
        ["Adagrad"] = 1,
        ["Adadelta"] = 2,
        ["Adamax"] = 2,
        ["NAdam"] = 2,
        ["RAdam"] = 2,
        ["Rprop"] = 2,
        ["Asgd"] = 1,
        ["Lion"] = 1,
        ["Lamb"] = 2,
        ["Adafactor"] = 2,
    };

    private IOptimizable<float> _model = null!;
    private BandwidthProbe _probe = null!;

    [ParamsSource(nameof(Names))]
    public string Optimizer { get; set; } = "";

    public static IEnumerable<string> Names => States.Keys;

    [GlobalSetup]
    public void Setup()
    {
        _model = Optimizer switch
        {
            "Sgd" => new ZooSgd10M(),
            "Momentum" => new ZooMomentum10M(),
            "Adam" => new ZooAdam10M(),
            "AdamW" => new ZooAdamW10M(),
            "RmsProp" => new ZooRmsProp10M(),
            "Adagrad" => new ZooAdagrad10M(),
            "Adadelta" => new ZooAdadelta10M(),
            "Adamax" => new ZooAdamax10M(),
            "NAdam" => new ZooNAdam10M(),
            "RAdam" => new ZooRAdam10M(),
            "Rprop" => new ZooRprop10M(),
            "Asgd" => new ZooAsgd10M(),
            "Lion" => new ZooLion10M(),
            "Lamb" => new ZooLamb10M(),
            "Adafactor" => new ZooAdafactor10M(),
            _ => throw new ArgumentOutOfRangeException(nameof(Optimizer), Optimizer, "no model"),
        };
        Tensors.Fill(_model);
        _probe = new BandwidthProbe(_model.ParameterCount, Math.Min(2, States[Optimizer]));
    }

    [Benchmark(Description = "Optim Step() 10M")]
    public void Step() => _model.Step();

    [Benchmark(Description = "bandwidth probe 10M")]
    public void Probe() => _probe.Step();
}

/// <summary>The fixed cost of one step of the 61-parameter MLP, for every optimizer.</summary>
public class OptimizerZooMlpBenchmarks
{
    private IOptimizable<float> _model = null!;

    [ParamsSource(nameof(Names))]
    public string Optimizer { get; set; } = "";

    public static IEnumerable<string> Names => new List<string>(OptimizerZooBenchmarks.States.Keys) { "Muon" };

    [GlobalSetup]
    public void Setup()
    {
        _model = Optimizer switch
        {
            "Sgd" => new ZooSgdMlp(),
            "Momentum" => new ZooMomentumMlp(),
            "Adam" => new ZooAdamMlp(),
            "AdamW" => new ZooAdamWMlp(),
            "RmsProp" => new ZooRmsPropMlp(),
            "Adagrad" => new ZooAdagradMlp(),
            "Adadelta" => new ZooAdadeltaMlp(),
            "Adamax" => new ZooAdamaxMlp(),
            "NAdam" => new ZooNAdamMlp(),
            "RAdam" => new ZooRAdamMlp(),
            "Rprop" => new ZooRpropMlp(),
            "Asgd" => new ZooAsgdMlp(),
            "Lion" => new ZooLionMlp(),
            "Lamb" => new ZooLambMlp(),
            "Adafactor" => new ZooAdafactorMlp(),
            "Muon" => new ZooMuonMlp(),
            _ => throw new ArgumentOutOfRangeException(nameof(Optimizer), Optimizer, "no model"),
        };
        Tensors.Fill(_model);
    }

    [Benchmark(Description = "Optim Step() MLP")]
    public void Step() => _model.Step();
}
