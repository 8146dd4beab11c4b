using System.Data;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pdm.Coordination;
using Pdm.Ledger;
using SqlJournalOptions = Akka.Persistence.Sql.Hosting.SqlJournalOptions;
using SqlSnapshotOptions = Akka.Persistence.Sql.Hosting.SqlSnapshotOptions;

namespace Pdm.Actors;

/// <param name="Threads">the pdm-io dispatcher's dedicated threads</param>
/// <param name="Akka">the config's akka { } section, over pdm's defaults</param>
/// <param name="Journal">the SQLite file of the coordinators' journal (the ledger's own file); null: no persistence</param>
public sealed record MoverHostOptions(int Threads, Config Akka, string? Journal, string Name = "pdm");

/// <summary>
/// The one ActorSystem of a mover process (the embedded `pdm` and Pdm.Node), set up with Akka.Hosting:
/// pdm's dispatchers, its serializer of coordinator events, and, with a journal, Akka.Persistence.Sql
/// on the ledger's SQLite file (tables akka_journal, akka_snapshot beside the ledger's). No remoting and
/// no cluster: those are a node's, when one is configured. Akka.Hosting is used without the generic
/// host (a service collection and its hosted service started by hand): the same ActorSystem, ~100 ms
/// sooner (measured here).
/// </summary>
public sealed class MoverHost : IAsyncDisposable
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
        var services = new ServiceCollection();
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>)); // Akka's own logs go through StderrLogger
        services.AddSingleton<IHostApplicationLifetime, NoHostLifetime>();
        services.AddAkka(options.Name, (builder, _) =>
        {
            builder.AddHocon(ConfigurationFactory.ParseString(
                    $"akka.actor.pdm-io.dedicated-thread-pool.thread-count = {options.Threads}"), HoconAddMode.Prepend) // --threads decides
                .AddHocon(options.Akka, HoconAddMode.Append)
                .AddHocon(PdmHocon.Defaults(options.Threads), HoconAddMode.Append)
                .ConfigureLoggers(loggers =>
                {
                    loggers.ClearLoggers();
                    loggers.AddLogger<StderrLogger>();
                })
                .WithCustomSerializer("pdm-pass", [typeof(IPassEvent), typeof(PassJournalState)], system => new PassEventSerializer(system));
            if (options.Journal is { } journal) WithJournal(builder, journal);
        });
        var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToList();
        foreach (var h in hosted) await h.StartAsync(CancellationToken.None);
        return new MoverHost(provider, hosted, options.Journal is not null);
    }

    /// <summary>
    /// Akka.Persistence.Sql on the ledger's SQLite file. Its reads must be read-uncommitted: at any other
    /// isolation Microsoft.Data.Sqlite begins with the write lock, and recovery would queue behind every
    /// ledger transaction (measured here). WAL mode is the ledger's, on the file.
    /// </summary>
    private static void WithJournal(AkkaConfigurationBuilder builder, string sqliteFile)
    {
        string connection = new SqliteConnectionStringBuilder { DataSource = sqliteFile, DefaultTimeout = 60 }.ToString();
        var journalTables = JournalDatabaseOptions.Default;
        journalTables.JournalTable!.TableName = "akka_journal";
        journalTables.MetadataTable!.TableName = "akka_journal_metadata";
        journalTables.TagTable!.TableName = "akka_tags";
        var snapshotTables = SnapshotDatabaseOptions.Default;
        snapshotTables.SnapshotTable!.TableName = "akka_snapshot";
        builder.WithSqlPersistence(
            new SqlJournalOptions(isDefaultPlugin: true)
            {
                ConnectionString = connection, ProviderName = "SQLite.MS", AutoInitialize = true, DatabaseOptions = journalTables,
                ReadIsolationLevel = IsolationLevel.ReadUncommitted,
            },
            new SqlSnapshotOptions(isDefaultPlugin: true)
            {
                ConnectionString = connection, ProviderName = "SQLite.MS", AutoInitialize = true, DatabaseOptions = snapshotTables,
                ReadIsolationLevel = IsolationLevel.ReadUncommitted,
            });
    }

    /// <summary>The coordinator of a pass in this process, started (it recovers from its journal meanwhile) if it is not yet.</summary>
    public IActorRef Coordinator(long passId, ILedger ledger)
    {
        if (!Persistent) throw new InvalidOperationException("coordinators need a journal");
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
        foreach (var passId in ledger.PassesToReconcile(max))
        {
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
