using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Shell;

/// <summary>
/// Where the embedded ledger lives: --ledger PATH, else $PDM_LEDGER, else the config's "ledger", else
/// $XDG_STATE_HOME/pdm/ledger.db, else ~/.local/state/pdm/ledger.db.
/// </summary>
public static class LedgerLocation
{
    public static string Resolve(string? option, string? configured = null)
    {
        if (!string.IsNullOrEmpty(option)) return Path.GetFullPath(option);
        if (Environment.GetEnvironmentVariable("PDM_LEDGER") is { Length: > 0 } env) return Path.GetFullPath(env);
        if (!string.IsNullOrEmpty(configured)) return Path.GetFullPath(configured);
        string state = Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        return Path.Combine(state, "pdm", "ledger.db");
    }

    /// <summary>Opens the ledger for writing, refusing (exit 2) a path that cannot be written.</summary>
    public static SqliteLedger OpenWritable(string path, bool isDefault)
    {
        var bytes = ByteNames.FromString(path);
        if (Directory.Exists(path)) throw new UsageException($"ledger {path} is a directory");
        if (File.Exists(path))
        {
            int e = Sys.CheckWritable(bytes);
            if (e != 0) throw new UsageException($"ledger {path} is not writable: {Sys.ErrorMessage(e)}");
        }
        else
        {
            string parent = Path.GetDirectoryName(path) ?? "/";
            if (isDefault) Directory.CreateDirectory(parent);
            if (!Directory.Exists(parent)) throw new UsageException($"cannot create ledger {path}: directory {parent} does not exist");
            int e = Sys.CheckWritable(ByteNames.FromString(parent));
            if (e != 0) throw new UsageException($"cannot create ledger {path}: {parent}: {Sys.ErrorMessage(e)}");
        }
        return SqliteLedger.Open(path);
    }

    /// <summary>Opens an existing ledger to read or control passes.</summary>
    public static SqliteLedger OpenExisting(string path)
    {
        if (!File.Exists(path)) throw new LedgerUnavailableException($"no ledger at {path} (give --ledger PATH or set PDM_LEDGER)");
        return SqliteLedger.Open(path);
    }
}
