using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Pdm.Ledger;

namespace Pdm.Coordination;

/// <summary>
/// The coordinator of one pass: an event-sourced actor (persistence id "pass-ID") that owns the pass's
/// lifecycle. Admin commands (<see cref="PassCommands"/>) become events (<see cref="PassEvents"/>),
/// journaled first and then projected onto the ledger's pass row, which is what nodes and `pdm passes`
/// read. The work itself stays in the ledger, exact: the coordinator records progress and completion
/// from the ledger's totals, never counts anything itself.
/// <para>
/// Two truths meet here. What the work decided lands in the ledger first, in the transaction that
/// decided it (the last item completes the pass; --max-delete fails it), and so may the start and the
/// interruption of an embedded run, which cannot wait for the journal's first connection. On recovery
/// and on every tick the coordinator journals what the ledger shows that its journal does not; and a
/// state it journaled but did not project (it crashed in between) is projected again. Snapshots every
/// <see cref="SnapshotEvery"/> events keep recovery short; older events are deleted once one is saved.
/// </para>
/// The same class runs as a plain child in one process and, keyed by pass id, as a sharded entity.
/// </summary>
public sealed class MigrationCoordinator : ReceivePersistentActor, IWithTimers
{
    public const int SnapshotEvery = 100;
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(5);

    private readonly long _passId;
    private readonly ILedger _ledger;
    private readonly bool _stopWhenSettled;
    private readonly bool _sharded;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private PassJournalState _state = PassJournalState.Initial;
    private DateTimeOffset _lastProgress = DateTimeOffset.MinValue;

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="stopWhenSettled">only bring the journal up to date with the ledger, then stop (a pass nobody runs)</param>
    /// <param name="sharded">an entity of the cluster's shard region: once its pass has ended it passivates, and is not remembered</param>
    public static Props Props(long passId, ILedger ledger, TimeSpan tick, bool stopWhenSettled = false, bool sharded = false) =>
        Akka.Actor.Props.Create(() => new MigrationCoordinator(passId, ledger, tick, stopWhenSettled, sharded));

    public static string PersistenceIdOf(long passId) => $"pass-{passId}";

