using System.Runtime.InteropServices;
using Akka.Actor;
using Pdm;
using Pdm.Actors;
using Pdm.Cluster;
using Pdm.Configuration;
using Pdm.Engine;
using Pdm.Ledger;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// Pdm.Node: a mover node. One ActorSystem (Akka.Hosting) with the node's actors works on every running
// pass of a ledger until SIGTERM, SIGINT or SIGHUP; then it stops claiming, lets work in flight reach a
// safe point, gives back what it holds and, in a cluster, leaves it. With seeds (--seeds, or the
// config's cluster.seeds) it is a member of an Akka cluster on a shared PostgreSQL ledger.
const string Usage = "usage: Pdm.Node [--config FILE] [--ledger PATH|postgresql://...] [--threads N] [--lease SECONDS] [--bind HOST:PORT --seeds HOST:PORT,... (--tls DIR | --insecure)]";
string? ledgerPath = null, configPath = null, bind = null, seeds = null, tlsDir = null;
bool insecure = false;
int? threads = null;
var lease = NodeOptions.Default.Lease;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--ledger" when i + 1 < args.Length: ledgerPath = args[++i]; break;
        case "--config" when i + 1 < args.Length: configPath = args[++i]; break;
        case "--bind" when i + 1 < args.Length: bind = args[++i]; break;
        case "--seeds" when i + 1 < args.Length: seeds = args[++i]; break;
        case "--tls" when i + 1 < args.Length: tlsDir = args[++i]; break;
        // Plain TCP between nodes: anyone who reaches the port commands the cluster. A closed test network only.
        case "--insecure": insecure = true; break;
        case "--threads" when i + 1 < args.Length && int.TryParse(args[i + 1], out var t) && t is > 0 and <= 1024: threads = t; i++; break;
        // How long a claimed item stays this node's without a renewal (renewed while it works on it).
        case "--lease" when i + 1 < args.Length && int.TryParse(args[i + 1], out var l) && l is >= 5 and <= 3600: lease = TimeSpan.FromSeconds(l); i++; break;
        case "--help" or "-h":
            Console.WriteLine(Usage);
            return 0;
        default:
            Console.Error.WriteLine($"Pdm.Node: bad argument '{args[i]}' ({Usage})");
            return 2;
    }
}
try
{
    var config = configPath is not null ? PdmConfig.Read(configPath)
        : Environment.GetEnvironmentVariable("PDM_CONFIG") is { Length: > 0 } envConfig ? PdmConfig.Read(envConfig) : PdmConfig.Empty;
    ledgerPath ??= Environment.GetEnvironmentVariable("PDM_LEDGER") is { Length: > 0 } env ? env : config.Ledger;
    if (ledgerPath is null)
    {
        Console.Error.WriteLine("Pdm.Node: no ledger: give --ledger PATH, set PDM_LEDGER, or name one in the config");
        return 2;
    }
    seeds ??= Environment.GetEnvironmentVariable("PDM_SEEDS") is { Length: > 0 } envSeeds ? envSeeds : config.Cluster.Seeds;
    bind ??= config.Cluster.Bind;
    if (bind is not null && seeds is null) throw new UsageException("--bind needs --seeds (a node of one is fine: --seeds with its own address)");
    ClusterSettings? clusterSettings = null;
    if (seeds is not null)
    {
        var (bindHost, bindPort) = ClusterSettings.ParseEndpoint(bind ?? $"127.0.0.1:{ClusterSettings.DefaultPort}", "--bind");
        var tls = tlsDir is { Length: > 0 } ? TlsSettings.InDirectory(Path.GetFullPath(tlsDir), TlsRole.Node)
            : tlsDir is not null ? throw new UsageException("--tls needs the directory pdm cluster init made")
            : config.Cluster.TlsFor(TlsRole.Node);
        if (tls is not null && insecure) throw new UsageException("--insecure and TLS (--tls or cluster.tls) exclude each other");
        if (tls is null && !insecure)
            throw new UsageException("a cluster runs over mutual TLS: make its certificates once with `pdm cluster init DIR`, then give --tls DIR (or cluster.tls.dir in the config); --insecure only on a closed test network");
        clusterSettings = new ClusterSettings(bindHost, bindPort, ClusterSettings.ParseEndpoints(seeds, "--seeds"), tls);
        ClusterSettings.CheckBindable(bindHost, bindPort);
    }
    else if (tlsDir is not null || insecure) throw new UsageException("--tls and --insecure are for a cluster: give --seeds too");
    int n = threads ?? config.Threads ?? NodeOptions.DefaultThreads;
    using SqlLedger ledger = PostgresLedger.IsUri(ledgerPath)
        ? PostgresLedger.Open(ledgerPath, maxConnections: n + 4)
        : SqliteLedger.Open(Path.GetFullPath(ledgerPath));
    if (clusterSettings is not null && ledger is not PostgresLedger)
        throw new UsageException("a cluster shares one ledger: give --ledger postgresql://USER@HOST/DATABASE");
    // A node logs at INFO (membership changes, drains, big files' ranges) unless its config says otherwise.
    var akka = config.Akka.WithFallback(Akka.Configuration.ConfigurationFactory.ParseString("akka.loglevel = INFO"));
    // In a cluster nothing is claimed until this node is an Up member of the ledger's one cluster.
    var gate = clusterSettings is null ? ClaimGate.AlwaysOpen : new ClaimGate("not yet an Up member of the cluster");
    var options = new MoverHostOptions(akka, ledger.Journal, clusterSettings is null ? "pdm-node" : ClusterSettings.SystemName,
        Cluster: clusterSettings is null ? null : new ClusterNode(clusterSettings, ledger, config, gate, lease), ConfigFile: config.File);
    await using var host = await MoverHost.StartAsync(options);
    using var signals = host.StopOn(PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP);
    var node = MoverNode.Start(host.System, ledger, NodeOptions.For(config, n) with { Lease = lease }, m => Console.Error.WriteLine($"Pdm.Node: {m}"),
        refuses: pass => PassAdmission.RefusedByNode(config, pass, inCluster: clusterSettings is not null), gate: gate);
    CoordinatedShutdown.Get(host.System).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "say-draining", () =>
    {
        if (CoordinatedShutdown.Get(host.System).ShutdownReason is MembershipWatcher.LedgerOfAnotherCluster) return Task.FromResult(Akka.Done.Instance); // it claimed nothing
        string why = host.StoppedBy is { } signal ? signal.ToString() : CoordinatedShutdown.Get(host.System).ShutdownReason switch
        {
            CoordinatedShutdown.ClusterLeavingReason => "asked to leave the cluster",
            CoordinatedShutdown.ClusterDowningReason => "downed by the cluster",
            var other => other?.GetType().Name ?? "stopping",
        };
        Console.Error.WriteLine($"Pdm.Node {node.Id}: draining ({why}): no new work; work in flight finishes or goes back");
        return Task.FromResult(Akka.Done.Instance);
    });
    host.ReconcileInBackground(ledger);
    Console.Error.WriteLine(clusterSettings is null
        ? $"Pdm.Node {node.Id}: working on {ledger.Path} with {n} I/O threads"
        : $"Pdm.Node {node.Id}: member {clusterSettings.Address} (seeds {string.Join(",", clusterSettings.Seeds.Select(s => $"{ClusterSettings.Bracketed(s.Host)}:{s.Port}"))}{(clusterSettings.Tls is null ? "" : ", TLS")}), working on {ledger.Path} with {n} I/O threads");
    await node.Finished; // drained by a signal or by the cluster, or the ledger failed (its error is thrown here)
    await host.StopAsync();
    if (CoordinatedShutdown.Get(host.System).ShutdownReason is MembershipWatcher.LedgerOfAnotherCluster other)
    {
        Console.Error.WriteLine($"Pdm.Node: {other.Why}");
        return 2;
    }
    if (CoordinatedShutdown.Get(host.System).ShutdownReason is CoordinatedShutdown.ClusterDowningReason)
    {
        // Downed by the cluster (the split brain resolver, `pdm cluster down`): a supervisor should start it again.
        Console.Error.WriteLine($"Pdm.Node {node.Id}: stopped: this member was downed by the cluster");
        return 1;
    }
    Console.Error.WriteLine($"Pdm.Node {node.Id}: stopped");
    return 0;
}
catch (UsageException e)
{
    Console.Error.WriteLine($"Pdm.Node: {e.Message}");
    return 2;
}
catch (LedgerUnavailableException e)
{
    Console.Error.WriteLine($"Pdm.Node: {e.Message}");
    return 3;
}
catch (Pdm.Ledger.Sqlite.SqliteError e)
{
    // The ledger failed under way (disk full, I/O error): what was committed stands, the rest is re-run.
    Console.Error.WriteLine($"Pdm.Node: ledger error: {e.Message}");
    return 3;
}
catch (Exception e) when (e is System.Net.Sockets.SocketException or System.Security.Cryptography.CryptographicException)
{
    Console.Error.WriteLine($"Pdm.Node: {e.Message}");
    return 2;
}
