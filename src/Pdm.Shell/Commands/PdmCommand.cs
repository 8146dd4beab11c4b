using System.CommandLine;
using Pdm.Configuration;
using Pdm.Ledger;

namespace Pdm.Shell.Commands;

/// <summary>Shared plumbing of every command: the --ledger option and turning errors into exit codes.</summary>
public abstract class PdmCommand(IConsoleIO console)
{
    protected IConsoleIO Console { get; } = console;

    protected static readonly Option<string?> LedgerOption = new("--ledger")
    {
        Description = "The ledger: a SQLite file or a postgresql:// URI (default: $PDM_LEDGER, else the config's \"ledger\", else $XDG_STATE_HOME/pdm/ledger.db or ~/.local/state/pdm/ledger.db)",
    };

    protected static readonly Option<string?> ConfigOption = new("--config")
    {
        Description = "The HOCON config naming filesystems (default: $PDM_CONFIG, ./pdm.conf, ~/.config/pdm/pdm.conf, /etc/pdm/pdm.conf)",
    };

    protected static readonly Option<int?> ThreadsOption = new("--threads")
    {
        Description = $"Dedicated I/O threads (default: the config's threads, else twice the cores, 4 to 32; here {Actors.NodeOptions.DefaultThreads})",
    };

    protected static readonly Option<string?> ClusterOption = new("--cluster")
    {
        Description = "Talk to a cluster of Pdm.Node through these nodes, HOST:PORT[,HOST:PORT...] (default: $PDM_CLUSTER, else the config's cluster.seeds, unless --ledger is given)",
    };

    protected static readonly Option<string?> TlsOption = new("--tls")
    {
        Description = "Talk to the cluster over mutual TLS with the admin certificate of DIR, made by `pdm cluster init DIR` (default: $PDM_TLS, else the config's cluster.tls)",
    };

    protected static readonly Option<bool> InsecureOption = new("--insecure")
    {
        Description = "Talk to a cluster started with --insecure, over plain TCP (a closed test network only)",
    };

    protected static readonly Option<bool> JsonOption = new("--json")
    {
        Description = "One JSON document, counters under stable snake_case names",
    };

    public abstract Command Build();

    /// <summary>Runs the body and maps what it throws to the documented exit codes.</summary>
    protected int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"pdm: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (LedgerUnavailableException e)
        {
            Console.Error.WriteLine($"pdm: {e.Message}");
            return ExitCodes.LedgerUnavailable;
        }
        catch (Ledger.Sqlite.SqliteError e)
        {
            Console.Error.WriteLine($"pdm: ledger error: {e.Message}");
            return ExitCodes.LedgerUnavailable;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"pdm: internal error: {e}");
            return ExitCodes.InternalError;
        }
    }

    protected static int Threads(ParseResult parse, PdmConfig config)
    {
        int? t = parse.GetValue(ThreadsOption);
        if (t is < 1 or > 1024) throw new UsageException($"--threads must be between 1 and 1024, not {t}");
        return t ?? config.Threads ?? Actors.NodeOptions.DefaultThreads;
    }

    protected static PdmConfig Config(ParseResult parse) => PdmConfig.Load(parse.GetValue(ConfigOption), LedgerLocation.AbsoluteVariable("HOME"));

    protected static string LedgerPath(ParseResult parse, PdmConfig? config = null) =>
        LedgerLocation.Resolve(parse.GetValue(LedgerOption), (config ?? Config(parse)).Ledger);

    protected static bool LedgerIsDefault(ParseResult parse, PdmConfig config) =>
        string.IsNullOrEmpty(parse.GetValue(LedgerOption)) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("PDM_LEDGER"))
        && string.IsNullOrEmpty(config.Ledger);

    /// <summary>Opens the ledger of an existing pass for control or inspection (exit 3 when there is none).</summary>
    protected static Pdm.Ledger.SqlLedger OpenLedger(ParseResult parse) => LedgerLocation.OpenExisting(LedgerPath(parse));

    /// <summary>
    /// The cluster to talk to, or null for the ledger: --cluster; else, unless --ledger names a ledger,
    /// $PDM_CLUSTER or the config's cluster.seeds.
    /// </summary>
    protected static string? ClusterContacts(ParseResult parse, PdmConfig config)
    {
        if (parse.GetValue(ClusterOption) is { } option)
            return option.Trim().Length > 0 ? option : throw new UsageException("--cluster: no HOST:PORT given");
        if (!string.IsNullOrEmpty(parse.GetValue(LedgerOption))) return null;
        if (Environment.GetEnvironmentVariable("PDM_CLUSTER") is { } env)
            return env.Trim().Length > 0 ? env : throw new UsageException("PDM_CLUSTER is set but empty: give HOST:PORT, or unset it for an embedded run");
        return config.Cluster.Seeds;
    }

    /// <summary>
    /// The TLS `pdm` speaks to a cluster: the admin certificate of --tls DIR, $PDM_TLS or the config's
    /// cluster.tls; none only with --insecure (a cluster of nodes started with --insecure).
    /// </summary>
    protected static Pdm.Cluster.TlsSettings? ClientTls(ParseResult parse, PdmConfig config)
    {
        string? dir = parse.GetValue(TlsOption) ?? Environment.GetEnvironmentVariable("PDM_TLS");
        if (dir is not null && dir.Trim().Length == 0) throw new UsageException("--tls (or PDM_TLS): no directory given");
        var tls = dir is not null ? Pdm.Cluster.TlsSettings.InDirectory(Path.GetFullPath(dir), Pdm.Cluster.TlsRole.Admin) : config.Cluster.TlsFor(Pdm.Cluster.TlsRole.Admin);
        bool insecure = parse.GetValue(InsecureOption);
        if (tls is not null && insecure) throw new UsageException("--insecure and TLS (--tls, PDM_TLS or cluster.tls) exclude each other");
        if (tls is null && !insecure)
            throw new UsageException("a cluster is commanded over mutual TLS: give --tls DIR (made by `pdm cluster init DIR`; or PDM_TLS, or cluster.tls in the config), or --insecure for nodes started with --insecure");
        return tls;
    }

    /// <summary>The session to the cluster at <paramref name="contacts"/>, over the TLS of <see cref="ClientTls"/>.</summary>
    protected static Cluster.ClusterSession Session(ParseResult parse, PdmConfig config, string contacts) =>
        Cluster.ClusterSession.To(contacts, config, ClientTls(parse, config));

    /// <summary>Where inspection and control get their answers: the cluster (see <see cref="ClusterContacts"/>), else the ledger.</summary>
    protected static IPassSource OpenSource(ParseResult parse, PdmConfig? config = null, int threads = 1)
    {
        config ??= Config(parse);
        if (ClusterContacts(parse, config) is { } contacts)
            return new Cluster.ClusterPassSource(Session(parse, config, contacts));
        return new LedgerPassSource(LedgerLocation.OpenExisting(LedgerPath(parse, config), threads), config);
    }

    protected static Pdm.Ledger.PassInfo RequirePass(Pdm.Ledger.ILedger ledger, long id) =>
        ledger.GetPass(id) ?? throw new UsageException($"no pass {id} in this ledger (see pdm passes)");
}
