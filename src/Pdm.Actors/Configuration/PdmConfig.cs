using Akka.Configuration;
using Akka.Configuration.Hocon;
using Pdm.Native;

namespace Pdm.Configuration;

/// <summary>The config's cluster section (each part null when not given).</summary>
/// <param name="Seeds">HOST:PORT[,HOST:PORT...]</param>
/// <param name="Bind">a node's own HOST:PORT</param>
/// <param name="Tls">cluster.tls with certificate (a site CA's, or one self-signed pinned certificate)</param>
/// <param name="TlsDir">cluster.tls.dir: what `pdm cluster init DIR` made</param>
public sealed record ClusterConfig(string? Seeds, string? Bind, Pdm.Cluster.TlsSettings? Tls, string? TlsDir = null)
{
    public static readonly ClusterConfig None = new(null, null, null);

    /// <summary>The TLS a process in <paramref name="role"/> speaks by this config, or null.</summary>
    public Pdm.Cluster.TlsSettings? TlsFor(Pdm.Cluster.TlsRole role) =>
        TlsDir is not null ? Pdm.Cluster.TlsSettings.InDirectory(TlsDir, role) : Tls;
}

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

    /// <summary>range-size: files of at least twice this size are copied in byte ranges of this size, by any threads and nodes.</summary>
    public long? RangeBytes { get; }

    /// <summary>The <c>akka { }</c> section as written (over pdm's own defaults), or empty.</summary>
    public Config Akka { get; }

    /// <summary>The <c>cluster { }</c> section: seeds (what a node joins and what `pdm` contacts), a node's bind address, TLS.</summary>
    public ClusterConfig Cluster { get; }

    /// <summary>
    /// allow-any-path: passes on paths outside every named filesystem are taken. Without it, a config that
    /// names filesystems keeps pdm inside them, and a cluster node whose config names none takes no pass.
    /// </summary>
    public bool AllowAnyPath { get; }

    private PdmConfig(string? file, IReadOnlyDictionary<string, NamedFilesystem> filesystems, string? ledger, int? threads, Config akka,
        ClusterConfig? cluster = null, long? rangeBytes = null, bool allowAnyPath = false)
    {
        AllowAnyPath = allowAnyPath;
        RangeBytes = rangeBytes;
        File = file;
        Filesystems = filesystems;
        Ledger = ledger;
        Threads = threads;
        Akka = akka;
        Cluster = cluster ?? ClusterConfig.None;
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
        long? rangeBytes = null;
        var akka = Config.Empty;
        var cluster = ClusterConfig.None;
        bool allowAnyPath = false;
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
                case "range-size":
                    rangeBytes = value.IsString() ? ParseSize(value.GetString()) : null;
                    if (rangeBytes is not (>= 1L << 20 and <= 1L << 40)) throw Error(file, key, "must be a size from 1M to 1T (bytes, or with K, M, G, T)");
                    break;
                case "akka":
                    if (!value.IsObject()) throw Error(file, key, "must be an object of Akka settings");
                    akka = value.AtKey("akka");
                    break;
                case "cluster":
                    cluster = ReadCluster(file, value);
                    break;
                case "allow-any-path":
                    allowAnyPath = value.IsString() && value.GetString() is "true" or "false" ? value.GetString() == "true" : throw Error(file, key, "must be true or false");
                    break;
                default:
                    throw Error(file, key, "unknown key (expected filesystems, allow-any-path, ledger, threads, range-size, cluster, akka)");
            }
        }
        return new PdmConfig(file, filesystems, ledger, threads, akka, cluster, rangeBytes, allowAnyPath);
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

    private static ClusterConfig ReadCluster(string file, HoconValue value)
    {
        if (!value.IsObject()) throw Error(file, "cluster", "must be an object (seeds, bind, tls)");
        string? seeds = null, bind = null, tlsDir = null;
        Pdm.Cluster.TlsSettings? tls = null;
        foreach (var (k, v) in value.GetObject().Items)
        {
            string key = $"cluster.{k}";
            switch (k)
            {
                case "seeds":
                    seeds = v.IsArray() ? string.Join(',', v.GetArray().Select(e => e.GetString()))
                        : v.IsString() ? v.GetString() : throw Error(file, key, "must be a list of HOST:PORT");
                    Validate(file, key, () => Pdm.Cluster.ClusterSettings.ParseEndpoints(seeds, key));
                    break;
                case "bind":
                    bind = v.IsString() ? v.GetString() : throw Error(file, key, "must be HOST:PORT");
                    Validate(file, key, () => Pdm.Cluster.ClusterSettings.ParseEndpoint(bind, key));
                    break;
                case "tls":
                    (tls, tlsDir) = ReadTls(file, v);
                    break;
                default:
                    throw Error(file, key, "unknown key (expected seeds, bind, tls)");
            }
        }
        return new ClusterConfig(seeds, bind, tls, tlsDir);
    }

    private static (Pdm.Cluster.TlsSettings?, string?) ReadTls(string file, HoconValue value)
    {
        if (!value.IsObject()) throw Error(file, "cluster.tls", "must be an object (dir, or certificate, password, ca, suppress-validation)");
        string? certificate = null, password = null, ca = null, dir = null;
        bool suppress = false;
        foreach (var (k, v) in value.GetObject().Items)
        {
            string key = $"cluster.tls.{k}";
            switch (k)
            {
                case "certificate":
                    certificate = v.IsString() && v.GetString() is { Length: > 0 } c ? Path.GetFullPath(c, Path.GetDirectoryName(file)!) : throw Error(file, key, "must be the path of a .pfx file");
                    break;
                case "password":
                    password = v.IsString() ? v.GetString() : throw Error(file, key, "must be a string");
                    break;
                case "suppress-validation":
                    suppress = v.IsString() && v.GetString() is "true" or "false" ? v.GetString() == "true" : throw Error(file, key, "must be true or false");
                    break;
                case "ca":
                    ca = v.IsString() && v.GetString() is { Length: > 0 } a ? Path.GetFullPath(a, Path.GetDirectoryName(file)!) : throw Error(file, key, "must be the path of the CA's certificate (PEM)");
                    break;
                case "dir":
                    dir = v.IsString() && v.GetString() is { Length: > 0 } d ? Path.GetFullPath(d, Path.GetDirectoryName(file)!) : throw Error(file, key, "must be the directory pdm cluster init made");
                    break;
                default:
                    throw Error(file, key, "unknown key (expected dir, or certificate, password, ca, suppress-validation)");
            }
        }
        if (dir is not null)
            return certificate is null && ca is null && !suppress ? (null, dir) : throw Error(file, "cluster.tls.dir", "stands alone: with dir, give no certificate, ca or suppress-validation");
        if (certificate is null) throw Error(file, "cluster.tls.certificate", "is missing (or give cluster.tls.dir, made by pdm cluster init)");
        // Never the system's trust store: any CA it holds would let its certificates in.
        if (ca is null && !suppress) throw Error(file, "cluster.tls.ca", "is missing: the CA that signed the cluster's certificates, the one CA trusted");
        return (new Pdm.Cluster.TlsSettings(certificate, password, suppress, ca), null);
    }

    /// <summary>A size in bytes, with an optional binary suffix: 1048576, 512K, 64M, 1G (also 1GiB, 1GB), 2T; null if it is not one.</summary>
    public static long? ParseSize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var t = text.Trim().TrimEnd('B', 'b');
        if (t.EndsWith('i')) t = t[..^1];
        int shift = t.Length == 0 ? 0 : char.ToUpperInvariant(t[^1]) switch { 'K' => 10, 'M' => 20, 'G' => 30, 'T' => 40, _ => 0 };
        if (shift > 0) t = t[..^1].TrimEnd();
        return long.TryParse(t, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long n) && n <= long.MaxValue >> shift
            ? n << shift
            : null;
    }

    private static void Validate(string file, string key, Action check)
    {
        try { check(); }
        catch (UsageException e) { throw Error(file, key, e.Message); }
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
