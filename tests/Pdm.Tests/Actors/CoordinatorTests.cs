using Akka.Actor;
using Akka.TestKit.Xunit2;
using Pdm.Actors;
using Pdm.Coordination;
using Pdm.Ledger;
using Pdm.Tests.Support;

namespace Pdm.Tests.Actors;

/// <summary>
/// The MigrationCoordinator against what it runs on in production: Akka.Persistence.Sql on the
/// ledger's own SQLite file, and that ledger. Each test's actor system is pdm's own (MoverHost).
/// </summary>
public sealed class CoordinatorTests : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly TempTree _tmp;
    private readonly SqliteLedger _ledger;
    private readonly MoverHost _host;

    public CoordinatorTests() : this(new TempTree()) { }

    private CoordinatorTests(TempTree tmp) : this(tmp, SqliteLedger.Open(tmp["ledger.db"])) { }

    private CoordinatorTests(TempTree tmp, SqliteLedger ledger) : this(tmp, ledger, StartHost(tmp["ledger.db"])) { }

    private CoordinatorTests(TempTree tmp, SqliteLedger ledger, MoverHost host) : base(host.System)
    {
        _tmp = tmp;
        _ledger = ledger;
        _host = host;
    }

    private static MoverHost StartHost(string ledgerFile) =>
        MoverHost.StartAsync(new MoverHostOptions(Akka.Configuration.Config.Empty, JournalDatabase.Sqlite(ledgerFile))).GetAwaiter().GetResult();

    protected override void AfterAll()
    {
        base.AfterAll();
        _host.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _ledger.Dispose();
        _tmp.Dispose();
    }

    private long NewPass() => _ledger.CreatePass(PassKind.Copy, "/src"u8.ToArray(), "/dst"u8.ToArray(), PassOptions.None);

    private PassCommands.Result Send(IActorRef coordinator, IPassCommand command) =>
        coordinator.Ask<PassCommands.Result>(command, Wait).GetAwaiter().GetResult();

    private PassJournalState StateOf(IActorRef coordinator, long pass) =>
        coordinator.Ask<PassCommands.State>(new PassCommands.GetState(pass), Wait).GetAwaiter().GetResult().Journal;

    /// <summary>The journal's rows of a pass, read with an independent SQLite reader: (sequence number, manifest).</summary>
    private List<(long Seq, string Manifest)> Journal(long passId)
    {
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_tmp["ledger.db"]};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var c = db.CreateCommand();
        c.CommandText = $"SELECT sequence_number, manifest FROM akka_journal WHERE persistence_id = 'pass-{passId}' ORDER BY sequence_number";
        using var r = c.ExecuteReader();
        var rows = new List<(long, string)>();
        while (r.Read()) rows.Add((r.GetInt64(0), r.GetString(1)));
        return rows;
    }

    [Fact]
    public void CommandsAreJournaledThenProjectedOntoTheLedger()
    {
        long pass = NewPass();
        var coordinator = _host.Coordinator(pass, _ledger);
        Assert.Equal(PassStatus.Running, Send(coordinator, new PassCommands.Start(pass)).Status);
        Assert.Equal(PassStatus.Running, _ledger.GetPassState(pass)!.Status);
        Assert.Equal(PassStatus.Paused, Send(coordinator, new PassCommands.Pause(pass)).Status);
        var paused = _ledger.GetPassState(pass)!;
        Assert.Equal(PassStatus.Paused, paused.Status);
        Assert.Equal(PassStatus.Paused, paused.Journaled);
        Assert.Equal(PassStatus.Running, Send(coordinator, new PassCommands.Resume(pass)).Status);
        Assert.Equal(PassStatus.Cancelled, Send(coordinator, new PassCommands.Cancel(pass)).Status);
        Assert.Equal(PassStatus.Cancelled, _ledger.GetPassState(pass)!.Status);

        var refused = Send(coordinator, new PassCommands.Resume(pass));
        Assert.False(refused.Done);
        Assert.Contains("cancelled", refused.Refusal);
        Assert.Equal(["pass-started.v1", "pass-paused.v1", "pass-resumed.v1", "pass-cancelled.v1"], Journal(pass).Select(r => r.Manifest));
    }

    /// <summary>A pass started and paused through its coordinator, which has then stopped: all of it in the journal.</summary>
    private long PausedPassWhoseCoordinatorStopped()
    {
        long pass = NewPass();
        var first = _host.Coordinator(pass, _ledger);
        Send(first, new PassCommands.Start(pass));
        Send(first, new PassCommands.Pause(pass));
        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);
        return pass;
    }

    [Fact]
    public void ARecoveredCoordinatorHasItsStateBackFromTheJournal()
    {
        long pass = PausedPassWhoseCoordinatorStopped();

        var again = Sys.ActorOf(MigrationCoordinator.Props(pass, _ledger, MoverHost.CoordinatorTick), "again");
        var state = StateOf(again, pass);
        Assert.Equal(PassStatus.Paused, state.Status);
        Assert.NotNull(state.StartedAt);
        Assert.Null(state.RunningSince);
    }

    [Fact]
    public void WhatTheLedgerDecidedWithoutTheCoordinatorIsJournaledWhenItRecovers()
    {
        // An embedded run started, did its work and completed while the journal was still connecting.
        long pass = NewPass();
        _ledger.SetPassStatus(pass, PassStatus.Running);
        var item = _ledger.Claim("n", 1, TimeSpan.FromMinutes(1)).Single();
        _ledger.Complete("n", item, new ItemOutcome { Delta = new PassCounters { EntriesSeen = 3, FilesCopied = 2, BytesCopied = 10 } });
        _ledger.Complete("n", _ledger.Claim("n", 1, TimeSpan.FromMinutes(1)).Single(), new ItemOutcome()); // the root's finalize: completed
        Assert.Equal(PassStatus.Completed, _ledger.GetPassState(pass)!.Status);
        Assert.Contains(pass, _ledger.PassesToReconcile(10));

        _host.ReconcileInBackground(_ledger);
        AwaitCondition(() => _ledger.GetPassState(pass)!.Journaled == PassStatus.Completed, Wait);
        Assert.Equal(["pass-started.v1", "pass-completed.v1"], Journal(pass).Select(r => r.Manifest));
        var state = StateOf(Sys.ActorOf(MigrationCoordinator.Props(pass, _ledger, MoverHost.CoordinatorTick)), pass);
        Assert.Equal(new PassCounters { EntriesSeen = 3, FilesCopied = 2, BytesCopied = 10 }, state.Totals);
        Assert.DoesNotContain(pass, _ledger.PassesToReconcile(10));
    }

    [Fact]
    public void AStateJournaledButNeverProjectedIsProjectedOnRecovery()
    {
        long pass = PausedPassWhoseCoordinatorStopped();
        // As if the process had died between journaling the pause and projecting it.
        _ledger.SetPassStatus(pass, PassStatus.Running);
        _ledger.SetJournaled(pass, PassStatus.Running);

        Sys.ActorOf(MigrationCoordinator.Props(pass, _ledger, MoverHost.CoordinatorTick), "recovering");
        AwaitCondition(() => _ledger.GetPassState(pass)!.Status == PassStatus.Paused, Wait);
        Assert.Equal(4 - 2, Journal(pass).Count); // nothing journaled anew
    }

    [Fact]
    public void CommandsLeftInTheLedgerAreTakenOnTheNextTick()
    {
        long pass = NewPass();
        var coordinator = _host.Coordinator(pass, _ledger);
        Send(coordinator, new PassCommands.Start(pass));
        _ledger.Request(pass, PassRequest.Pause);
        AwaitCondition(() => _ledger.GetPassState(pass)!.Status == PassStatus.Paused, Wait);
        _ledger.Request(pass, PassRequest.Resume);
        AwaitCondition(() => _ledger.GetPassState(pass)!.Status == PassStatus.Running, Wait);
        Assert.Empty(_ledger.TakeRequests(pass));
    }

    [Fact]
    public void ProgressIsJournaledFromTheLedgerAndSnapshotsKeepRecoveryShort()
    {
        long pass = NewPass();
        var coordinator = _host.Coordinator(pass, _ledger);
        Send(coordinator, new PassCommands.Start(pass));
        var item = _ledger.Claim("n", 1, TimeSpan.FromMinutes(1)).Single();
        for (int i = 1; i <= MigrationCoordinator.SnapshotEvery + 5; i++)
        {
            _ledger.Checkpoint("n", item, new ItemOutcome { Cursor = i, Delta = new PassCounters { EntriesSeen = 1 } }, TimeSpan.FromMinutes(1));
            Send(coordinator, new PassCommands.Sync(pass)); // one ProgressRecorded each
        }
        AwaitCondition(() => Journal(pass).Count < MigrationCoordinator.SnapshotEvery, Wait); // older events deleted after the snapshot
        Watch(coordinator);
        Sys.Stop(coordinator);
        ExpectTerminated(coordinator);
        var state = StateOf(Sys.ActorOf(MigrationCoordinator.Props(pass, _ledger, MoverHost.CoordinatorTick), "from-snapshot"), pass);
        Assert.Equal(MigrationCoordinator.SnapshotEvery + 5, state.Totals.EntriesSeen);
        Assert.Equal(PassStatus.Running, state.Status);
    }

    [Fact]
    public void TheFoldTracksLifecycleAndActiveTime()
    {
        var t0 = DateTimeOffset.FromUnixTimeSeconds(1000);
        var s = PassJournalState.Initial
            .Apply(new PassEvents.PassStarted(t0))
            .Apply(new PassEvents.ProgressRecorded(t0.AddSeconds(5), new PassCounters { FilesCopied = 3 }))
            .Apply(new PassEvents.PassInterrupted(t0.AddSeconds(10), "signal"));
        Assert.Equal(PassStatus.Interrupted, s.Status);
        Assert.Equal(TimeSpan.FromSeconds(10), s.Elapsed(t0.AddSeconds(100)));
        s = s.Apply(new PassEvents.PassResumed(t0.AddSeconds(50)))
             .Apply(new PassEvents.PassCompleted(t0.AddSeconds(55), new PassCounters { FilesCopied = 4 }));
        Assert.Equal(PassStatus.Completed, s.Status);
        Assert.Equal(4, s.Totals.FilesCopied);
        Assert.Equal(TimeSpan.FromSeconds(15), s.Elapsed(t0.AddSeconds(100)));
        Assert.Equal(t0.AddSeconds(55), s.EndedAt);
        Assert.Equal(t0, s.StartedAt);
    }
}
