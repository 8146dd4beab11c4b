using Pdm.Actors;
using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Shell;

/// <summary>
/// Where the embedded ledger lives: --ledger PATH, else $PDM_LEDGER, else the config's "ledger", else
/// ledger.db in pdm's state directory (<see cref="StateDirectory"/>). Never relative to the current
/// directory unless the user wrote a relative path: run from inside a source, a default there would
/// put the live ledger into the tree being copied.
/// </summary>
public static class LedgerLocation
{
    /// <summary>Where root keeps its state when it has no home (a service, `env -i`).</summary>
    public const string SystemStateDirectory = "/var/lib/pdm";

    /// <summary>
    /// $XDG_STATE_HOME/pdm, else $HOME/.local/state/pdm, else (root only) /var/lib/pdm; null when there
    /// is none: both variables missing or not absolute paths, as for a service account without a home.
    /// </summary>
    public static string? StateDirectory() => StateDirectory(Environment.GetEnvironmentVariable, Sys.IsRoot);

    /// <summary>The rule of <see cref="StateDirectory()"/> on a given environment.</summary>
    public static string? StateDirectory(Func<string, string?> environment, bool isRoot) =>
        XdgDirectory("XDG_STATE_HOME", Path.Combine(".local", "state"), SystemStateDirectory, environment, isRoot);

    /// <summary>
    /// pdm's directory of one XDG kind: $<paramref name="variable"/>/pdm, else $HOME/<paramref name="underHome"/>/pdm,
    /// else (root only, a service or `env -i`) <paramref name="forRoot"/>; null when there is none.
    /// </summary>
    public static string? XdgDirectory(string variable, string underHome, string forRoot, Func<string, string?> environment, bool isRoot)
    {
        if (Absolute(environment(variable)) is { } xdg) return Path.Combine(xdg, "pdm");
        if (Absolute(environment("HOME")) is { } home) return Path.Combine(home, underHome, "pdm");
        return isRoot ? forRoot : null;
    }

    /// <summary>An environment variable holding an absolute path, else null (the XDG rule: a relative one is ignored).</summary>
    public static string? AbsoluteVariable(string name) => Absolute(Environment.GetEnvironmentVariable(name));

    private static string? Absolute(string? path) => path is { Length: > 0 } && Path.IsPathRooted(path) ? path : null;

    /// <summary>A SQLite file's absolute path, or a postgresql:// URI as given.</summary>
    public static string Resolve(string? option, string? configured = null)
    {
        if (!string.IsNullOrEmpty(option)) return Located(option);
        if (Environment.GetEnvironmentVariable("PDM_LEDGER") is { Length: > 0 } env) return Located(env);
        if (!string.IsNullOrEmpty(configured)) return Located(configured);
        return Path.Combine(StateDirectory() ?? throw new UsageException(
            "no place for the ledger: $HOME is not set (give --ledger PATH or set PDM_LEDGER)"), "ledger.db");
    }

    private static string Located(string ledger) => PostgresLedger.IsUri(ledger) ? ledger : Path.GetFullPath(ledger);

    /// <summary>Connections to PostgreSQL for a process with this many I/O threads: one each, and the node's own (feeder, writer, heartbeat, API).</summary>
    public static int Connections(int threads) => threads + 4;

    /// <summary>Where the coordinators' journal lives: in the ledger's own database (known before the ledger is open).</summary>
    public static JournalDatabase JournalFor(string ledger) =>
        PostgresLedger.IsUri(ledger) ? PostgresLedger.JournalOf(ledger) : JournalDatabase.Sqlite(ledger);

    /// <summary>
    /// Opens the ledger for writing, refusing (exit 2) a path where none can be created; a ledger that
    /// exists and cannot be read is exit 3 (<see cref="LedgerUnavailableException"/>).
    /// </summary>
    public static SqlLedger OpenWritable(string path, bool isDefault, int threads)
    {
        if (PostgresLedger.IsUri(path)) return PostgresLedger.Open(path, Connections(threads));
        var bytes = ByteNames.FromString(path);
        if (Directory.Exists(path)) throw new UsageException($"ledger {path} is a directory");
        if (File.Exists(path))
        {
            int e = Sys.CheckWritable(bytes);
            if (e != 0) throw new UsageException($"ledger {path} is not writable: {Sys.ErrorMessage(e)}");
            return SqliteLedger.Open(path);
        }
        else
        {
            string parent = Path.GetDirectoryName(path) ?? "/";
            if (isDefault)
            {
                // Owner-only: the ledger lists every path of the trees it copies, users' names included.
                try { Directory.CreateDirectory(parent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); }
                catch (Exception x) when (x is IOException or UnauthorizedAccessException)
                {
                    throw new UsageException($"cannot create ledger {path}: {x.Message} (give --ledger PATH)");
                }
            }
            if (!Directory.Exists(parent)) throw new UsageException($"cannot create ledger {path}: directory {parent} does not exist");
            int e = Sys.CheckWritable(ByteNames.FromString(parent));
            if (e != 0) throw new UsageException($"cannot create ledger {path}: {parent}: {Sys.ErrorMessage(e)}");
        }
        bool existed = File.Exists(path);
        try
        {
            return SqliteLedger.Open(path);
        }
        catch (LedgerUnavailableException x) when (!existed || new FileInfo(path).Length == 0)
        {
            // Where no ledger can be made (/proc, a full disk) nothing was there to read: refused input,
            // and what was begun of it goes (a full disk leaves a first page and a write-ahead log).
            if (!existed) RemoveFiles(path);
            else TryDelete(path);
            throw new UsageException($"cannot create ledger {path}: {x.InnerException?.Message ?? x.Message}");
        }
    }

    /// <summary>
    /// Removes a ledger file this command has just created and closed, with SQLite's files beside it,
    /// if no pass was ever admitted to it: a command refused after all leaves no new ledger behind.
    /// </summary>
    public static void RemoveUnused(SqlLedger ledger, string path)
    {
        bool unused = ledger.ListPasses().Count == 0;
        ledger.Dispose();
        if (!unused) return;
        RemoveFiles(path);
    }

    /// <summary>A SQLite database's file and the files SQLite keeps beside it.</summary>
    private static void RemoveFiles(string path)
    {
        foreach (var file in new[] { path, path + "-wal", path + "-shm", path + "-journal" }) TryDelete(file);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Opens an existing ledger to read or control passes.</summary>
    public static SqlLedger OpenExisting(string path, int threads = 1)
    {
        if (PostgresLedger.IsUri(path)) return PostgresLedger.Open(path, Connections(threads));
        if (!File.Exists(path)) throw new LedgerUnavailableException($"no ledger at {path} (give --ledger PATH or set PDM_LEDGER)");
        return SqliteLedger.Open(path);
    }
}
