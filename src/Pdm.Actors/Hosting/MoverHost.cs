using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pdm.Cluster;
using Pdm.Coordination;
using Pdm.Ledger;

namespace Pdm.Actors;

/// <param name="Akka">the config's akka { } section, over pdm's defaults</param>
/// <param name="Journal">the database of the coordinators' journal (the ledger's own); null: no persistence</param>
/// <param name="Cluster">a node of a cluster: remoting, membership, the coordinators sharded, the API for `pdm --cluster`</param>
/// <param name="Client">a `pdm --cluster`: remoting only, and a cluster client to the nodes' API</param>
/// <param name="ConfigFile">the file the akka { } section came from, named when Akka refuses a setting of it</param>
public sealed record MoverHostOptions(Config Akka, JournalDatabase? Journal, string Name = "pdm", ClusterNode? Cluster = null,
    ApiClientSettings? Client = null, string? ConfigFile = null);

/// <summary>What a cluster node's host needs beside its settings: the ledger (the coordinators' and the API's) and the node's config.</summary>
/// <param name="Gate">whether the node may claim: its membership watcher opens it once the node is an Up member of the ledger's one cluster</param>
/// <param name="Lease">the node's lease: a heartbeat older than this in the ledger is a node gone</param>
public sealed record ClusterNode(ClusterSettings Settings, ILedger Ledger, Configuration.PdmConfig Config, ClaimGate Gate, TimeSpan Lease);

/// <summary>Where Akka.Persistence.Sql keeps the coordinators' journal: linq2db's provider name and a connection string.</summary>
public sealed record JournalDatabase(string Provider, string ConnectionString)
{
    /// <summary>The ledger's SQLite file; its reads are read-uncommitted (see <see cref="MoverHost"/>).</summary>
    public static JournalDatabase Sqlite(string file) => new("SQLite.MS", $"Data Source={Quoted(file)};Default Timeout=60");

    /// <summary>
    /// A connection-string value in double quotes, a quote in it doubled: read back exactly by
    /// SqliteConnectionStringBuilder, whatever the path holds (';', '=', quotes). Written by hand: the
    /// builder loads System.Data.Common and builds its regular expressions on the way to the actor
    /// system's start, 5-10 ms of a one-shot `pdm` (measured here).
    /// </summary>
    private static string Quoted(string value) => "\"" + value.Replace("\"", "\"\"") + "\"";

    /// <summary>The ledger's PostgreSQL database.</summary>
    public static JournalDatabase Postgres(string connectionString) => new("PostgreSQL.15", connectionString);

    public bool IsSqlite => Provider == "SQLite.MS";
}

/// <summary>
/// The one ActorSystem of a mover process (the embedded `pdm` and Pdm.Node), set up with Akka.Hosting:
/// pdm's dispatchers, its serializer of coordinator events, and, with a journal, Akka.Persistence.Sql
/// on the ledger's SQLite file (tables akka_journal, akka_snapshot beside the ledger's). No remoting and
/// no cluster: those are a node's, when one is configured. Akka.Hosting is used without the generic
/// host (a service collection and its hosted service started by hand): the same ActorSystem, ~100 ms
/// sooner (measured here).
/// </summary>
public sealed class MoverHost : IAsyncDisposable, IDisposable
{
    private readonly ServiceProvider _services;
    private readonly List<IHostedService> _hosted;
    private readonly Dictionary<long, IActorRef> _coordinators = [];
    private readonly Lock _gate = new();
    private bool _stopped;

    public ActorSystem System { get; }

    /// <summary>Whether coordinators can journal (a journal was configured).</summary>
    public bool Persistent { get; }

    private MoverHost(ServiceProvider services, List<IHostedService> hosted, bool persistent)
    {
        _services = services;
        _hosted = hosted;
        Persistent = persistent;
        System = services.GetRequiredService<ActorSystem>();
    }

