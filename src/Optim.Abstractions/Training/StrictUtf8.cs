using System;
using System.Text;

namespace Optim.Training;

/// <summary>UTF-8 that throws on unpaired surrogates and invalid bytes instead of replacing them, so names round-trip exactly.</summary>
internal static class StrictUtf8
{
    /// <summary>The strict encoding.</summary>
    public static readonly UTF8Encoding Encoding = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The UTF-8 bytes of <paramref name="text"/>, or an <see cref="ArgumentException"/> naming <paramref name="parameter"/>.</summary>
    public static byte[] GetBytes(string text, string parameter)
    {
        try
        {
            return Encoding.GetBytes(text);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"'{text}' contains an unpaired surrogate and has no UTF-8 form.", parameter, e);
        }
    }
}