    public MigrationCoordinator(long passId, ILedger ledger, TimeSpan tick, bool stopWhenSettled, bool sharded)
    {
        _passId = passId;
        _ledger = ledger;
        _stopWhenSettled = stopWhenSettled;
        _sharded = sharded;
        PersistenceId = PersistenceIdOf(passId);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is PassJournalState s) _state = s;
        });
        Recover<IPassEvent>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ =>
        {
            Context.System.EventStream.Publish(new CoordinatorRecovered(passId));
            Reconcile();
            // Settle comes after the events Reconcile persists (commands wait while they are persisted).
            if (_stopWhenSettled || (_sharded && _state.IsFinished)) Self.Tell(Settle.Instance);
            else Timers.StartPeriodicTimer("tick", Tick.Instance, tick);
        });

        Command<PassCommands.Start>(_ => Change(_state.Status == PassStatus.Queued, new PassEvents.PassStarted(Now),
            _state.IsFinished ? $"pass {passId} has {Name(_state.Status)}" : null));
        Command<PassCommands.Resume>(_ => Change(_state.Status != PassStatus.Running, new PassEvents.PassResumed(Now),
            _state.IsFinished ? $"pass {passId} has already {Name(_state.Status)}" : null));
        Command<PassCommands.Pause>(_ => Change(_state.Status != PassStatus.Paused, new PassEvents.PassPaused(Now),
            _state.IsFinished ? $"pass {passId} is {Name(_state.Status)}, not running" : null));
        Command<PassCommands.Cancel>(_ => Change(true, new PassEvents.PassCancelled(Now),
            _state.IsFinished ? $"pass {passId} has already {Name(_state.Status)}" : null));
        Command<PassCommands.Interrupt>(c => Change(_state.Status == PassStatus.Running, new PassEvents.PassInterrupted(Now, c.Reason),
            _state.IsFinished ? $"pass {passId} has {Name(_state.Status)}" : null));
        Command<PassCommands.Sync>(_ =>
        {
            var sender = Sender;
            SyncWithLedger(force: true);
            DeferAsync(Settle.Instance, _ => sender.Tell(new PassCommands.Result(passId, true, _state.Status)));
        });
        Command<Settle>(_ =>
        {
            if (_sharded) Context.Parent.Tell(new Akka.Cluster.Sharding.Passivate(PoisonPill.Instance)); // no longer remembered
            else Context.Stop(Self);
        });
        Command<PassCommands.GetState>(_ => Sender.Tell(new PassCommands.State(passId, _state)));
        Command<PassCommands.Wake>(_ => { });
        Command<Tick>(_ =>
        {
            foreach (var request in _ledger.TakeRequests(passId)) Self.Tell(Request(request), ActorRefs.NoSender);
            SyncWithLedger(force: false);
        });
        Command<SaveSnapshotSuccess>(s =>
        {
            DeleteMessages(s.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(f => _log.Warning("pass {0}: snapshot not saved: {1}", passId, f.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f => _log.Warning("pass {0}: old events not deleted: {1}", passId, f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    private static string Name(PassStatus s) => LedgerNames.StatusName(s);

    private IPassCommand Request(PassRequest request) => request switch
    {
        PassRequest.Pause => new PassCommands.Pause(_passId),
        PassRequest.Resume => new PassCommands.Resume(_passId),
        _ => new PassCommands.Cancel(_passId),
    };

    /// <summary>Journals <paramref name="e"/> if it changes anything, projects it, and answers the sender.</summary>
    private void Change(bool changes, IPassEvent e, string? refusal)
    {
        var sender = Sender;
        if (refusal is not null)
        {
            sender.Tell(new PassCommands.Result(_passId, false, _state.Status, refusal));
            return;
        }
        if (!changes)
        {
            Project(_state.Status); // as it was: still make sure the ledger shows it
            sender.Tell(new PassCommands.Result(_passId, true, _state.Status));
            return;
        }
        Record(e, s => sender.Tell(new PassCommands.Result(_passId, true, s.Status)));
    }

    /// <summary>Persists an event, applies it, projects the state it leads to, and snapshots now and then.</summary>
    private void Record(IPassEvent e, Action<PassJournalState>? then = null) => Persist(e, persisted =>
    {
        var before = _state.Status;
        _state = _state.Apply(persisted);
        if (persisted is PassEvents.ProgressRecorded or PassEvents.PassCompleted or PassEvents.PassFailed) _lastProgress = persisted.At;
        if (_state.Status != before || persisted is not PassEvents.ProgressRecorded) Project(_state.Status);
        if (LastSequenceNr % SnapshotEvery == 0) SaveSnapshot(_state);
        if (_state.IsFinished)
        {
            Timers.CancelAll();
            if (_sharded) Self.Tell(Settle.Instance); // after what is still being persisted
        }
        then?.Invoke(_state);
    });

    /// <summary>The ledger's pass row shows the journaled state, and notes that it was journaled.</summary>
    private void Project(PassStatus status)
    {
        _ledger.SetPassStatus(_passId, status); // refused, harmlessly, once the ledger has ended the pass
        _ledger.SetJournaled(_passId, status);
        // Every node hears it at once (a pause stops their claims, a resume wakes them), not at its next poll.
        Cluster.Notices.Publish(Context.System, new Cluster.Notices.PassChanged(_passId, status));
    }

    /// <summary>
    /// Brings journal and ledger together after recovery: re-projects a state journaled but never
    /// projected, then journals what the ledger decided that the journal lacks.
    /// </summary>
    private void Reconcile()
    {
        var ledger = _ledger.GetPassState(_passId);
        if (ledger is null)
        {
            _log.Warning("pass {0} is not in the ledger: its coordinator stops", _passId);
            Context.Stop(Self);
            return;
        }
        if (_state.Status != PassStatus.Queued && ledger.Journaled != _state.Status) Project(_state.Status);
        SyncWithLedger(force: true);
        // Once what that persisted is in: the ledger notes the journal is up to date (no reconciling again).
        DeferAsync(Settle.Instance, _ => _ledger.SetJournaled(_passId, _state.Status));
    }

    /// <summary>Journals the ledger's facts: a state it reached without the coordinator, and its totals.</summary>
    private void SyncWithLedger(bool force)
    {
        var ledger = _ledger.GetPassState(_passId);
        if (ledger is null || _state.IsFinished) return;
        var now = Now;
        var ended = ledger.EndedAt ?? now;
        // A pass the ledger shows started (and perhaps ended) while the journal has nothing: its start first.
        if (_state.Status == PassStatus.Queued && ledger.Status != PassStatus.Running && ledger.StartedAt is { } started)
            Record(new PassEvents.PassStarted(started));
        IPassEvent? fact = ledger.Status == _state.Status ? null : ledger.Status switch
        {
            PassStatus.Completed => new PassEvents.PassCompleted(ended, ledger.Counters),
            PassStatus.Failed => new PassEvents.PassFailed(ended, ledger.Counters, "failed by its work (--max-delete)"),
            PassStatus.Cancelled => new PassEvents.PassCancelled(ended),
            PassStatus.Running when _state.Status == PassStatus.Queued => new PassEvents.PassStarted(ledger.StartedAt ?? now),
            PassStatus.Running => new PassEvents.PassResumed(now),
            PassStatus.Interrupted => new PassEvents.PassInterrupted(now, ledger.StopReason ?? "stopped by the process running it"),
            PassStatus.Paused => new PassEvents.PassPaused(now),
            _ => null,
        };
        if (fact is not null) Record(fact); // a completion or failure carries the final totals
        bool moved = ledger.Counters != _state.Totals && fact is not (PassEvents.PassCompleted or PassEvents.PassFailed);
        if (moved && (force || fact is not null || now - _lastProgress >= ProgressEvery))
            Record(new PassEvents.ProgressRecorded(now, ledger.Counters));
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "pass {0}: the journal refused event {1}: {2}", _passId, sequenceNr, cause.Message);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    private sealed class Settle
    {
        public static readonly Settle Instance = new();
    }
}
