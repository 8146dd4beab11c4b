using System.Text.Json;
using Pdm.Native;

namespace Pdm.Shell;

/// <summary>A filesystem named in the config: where it is mounted, and whether pdm may write to it.</summary>
public sealed record NamedFilesystem(string Name, byte[] Mount, bool Writable)
{
    public string MountText => ByteNames.Escape(Mount);
}

/// <summary>
/// pdm's JSON config: named filesystems (and optionally the ledger). Looked up from --config, then
/// $PDM_CONFIG, then ./pdm.json, ~/.config/pdm/pdm.json, /etc/pdm/pdm.json; none is fine (plain paths).
/// <code>
/// { "filesystems": { "panda": { "mount": "/mnt/panda", "writable": false },
///                    "badger": { "mount": "/mnt/badger", "writable": true } },
///   "ledger": "/var/lib/pdm/ledger.db" }
/// </code>
/// </summary>
public sealed class PdmConfig
{
    public string? File { get; }
    public IReadOnlyDictionary<string, NamedFilesystem> Filesystems { get; }
    public string? Ledger { get; }

    private PdmConfig(string? file, IReadOnlyDictionary<string, NamedFilesystem> filesystems, string? ledger)
    {
        File = file;
        Filesystems = filesystems;
        Ledger = ledger;
    }

    public static readonly PdmConfig Empty = new(null, new Dictionary<string, NamedFilesystem>(), null);

    public static PdmConfig Load(string? option)
    {
        if (!string.IsNullOrEmpty(option)) return Read(option, mustExist: true);
        if (Environment.GetEnvironmentVariable("PDM_CONFIG") is { Length: > 0 } env) return Read(env, mustExist: true);
        // ~/.config only with a home: without one it would be a path relative to the current directory.
        string? home = LedgerLocation.AbsoluteVariable("HOME");
        string?[] candidates = ["pdm.json", home is null ? null : Path.Combine(home, ".config", "pdm", "pdm.json"), "/etc/pdm/pdm.json"];
        foreach (var candidate in candidates)
            if (candidate is not null && System.IO.File.Exists(candidate)) return Read(candidate, mustExist: true);
        return Empty;
    }

    private static PdmConfig Read(string file, bool mustExist)
    {
        string full = Path.GetFullPath(file);
        if (!System.IO.File.Exists(full))
            throw new UsageException(mustExist ? $"config {full} does not exist" : $"config {full}");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(System.IO.File.ReadAllText(full), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw Error(full, null, $"not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})");
        }
        catch (IOException e)
        {
            throw Error(full, null, e.Message);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Error(full, null, "the top level must be an object");
            var filesystems = new Dictionary<string, NamedFilesystem>(StringComparer.Ordinal);
            string? ledger = null;
            foreach (var prop in root.EnumerateObject())
            {
                switch (prop.Name)
                {
                    case "filesystems":
                        if (prop.Value.ValueKind != JsonValueKind.Object) throw Error(full, "filesystems", "must be an object of named filesystems");
                        foreach (var fs in prop.Value.EnumerateObject()) filesystems[fs.Name] = ReadFilesystem(full, fs);
                        break;
                    case "ledger":
                        if (prop.Value.ValueKind != JsonValueKind.String || prop.Value.GetString() is not { Length: > 0 } l)
                            throw Error(full, "ledger", "must be a path");
                        ledger = Path.GetFullPath(l, Path.GetDirectoryName(full)!); // relative to the config, not to where pdm runs
                        break;
                    default:
                        throw Error(full, prop.Name, "unknown key (expected filesystems, ledger)");
                }
            }
            return new PdmConfig(full, filesystems, ledger);
        }
    }

    private static NamedFilesystem ReadFilesystem(string file, JsonProperty fs)
    {
        string key = $"filesystems.{fs.Name}";
        if (fs.Name.Length == 0 || fs.Name.Contains(':') || fs.Name.Contains('/'))
            throw Error(file, key, "a filesystem's name must be non-empty, without ':' or '/'");
        if (fs.Value.ValueKind != JsonValueKind.Object) throw Error(file, key, "must be an object with \"mount\" and \"writable\"");
        string? mount = null;
        bool writable = false;
        foreach (var p in fs.Value.EnumerateObject())
        {
            switch (p.Name)
            {
                case "mount":
                    if (p.Value.ValueKind != JsonValueKind.String || p.Value.GetString() is not { } m || !m.StartsWith('/'))
                        throw Error(file, $"{key}.mount", "must be an absolute path");
                    mount = m;
                    break;
                case "writable":
                    if (p.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                        throw Error(file, $"{key}.writable", "must be true or false");
                    writable = p.Value.GetBoolean();
                    break;
                default:
                    throw Error(file, $"{key}.{p.Name}", "unknown key (expected mount, writable)");
            }
        }
        if (mount is null) throw Error(file, $"{key}.mount", "is missing");
        // Compare canonical forms: a plain path reaching the filesystem through a symlink is still on it.
        byte[] canonical = Sys.RealPath(ByteNames.FromString(mount), out _) ?? ByteNames.FromString(mount.TrimEnd('/') is { Length: > 0 } t ? t : "/");
        return new NamedFilesystem(fs.Name, canonical, writable);
    }

    private static UsageException Error(string file, string? key, string what) =>
        new(key is null ? $"config {file}: {what}" : $"config {file}: {key}: {what}");

    /// <summary>The configured filesystem holding a canonical path (the longest mount point above it), if any.</summary>
    public NamedFilesystem? Containing(byte[] canonicalPath)
    {
        NamedFilesystem? best = null;
        foreach (var fs in Filesystems.Values)
        {
            bool inside = fs.Mount.AsSpan().SequenceEqual("/"u8)
                || canonicalPath.AsSpan().SequenceEqual(fs.Mount)
                || (canonicalPath.Length > fs.Mount.Length && canonicalPath.AsSpan().StartsWith(fs.Mount) && canonicalPath[fs.Mount.Length] == (byte)'/');
            if (inside && (best is null || fs.Mount.Length > best.Mount.Length)) best = fs;
        }
        return best;
    }

    /// <summary>Refuses (exit 2) a write to a path on a filesystem the config does not mark writable.</summary>
    public void CheckWritable(byte[] canonicalPath, string what)
    {
        if (Containing(canonicalPath) is { Writable: false } fs)
            throw new UsageException($"refusing to write {what} {ByteNames.Escape(canonicalPath)}: it is on filesystem '{fs.Name}' ({fs.MountText}), which {File} does not mark writable");
    }

    /// <summary>"FS:PATH" with a configured FS is that filesystem's mount plus PATH; anything else is a plain path.</summary>
    public string Resolve(string argument)
    {
        int colon = argument.IndexOf(':');
        if (colon > 0 && Filesystems.TryGetValue(argument[..colon], out var fs))
        {
            string rest = argument[(colon + 1)..].TrimStart('/');
            string mount = ByteNames.Escape(fs.Mount).TrimEnd('/');
            return rest.Length == 0 ? (mount.Length == 0 ? "/" : mount) : $"{mount}/{rest}";
        }
        return argument;
    }
}