    public static async Task<MoverHost> StartAsync(MoverHostOptions options)
    {
        NoAppConfig.Install();
        var services = new ServiceCollection();
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>)); // Akka's own logs go through StderrLogger
        services.AddSingleton<IHostApplicationLifetime, NoHostLifetime>();
        services.AddAkka(options.Name, (builder, _) =>
        {
            builder.AddHocon(options.Akka, HoconAddMode.Append)
                .AddHocon(PdmHocon.Defaults, HoconAddMode.Append)
                .ConfigureLoggers(loggers =>
                {
                    loggers.ClearLoggers();
                    loggers.AddLogger<StderrLogger>();
                })
                .WithCustomSerializer("pdm-pass", [typeof(IPassEvent), typeof(PassJournalState)], system => new PassEventSerializer(system));
            if (options.Journal is { } journal) builder.AddHocon(JournalHocon(journal), HoconAddMode.Prepend);
            if (options.Cluster is { } cluster) ClusterHosting.AsNode(builder, cluster);
            if (options.Client is { } client) ClusterHosting.AsClient(builder, client);
        });
        var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToList();
        ActorSystem? system = null;
        try
        {
            // What reads an admin's akka { } section first, before anything starts on it: the actor
            // system, coordinated shutdown's phases, the dispatchers of pdm's actors (their threads start
            // only with an actor). Akka.Hosting, left to find a refused setting, prints a stack trace.
            system = provider.GetRequiredService<ActorSystem>();
            CoordinatedShutdown.Get(system);
            system.Dispatchers.Lookup(PdmHocon.LedgerDispatcher);
            WorkerThreads.Check(system);
            foreach (var h in hosted) await h.StartAsync(CancellationToken.None);
        }
        catch (Exception e) when (options.ConfigFile is { } file && RefusedAkkaSettings.Why(e, options.Akka) is { } why)
        {
            // A config error like any other (exit 2, the file named), found before a pass has begun.
            try
            {
                if (system is not null) await system.Terminate();
                await provider.DisposeAsync();
            }
            catch (Exception) { } // stopping may need the refused setting too (coordinated shutdown's); its threads are background ones
            throw new Configuration.ConfigException($"config {file}: {why}");
        }
        return new MoverHost(provider, hosted, options.Journal is not null);
    }

    /// <summary>
    /// Akka.Persistence.Sql on the ledger's database, in the plugin's own HOCON keys (the plugin fills in
    /// the rest from its defaults when it starts). On SQLite its reads must be read-uncommitted: at any
    /// other isolation Microsoft.Data.Sqlite begins with the write lock, and recovery would queue behind
    /// every ledger transaction (measured here); PostgreSQL reads without locks at any level and has no
    /// read-uncommitted. WAL mode is the ledger's, on the file.
    /// <para>
    /// Written here, not built by Akka.Persistence.Sql.Hosting's options: those load the plugin,
    /// linq2db and ADO.NET and compile regular expressions on the way to the actor system's start,
    /// which a one-shot `pdm` paid though its coordinator starts only after 3 s, if at all. Now the
    /// plugin loads with the first coordinator.
    /// </para>
    /// </summary>
    public static Config JournalHocon(JournalDatabase database)
    {
        string connection = Configuration.HoconText.Quote(database.ConnectionString);
        string provider = Configuration.HoconText.Quote(database.Provider);
        string reads = database.IsSqlite ? "read-uncommitted" : "read-committed";
        return ConfigurationFactory.ParseString($$"""
            akka.persistence {
              journal {
                plugin = akka.persistence.journal.sql
                sql {
                  class = "Akka.Persistence.Sql.Journal.SqlWriteJournal, Akka.Persistence.Sql"
                  plugin-id = akka.persistence.journal.sql
                  connection-string = {{connection}}
                  provider-name = {{provider}}
                  read-isolation-level = {{reads}}
                  auto-initialize = on
                  table-mapping = default
                  default {
                    journal.table-name = akka_journal
                    metadata.table-name = akka_journal_metadata
                    tag.table-name = akka_tags
                  }
                }
              }
              snapshot-store {
                plugin = akka.persistence.snapshot-store.sql
                sql {
                  class = "Akka.Persistence.Sql.Snapshot.SqlSnapshotStore, Akka.Persistence.Sql"
                  plugin-id = akka.persistence.snapshot-store.sql
                  connection-string = {{connection}}
                  provider-name = {{provider}}
                  read-isolation-level = {{reads}}
                  auto-initialize = on
                  table-mapping = default
                  default.snapshot.table-name = akka_snapshot
                }
              }
            }
            """);
    }

    /// <summary>Whether this host is a cluster node (its coordinators are sharded).</summary>
    public bool Clustered => IsClusterMember(System);

    /// <summary>Whether an actor system is a member of a cluster (Akka.Cluster's actor-ref provider; a `pdm --cluster` client is not).</summary>
    public static bool IsClusterMember(ActorSystem system) => system.Settings.ProviderClass.Contains("Cluster", StringComparison.Ordinal);

    /// <summary>The cluster's shard region of coordinators: every <see cref="IPassCommand"/> reaches its pass's one coordinator.</summary>
    public IActorRef ShardedCoordinators => _services.GetRequiredService<ActorRegistry>().Get<PassCoordinators>();

    /// <summary>A cluster client's way to the nodes' API (<see cref="Api"/>): send it a <c>ClusterClient.Send</c>.</summary>
    public IActorRef ApiClient => _services.GetRequiredService<ActorRegistry>().Get<PdmApiClient>();

    /// <summary>The coordinator of a pass in this process, started (it recovers from its journal meanwhile) if it is not yet.</summary>
    public IActorRef Coordinator(long passId, ILedger ledger)
    {
        if (!Persistent) throw new InvalidOperationException("coordinators need a journal");
        if (Clustered) return ShardedCoordinators;
        lock (_gate)
        {
            if (_coordinators.TryGetValue(passId, out var existing)) return existing;
            var coordinator = System.ActorOf(MigrationCoordinator.Props(passId, ledger, CoordinatorTick), MigrationCoordinator.PersistenceIdOf(passId));
            _coordinators[passId] = coordinator;
            return coordinator;
        }
    }

    /// <summary>How often a coordinator takes the commands left for it in the ledger and journals progress.</summary>
    public static readonly TimeSpan CoordinatorTick = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Brings the journal up to date with the ledger for passes whose coordinator did not journal their
    /// latest state (a process that ended before its journal had connected, a crash): each such pass's
    /// coordinator recovers, journals what the ledger shows, and stops. In the background: nothing waits.
    /// </summary>
    public void ReconcileInBackground(ILedger ledger, int max = 32)
    {
        if (!Persistent) return;
        // A pass that a live `pdm` runs is that process's to coordinate, even before its coordinator has
        // started: a second coordinator of the same pass would write the same journal.
        var runByOthers = ledger.ListNodes().Where(ProcessIdentity.IsLive).Select(n => n.State).ToHashSet();
        foreach (var passId in ledger.PassesToReconcile(max))
        {
            if (runByOthers.Contains(NodeInfo.DedicatedTo(passId))) continue;
            if (Clustered)
            {
                ShardedCoordinators.Tell(new PassCommands.Sync(passId)); // started where its shard lives; passivates once its pass has ended
                continue;
            }
            lock (_gate)
            {
                if (_coordinators.ContainsKey(passId)) continue;
                System.ActorOf(MigrationCoordinator.Props(passId, ledger, CoordinatorTick, stopWhenSettled: true), $"reconcile-{passId}");
            }
        }
    }

    /// <summary>
    /// Has these signals (SIGTERM, SIGINT, SIGHUP...) run coordinated shutdown, as every Akka.NET host
    /// does: its phases drain the node and hand its pass back before the actors stop.
    /// </summary>
    public IDisposable StopOn(params PosixSignal[] signals)
    {
        var registrations = signals.Select(signal => PosixSignalRegistration.Create(signal, ctx =>
        {
            ctx.Cancel = true; // the process ends when shutdown is done, not at once
            StoppedBy = ctx.Signal;
            CoordinatedShutdown.Get(System).Run(new SignalReason(ctx.Signal));
        })).ToList();
        return new Registrations(registrations);
    }

    /// <summary>The signal that stopped this host, if one did.</summary>
    public PosixSignal? StoppedBy { get; private set; }

    /// <summary>Runs coordinated shutdown: actors stop, the journal's connections close.</summary>
    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        for (int i = _hosted.Count - 1; i >= 0; i--) await _hosted[i].StopAsync(CancellationToken.None);
        await System.WhenTerminated;
    }

    /// <summary>Stops a host whose start was begun and is no longer wanted (the command was refused).</summary>
    public static void StopWhenStarted(Task<MoverHost> starting)
    {
        try { starting.GetAwaiter().GetResult().DisposeAsync().AsTask().GetAwaiter().GetResult(); }
        catch (Exception) { } // it did not start: nothing to stop; the command's own error is what the user sees
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _services.DisposeAsync();
    }

    /// <summary>For commands that run synchronously: stops the host and waits.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public sealed class SignalReason(PosixSignal signal) : CoordinatedShutdown.Reason
    {
        public PosixSignal Signal { get; } = signal;
        public override int ExitCode => 128 + (Signal switch { PosixSignal.SIGINT => 2, PosixSignal.SIGHUP => 1, _ => 15 });
        public override string ToString() => $"signal {Signal}";
    }

    private sealed class Registrations(List<PosixSignalRegistration> all) : IDisposable
    {
        public void Dispose() => all.ForEach(r => r.Dispose());
    }

    /// <summary>Akka.Hosting's hosted service asks for the host's lifetime; without a generic host there is none.</summary>
    private sealed class NoHostLifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;
        public void StopApplication() { }
    }
}
