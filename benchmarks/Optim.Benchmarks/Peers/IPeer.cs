namespace Optim.Benchmarks.Peers;

/// <summary>An optimizer implementation the generated code is compared with.</summary>
public interface IPeer
{
    void Step();
}
