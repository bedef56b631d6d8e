using System.Numerics;

namespace Optim.Training;

/// <summary>
/// The xoshiro256** generator (Blackman and Vigna), its state filled by SplitMix64 from a 64-bit seed. Integer
/// arithmetic only, so a seed gives the same sequence on every machine and every runtime.
/// </summary>
internal struct Xoshiro256StarStar
{
    // SplitMix64's increment: 2⁶⁴ divided by the golden ratio, odd.
    internal const ulong Golden = 0x9E3779B97F4A7C15;

    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    /// <summary>A generator whose state is the next four SplitMix64 outputs after <paramref name="seed"/> (never all zero).</summary>
    public Xoshiro256StarStar(ulong seed)
    {
        _s0 = Mix(seed += Golden);
        _s1 = Mix(seed += Golden);
        _s2 = Mix(seed += Golden);
        _s3 = Mix(seed + Golden);
    }

    /// <summary>SplitMix64's output function: a bijection of 64-bit integers that scatters every input bit.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1): the top 53 bits of <see cref="NextUInt64"/> times 2⁻⁵³, exactly.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));
}
