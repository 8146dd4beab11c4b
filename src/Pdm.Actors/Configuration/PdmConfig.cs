using Akka.Configuration;
using Akka.Configuration.Hocon;
using Pdm.Native;

namespace Pdm.Configuration;

/// <summary>A filesystem named in the config: where it is mounted, and whether pdm may write to it.</summary>
public sealed record NamedFilesystem(string Name, byte[] Mount, bool Writable)
{
    public string MountText => ByteNames.Escape(Mount);
}

/// <summary>
/// pdm's configuration, HOCON read with Akka's HOCON library: named filesystems, the ledger, the number
/// of I/O threads at the top level, Akka's own settings under <c>akka { }</c>. Looked up from --config,
/// then $PDM_CONFIG, then ./pdm.conf, ~/.config/pdm/pdm.conf, /etc/pdm/pdm.conf; none is fine (plain
/// paths, defaults). Environment variables: <c>ledger = ${?PDM_LEDGER}</c> (see <see cref="HoconText"/>).
/// <code>
/// filesystems {
///   panda  { mount = "/mnt/panda",  writable = false }
///   badger { mount = "/mnt/badger", writable = true }
/// }
/// ledger = "/var/lib/pdm/ledger.db"
/// threads = 8
/// </code>
/// Every error names the file and the key (exit 2).
/// </summary>
public sealed class PdmConfig
{
    public const string FileName = "pdm.conf";

    public string? File { get; }
    public IReadOnlyDictionary<string, NamedFilesystem> Filesystems { get; }
    public string? Ledger { get; }
    public int? Threads { get; }
    /// <summary>The <c>akka { }</c> section as written (over pdm's own defaults), or empty.</summary>
    public Config Akka { get; }

    private PdmConfig(string? file, IReadOnlyDictionary<string, NamedFilesystem> filesystems, string? ledger, int? threads, Config akka)
    {
        File = file;
        Filesystems = filesystems;
        Ledger = ledger;
        Threads = threads;
        Akka = akka;
    }

    public static readonly PdmConfig Empty = new(null, new Dictionary<string, NamedFilesystem>(), null, null, Config.Empty);

    /// <param name="option">--config, if given</param>
    /// <param name="home">$HOME when it is an absolute path (without one ~/.config would be relative to the current directory)</param>
    public static PdmConfig Load(string? option, string? home = null)
    {
        if (!string.IsNullOrEmpty(option)) return Read(option);
        if (Environment.GetEnvironmentVariable("PDM_CONFIG") is { Length: > 0 } env) return Read(env);
        string?[] candidates = [FileName, home is null ? null : Path.Combine(home, ".config", "pdm", FileName), Path.Combine("/etc/pdm", FileName)];
        foreach (var candidate in candidates)
            if (candidate is not null && System.IO.File.Exists(candidate)) return Read(candidate);
        return Empty;
    }

    public static PdmConfig Read(string file) => Parse(Path.GetFullPath(file), text: null, Environment.GetEnvironmentVariable);

