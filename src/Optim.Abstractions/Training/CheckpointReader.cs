using System;
using System.Collections.Generic;
using System.IO;
using System.Numerics;
using static System.FormattableString;

namespace Optim.Training;

/// <summary>
/// Reads checkpoints written by <see cref="CheckpointWriter{T}"/>. A read validates the whole file (magic, version,
/// every section and scalar, checksum, nothing after it) and compares it with the expected layout before it returns
/// anything, so a model is only changed by copying out of a checkpoint known to be intact and to fit.
/// </summary>
public static class CheckpointReader
{
    private const int MaxName = CheckpointFormat.MaxNameBytes;

    /// <summary>Reads and validates the checkpoint at <paramref name="path"/>.</summary>
    /// <typeparam name="T">The model's element type, <see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="layout">What the checkpoint must hold.</param>
    /// <param name="allowHyperparameterChanges">
    /// False (the default): a checkpoint that records hyperparameters other than the layout's (another <c>Lr</c>,
    /// <c>Beta1</c>, schedule argument, …) is refused with an <see cref="ArgumentException"/> naming each difference.
    /// True: it is accepted, and <see cref="CheckpointContents{T}.HyperparametersMatch"/> is false, so the caller checks
    /// its state only against what any hyperparameters could produce.
    /// </param>
    /// <returns>The validated contents, to copy into the model.</returns>
    /// <exception cref="InvalidDataException">
    /// The file is empty, truncated, corrupted (bad checksum, impossible length, invalid UTF-8, unknown code), has data
    /// after its checksum, is not a checkpoint, or has a format version this library cannot read.
    /// </exception>
    /// <exception cref="ArgumentException">
    /// The checkpoint is intact but for another model type, element type, optimizer or layout, or (unless
    /// <paramref name="allowHyperparameterChanges"/>) was saved with other hyperparameters; the message says what differs.
    /// </exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static CheckpointContents<T> Read<T>(string path, CheckpointLayout layout, bool allowHyperparameterChanges = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(layout);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
        return Read<T>(stream, layout, allowHyperparameterChanges);
    }

    /// <summary>Reads and validates a checkpoint from <paramref name="stream"/>, which must end where the checkpoint does.</summary>
    /// <inheritdoc cref="Read{T}(string, CheckpointLayout, bool)"/>
    public static CheckpointContents<T> Read<T>(Stream stream, CheckpointLayout layout, bool allowHyperparameterChanges = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(layout);
        byte element = CheckpointFormat.ElementCode<T>();
        var input = new BinaryInput(stream, "checkpoint", checksummed: true);

        Span<byte> magic = stackalloc byte[CheckpointFormat.Magic.Length];
        int read = input.ReadAtMost(magic);
        if (read == 0)
        {
            throw new InvalidDataException("The checkpoint is empty: it has no bytes at all.");
        }

        if (!magic[..read].SequenceEqual(CheckpointFormat.Magic[..read]))
        {
            throw new InvalidDataException("This is not an Optim checkpoint: it does not start with \"OPTIMCKP\".");
        }

        if (read < magic.Length)
        {
            input.ReadExactly(magic[read..], "the magic number \"OPTIMCKP\"");
        }

        uint version = input.ReadUInt32("the format version");
        return version switch
        {
            // Version 1 is version 2 without the hyperparameter table.
            1 or 2 => ReadBody<T>(input, layout, element, version, allowHyperparameterChanges),
            _ => throw new InvalidDataException(Invariant(
                $"The checkpoint has format version {version}, which this version of Optim cannot read (it reads versions 1 and {CheckpointFormat.CurrentVersion}).")),
        };
    }

    /// <summary>Reads the rest of a version-1 or version-2 checkpoint, after its magic number and version.</summary>
    private static CheckpointContents<T> ReadBody<T>(BinaryInput input, CheckpointLayout layout, byte expectedElement, uint version, bool allowHyperparameterChanges)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        string model = input.ReadString(MaxName, "the model type name");
        byte element = input.ReadByte("the element type");
        if (element > CheckpointFormat.Double)
        {
            throw input.Corrupt(Invariant($"its element type code is {element}, but only 0 (float) and 1 (double) exist"));
        }

        string optimizer = input.ReadString(MaxName, "the optimizer name");
        ulong hash = input.ReadUInt64("the layout hash");

        // Values are kept only while everything read so far fits the layout, which bounds the memory by the layout's
        // size; a checkpoint that does not fit is still read to its end, so that corruption is told from a mismatch.
        bool keep = string.Equals(model, layout.ModelType, StringComparison.Ordinal)
            && element == expectedElement
            && string.Equals(optimizer, layout.Optimizer, StringComparison.Ordinal)
            && hash == layout.Hash;
        int elementSize = CheckpointFormat.ElementSize(element);

        uint sectionCount = input.ReadUInt32("the section count");
        input.Require(sectionCount * 8L, Invariant($"a table of {sectionCount} sections"));
        keep &= sectionCount == layout.Sections.Count;
        var sections = new List<CheckpointSection>();
        var values = new T[layout.Sections.Count][];
        for (uint i = 0; i < sectionCount; i++)
        {
            string name = input.ReadString(MaxName, Invariant($"the name of section {i + 1}"));
            uint count = input.ReadUInt32($"the value count of section '{name}'");
            long bytes = count * (long)elementSize;
            string what = $"the values of section '{name}'";
            input.Require(bytes, what);
            keep = keep && count <= int.MaxValue && layout.Sections[(int)i] == new CheckpointSection(name, (int)count);
            if (keep)
            {
                values[i] = new T[count];
                input.ReadValues<T>(values[i], what);
            }
            else
            {
                input.Skip(bytes, what);
            }

            sections.Add(new CheckpointSection(name, (int)Math.Min(count, int.MaxValue)));
        }

        uint scalarCount = input.ReadUInt32("the scalar count");
        input.Require(scalarCount * 13L, Invariant($"a table of {scalarCount} scalars"));
        var scalars = new List<CheckpointScalar>();
        var bits = new List<ulong>();
        for (uint i = 0; i < scalarCount; i++)
        {
            string name = input.ReadString(MaxName, Invariant($"the name of scalar {i + 1}"));
            byte kind = input.ReadByte($"the kind of scalar '{name}'");
            if (kind > (byte)CheckpointScalarKind.RealNumber)
            {
                throw input.Corrupt(Invariant($"scalar '{name}' has kind code {kind}, but only 0 (64-bit integer) and 1 (double) exist"));
            }

            scalars.Add(new CheckpointScalar(name, (CheckpointScalarKind)kind));
            bits.Add(input.ReadUInt64($"the value of scalar '{name}'"));
        }

        List<CheckpointHyperparameter>? hyperparameters = null;
        if (version >= 2)
        {
            uint hyperparameterCount = input.ReadUInt32("the hyperparameter count");
            input.Require(hyperparameterCount * 12L, Invariant($"a table of {hyperparameterCount} hyperparameters"));
            hyperparameters = [];
            for (uint i = 0; i < hyperparameterCount; i++)
            {
                string name = input.ReadString(MaxName, Invariant($"the name of hyperparameter {i + 1}"));
                hyperparameters.Add(new CheckpointHyperparameter(name, BitConverter.UInt64BitsToDouble(input.ReadUInt64($"the value of hyperparameter '{name}'"))));
            }
        }

        uint computed = input.Crc;
        uint stored = input.ReadUInt32("the checksum");
        if (stored != computed)
        {
            throw input.Corrupt(Invariant($"its checksum says 0x{stored:X8} but its contents give 0x{computed:X8}"));
        }

        input.RequireEnd("the checksum");

        string? mismatch = Mismatch(layout, model, element, expectedElement, optimizer, hash, sections, scalars);
        if (mismatch is not null)
        {
            throw new ArgumentException(mismatch, nameof(layout));
        }

        bool match;
        if (hyperparameters is null)
        {
            // Version 1 did not record them: assumed to be the model's, unless the caller allows them to differ.
            match = !allowHyperparameterChanges;
        }
        else
        {
            string? differences = HyperparameterDifferences(layout, hyperparameters);
            if (differences is not null && !allowHyperparameterChanges)
            {
                throw new ArgumentException(
                    $"The checkpoint was saved with other hyperparameters than '{model}' has: {differences}. Load it with "
                    + "allowHyperparameterChanges: true to resume with this model's values.",
                    nameof(layout));
            }

            match = differences is null;
        }

        return new CheckpointContents<T>(layout, values, bits.ToArray(), version, hyperparameters, match);
    }

    /// <summary>"Beta1 saved 0.9, this model 0.8; …" for each hyperparameter whose value differs or that one side lacks; null if none.</summary>
    private static string? HyperparameterDifferences(CheckpointLayout layout, List<CheckpointHyperparameter> saved)
    {
        var savedByName = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (CheckpointHyperparameter hyperparameter in saved)
        {
            if (!savedByName.TryAdd(hyperparameter.Name, hyperparameter.Value))
            {
                throw new InvalidDataException($"The checkpoint is corrupted: it records hyperparameter '{hyperparameter.Name}' twice.");
            }
        }

        var differences = new List<string>();
        var modelNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (CheckpointHyperparameter expected in layout.Hyperparameters)
        {
            modelNames.Add(expected.Name);
            if (!savedByName.TryGetValue(expected.Name, out double value))
            {
                differences.Add($"{expected.Name} not recorded, this model {Show(expected.Value)}");
            }
            else if (BitConverter.DoubleToUInt64Bits(value) != BitConverter.DoubleToUInt64Bits(expected.Value))
            {
                differences.Add($"{expected.Name} saved {Show(value)}, this model {Show(expected.Value)}");
            }
        }

        foreach (CheckpointHyperparameter extra in saved)
        {
            if (!modelNames.Contains(extra.Name))
            {
                differences.Add($"{extra.Name} saved {Show(extra.Value)}, this model has none");
            }
        }

        return differences.Count == 0 ? null : string.Join("; ", differences);
    }

    private static string Show(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>What differs between an intact checkpoint and the layout it was expected to have, or null.</summary>
    private static string? Mismatch(
        CheckpointLayout layout,
        string model,
        byte element,
        byte expectedElement,
        string optimizer,
        ulong hash,
        List<CheckpointSection> sections,
        List<CheckpointScalar> scalars)
    {
        if (!string.Equals(model, layout.ModelType, StringComparison.Ordinal))
        {
            return $"The checkpoint is for model '{model}' but this is '{layout.ModelType}'.";
        }

        if (element != expectedElement)
        {
            return $"The checkpoint holds {CheckpointFormat.ElementName(element)} values but '{model}' uses {CheckpointFormat.ElementName(expectedElement)}.";
        }

        if (!string.Equals(optimizer, layout.Optimizer, StringComparison.Ordinal))
        {
            return $"The checkpoint was saved with optimizer '{optimizer}' but '{model}' uses '{layout.Optimizer}'.";
        }

        string? difference = StructureDifference(layout, sections, scalars);
        if (hash != layout.Hash)
        {
            return Invariant($"The checkpoint was saved with another layout of '{model}' (layout hash 0x{hash:X16}; this model's is 0x{layout.Hash:X16}): ")
                + (difference ?? "its sections and scalars have the same names and sizes, so a shape, a state buffer or an option in the layout "
                    + $"description differs. This model's layout is \"{layout.Description}\".");
        }

        return difference is null ? null : $"The checkpoint does not fit '{model}': {difference}";
    }

    private static string? StructureDifference(CheckpointLayout layout, List<CheckpointSection> sections, List<CheckpointScalar> scalars)
    {
        for (int i = 0; i < Math.Min(sections.Count, layout.Sections.Count); i++)
        {
            CheckpointSection found = sections[i];
            CheckpointSection expected = layout.Sections[i];
            if (!string.Equals(found.Name, expected.Name, StringComparison.Ordinal))
            {
                return Invariant($"section {i + 1} is '{found.Name}' in the checkpoint but '{expected.Name}' in this model.");
            }

            if (found.Length != expected.Length)
            {
                return Invariant($"section '{found.Name}' has {found.Length} values, expected {expected.Length}.");
            }
        }

        if (sections.Count < layout.Sections.Count)
        {
            return $"section '{layout.Sections[sections.Count].Name}' is missing from the checkpoint.";
        }

        if (sections.Count > layout.Sections.Count)
        {
            return $"the checkpoint has a section '{sections[layout.Sections.Count].Name}' this model does not have.";
        }

        for (int i = 0; i < Math.Min(scalars.Count, layout.Scalars.Count); i++)
        {
            CheckpointScalar found = scalars[i];
            CheckpointScalar expected = layout.Scalars[i];
            if (!string.Equals(found.Name, expected.Name, StringComparison.Ordinal))
            {
                return Invariant($"scalar {i + 1} is '{found.Name}' in the checkpoint but '{expected.Name}' in this model.");
            }

            if (found.Kind != expected.Kind)
            {
                return $"scalar '{found.Name}' is {CheckpointFormat.Describe(found.Kind)} in the checkpoint, expected {CheckpointFormat.Describe(expected.Kind)}.";
            }
        }

        if (scalars.Count < layout.Scalars.Count)
        {
            return $"scalar '{layout.Scalars[scalars.Count].Name}' is missing from the checkpoint.";
        }

        return scalars.Count > layout.Scalars.Count
            ? $"the checkpoint has a scalar '{scalars[layout.Scalars.Count].Name}' this model does not have."
            : null;
    }
}