    /// <summary>Reads <paramref name="file"/> (or <paramref name="text"/> as if it were that file's) against an environment.</summary>
    public static PdmConfig Parse(string file, string? text, Func<string, string?> environment)
    {
        if (text is null)
        {
            if (!System.IO.File.Exists(file)) throw new ConfigException($"config {file} does not exist");
            try { text = System.IO.File.ReadAllText(file); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw Error(file, null, e.Message); }
        }
        string prepared;
        try { prepared = HoconText.Prepare(text, environment); }
        catch (ConfigException e) { throw Error(file, null, $"not valid HOCON: {e.Message}"); }
        var root = ParseHocon(file, prepared).Root;
        if (root.IsEmpty) return new PdmConfig(file, new Dictionary<string, NamedFilesystem>(), null, null, Config.Empty);
        if (!root.IsObject()) throw Error(file, null, "the top level must be an object of keys");

        var filesystems = new Dictionary<string, NamedFilesystem>(StringComparer.Ordinal);
        string? ledger = null;
        int? threads = null;
        var akka = Config.Empty;
        foreach (var (key, value) in root.GetObject().Items)
        {
            switch (key)
            {
                case "filesystems":
                    if (!value.IsObject()) throw Error(file, key, "must be an object of named filesystems");
                    foreach (var (name, fs) in value.GetObject().Items) filesystems[name] = ReadFilesystem(file, name, fs);
                    break;
                case "ledger":
                    if (!value.IsString() || value.GetString() is not { Length: > 0 } l) throw Error(file, key, "must be a path");
                    ledger = Path.GetFullPath(l, Path.GetDirectoryName(file)!); // relative to the config, not to where pdm runs
                    break;
                case "threads":
                    if (!value.IsString() || !int.TryParse(value.GetString(), out int t) || t is < 1 or > 1024)
                        throw Error(file, key, "must be a whole number from 1 to 1024");
                    threads = t;
                    break;
                case "akka":
                    if (!value.IsObject()) throw Error(file, key, "must be an object of Akka settings");
                    akka = value.AtKey("akka");
                    break;
                default:
                    throw Error(file, key, "unknown key (expected filesystems, ledger, threads, akka)");
            }
        }
        return new PdmConfig(file, filesystems, ledger, threads, akka);
    }

    /// <summary>
    /// Akka's parser, with a bound on its time: on some malformed input that <see cref="HoconText"/>
    /// does not catch it never returns, and a config error must end pdm, not hang it.
    /// </summary>
    private static Config ParseHocon(string file, string text)
    {
        Config? parsed = null;
        Exception? error = null;
        var parser = new Thread(() =>
        {
            try { parsed = ConfigurationFactory.ParseString(text); }
            catch (Exception e) { error = e; }
        }) { IsBackground = true, Name = "pdm-config" };
        parser.Start();
        if (!parser.Join(TimeSpan.FromSeconds(5))) throw Error(file, null, "not valid HOCON (Akka's parser cannot read it: look for a stray token in an array or object)");
        if (error is not null) throw Error(file, null, $"not valid HOCON: {error.Message}");
        return parsed!;
    }

    private static NamedFilesystem ReadFilesystem(string file, string name, HoconValue fs)
    {
        string key = $"filesystems.{name}";
        if (name.Length == 0 || name.Contains(':') || name.Contains('/'))
            throw Error(file, key, "a filesystem's name must be non-empty, without ':' or '/'");
        if (!fs.IsObject()) throw Error(file, key, "must be an object with mount and writable");
        string? mount = null;
        bool writable = false;
        foreach (var (k, v) in fs.GetObject().Items)
        {
            switch (k)
            {
                case "mount":
                    if (!v.IsString() || v.GetString() is not { } m || !m.StartsWith('/'))
                        throw Error(file, $"{key}.mount", "must be an absolute path");
                    mount = m;
                    break;
                case "writable":
                    writable = v.IsString() ? v.GetString() switch
                    {
                        "true" => true,
                        "false" => false,
                        _ => throw Error(file, $"{key}.writable", "must be true or false"),
                    } : throw Error(file, $"{key}.writable", "must be true or false");
                    break;
                default:
                    throw Error(file, $"{key}.{k}", "unknown key (expected mount, writable)");
            }
        }
        if (mount is null) throw Error(file, $"{key}.mount", "is missing");
        // Compare canonical forms: a plain path reaching the filesystem through a symlink is still on it.
        byte[] canonical = Sys.RealPath(ByteNames.FromString(mount), out _) ?? ByteNames.FromString(mount.TrimEnd('/') is { Length: > 0 } t ? t : "/");
        return new NamedFilesystem(name, canonical, writable);
    }

    private static ConfigException Error(string file, string? key, string what) =>
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
            throw new ConfigException($"refusing to write {what} {ByteNames.Escape(canonicalPath)}: it is on filesystem '{fs.Name}' ({fs.MountText}), which {File} does not mark writable");
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
