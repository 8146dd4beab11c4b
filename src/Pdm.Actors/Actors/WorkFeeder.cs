using Akka.Actor;
using Pdm.Engine;
using Pdm.Ledger;

namespace Pdm.Actors;

/// <summary>
/// The heart of a mover node: claims leased work items from the ledger on demand and hands each to a
/// free one of the node's --threads worker threads (<see cref="WorkerThreads"/>), to that thread's
/// actor of the item's kind (DirectoryActor, FileCopyActor, DirectoryFinalizer, SplitFileActor, made
/// on first need): one running per thread and one waiting behind it, so any mix of items keeps
/// --threads threads busy and a thread goes on to its next item without waiting for the feeder.
/// Items stay in flight until the completion writer has committed them. It renews its leases by
/// heartbeat, makes expired leases of other nodes claimable again, and polls with a backoff when there
/// is nothing to claim (a commit, which may have made work ready, wakes it at once). On
/// <see cref="NodeMessages.Drain"/> it stops claiming, lets work in flight reach a safe point, gives
/// back what no worker started, and answers once nothing is in flight. Runs on a thread of its own
/// (a pinned dispatcher): it blocks on the ledger. Untyped, for the start's sake (see <see cref="WorkerActor"/>).
/// </summary>
public sealed class WorkFeeder : UntypedActor, IWithTimers
{
    private const int MaxAttempts = 5;
    private static readonly TimeSpan ReclaimEvery = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxIdleDelay = TimeSpan.FromMilliseconds(200);

    private readonly NodeContext _node;
    private readonly long? _onlyPass;
    private readonly TaskCompletionSource _finished;
    private readonly PassContexts _contexts;
    private readonly CancellationTokenSource _stop = new();
    private readonly Queue<WorkItem> _claimed = new();
    private int[] _given = []; // per worker thread: items handed to it that it has not finished
    private int _givenTotal;
    private readonly Dictionary<(int Slot, string Type), IActorRef> _workers = [];
    private readonly Dictionary<IActorRef, int> _slotOf = [];
    private string[] _slotDispatchers = [];
    private readonly FileCopier _fileCopier = new();
    private readonly PlannerSet _planners;
    private readonly int _threads;
    private readonly int _capacity;
    private readonly HashSet<long> _inFlight = []; // claimed, not yet committed: the leases this node renews
    private TimeSpan _idleDelay = TimeSpan.FromMilliseconds(1);
    private DateTime _lastReclaim = DateTime.MinValue;
    private readonly Dictionary<long, bool> _accepted = []; // per pass: whether this node works on it (its config lets it)
    private readonly HashSet<long> _refusedPasses = [];
    private long _doneSinceHeartbeat, _bytesSinceHeartbeat;
    private DateTime _lastHeartbeat = DateTime.UtcNow;
    private IActorRef? _drainRequester;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="onlyPass">work on this pass only, and finish once it has ended (the embedded `pdm`)</param>
    /// <param name="finished">completed when the node has stopped (faulted if the ledger failed)</param>
    public static Props Props(NodeContext node, long? onlyPass, TaskCompletionSource finished) =>
        Akka.Actor.Props.Create(() => new WorkFeeder(node, onlyPass, finished)).WithDispatcher(PdmHocon.LedgerDispatcher);

    public WorkFeeder(NodeContext node, long? onlyPass, TaskCompletionSource finished)
    {
        _node = node;
        _onlyPass = onlyPass;
        _finished = finished;
        _threads = node.Options.Threads;
        // Eight items per thread: claims and group commits are then large enough that a tree of small
        // directories (three items each) is not ledger-bound, and a node still holds back little work.
        _capacity = _threads * 8;
        _contexts = new PassContexts(node.Ledger);
        _planners = new PlannerSet(_fileCopier);
        _node.LeaseFence = DateTime.UtcNow + node.Options.Lease; // every item claimed from now on is leased at least until then
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Pump or Cluster.Notices.WorkReady:
                Guarded(Feed);
                break;
            case Housekeeping:
                Guarded(Housekeep);
                break;
            case Cluster.Notices.PassChanged c:
                Guarded(() =>
                {
                    // Paused, cancelled, ended: what this node claimed of it and no worker started goes back now
                    // (what waits on a worker thread, when that thread comes to it).
                    _node.Hold(c.PassId, held: c.Status != PassStatus.Running);
                    if (c.Status != PassStatus.Running) GiveBack(c.PassId);
                    Feed();
                });
                break;
            case NodeMessages.WorkerReady r:
                _given[_slotOf[r.Worker]]--;
                _givenTotal--;
                Guarded(Feed);
                break;
            case NodeMessages.Committed c:
                _inFlight.ExceptWith(c.ItemIds);
                _node.Forget(c.ItemIds);
                _doneSinceHeartbeat += c.ItemIds.Count;
                _bytesSinceHeartbeat += c.BytesCopied;
                _idleDelay = TimeSpan.FromMilliseconds(1); // finished work may have made more ready
                Guarded(Feed);
                break;
            case NodeMessages.Drain:
                _drainRequester = Sender;
                _stop.Cancel();
                Guarded(Feed);
                break;
            default:
                if (!Cluster.Notices.IsSubscribeAck(message)) Unhandled(message);
                break;
        }
    }

    /// <summary>Renews this node's leases, beats its heart, and cleans finished rows a few batches at a time.</summary>
    private void Housekeep()
    {
        var renewal = DateTime.UtcNow;
        var lost = _node.Ledger.RenewLeases(_node.Id, _inFlight, _node.Options.Lease);
        _node.LeaseFence = renewal + _node.Options.Lease; // every lease still held is good until then
        if (lost.Count > 0)
        {
            _node.Problem($"{lost.Count} work items are no longer this node's (taken over by others); their work stops");
            _node.Lost(lost);
        }
        double seconds = Math.Max((DateTime.UtcNow - _lastHeartbeat).TotalSeconds, 0.001);
        if (_registered) _node.Ledger.HeartbeatNode(_node.Id, Role, _inFlight.Count, _doneSinceHeartbeat / seconds, _bytesSinceHeartbeat / seconds);
        _doneSinceHeartbeat = _bytesSinceHeartbeat = 0;
        _lastHeartbeat = DateTime.UtcNow;
        // Finished rows go as the pass runs, a batch at a time (a few batches a round at most).
        for (int i = 0; i < CleanBatches && _node.Ledger.CleanFinished(CleanBatch) == CleanBatch; i++) { }
    }

    private string Role => _onlyPass is { } only ? NodeInfo.DedicatedTo(only) : NodeInfo.AllPasses;

    protected override void PreStart()
    {
        // Akka stops an actor that fails to start, and its node would wait for it forever: it ends instead.
        try { Start(); }
        catch (Exception e)
        {
            _stop.Cancel();
            Finish(e);
        }
    }

    private void Start()
    {
        _slotDispatchers = WorkerThreads.Register(Context.System, Self.Path.Name, _threads);
        _given = new int[_threads];
        var writer = Context.ActorOf(CompletionWriter.Props(_node, Self), "writer");
        _node.Writer = writer;
        Guarded(() =>
        {
            _node.Ledger.ReleaseDeadLocalNodes(ProcessIdentity.Host, ProcessIdentity.IsAlive);
            if (_node.Gate.ClosedBecause is null) Register();
        });
        Cluster.Notices.Subscribe(Context.System, Self);
        Timers.StartPeriodicTimer("housekeeping", Housekeeping.Instance, TimeSpan.FromTicks(_node.Options.Lease.Ticks / 6));
        Self.Tell(Pump.Instance);
    }

    /// <summary>Whether this node is in the ledger's registry: from when it may first claim (see <see cref="ClaimGate"/>).</summary>
    private bool _registered;

    /// <summary>
    /// Enters this node in the ledger's registry. In a cluster, only once it is an Up member: a node in
    /// the registry with a fresh heartbeat is one of the cluster the ledger serves, and one that formed a
    /// cluster of its own beside it can tell (<see cref="Cluster.MembershipWatcher"/>).
    /// </summary>
    private void Register()
    {
        var now = DateTimeOffset.UtcNow;
        _node.Ledger.RegisterNode(new NodeInfo(_node.Id, ProcessIdentity.Host, ProcessIdentity.Pid, ProcessIdentity.StartTime,
            typeof(WorkFeeder).Assembly.GetName().Version?.ToString() ?? "0", now, now, Role, _node.Address));
        _registered = true;
    }

    /// <summary>
    /// The worker of a slot that takes items of this kind, made on first need: a pass starts without
    /// first making four actors per thread, and one that splits no file makes no splitter. A
    /// FileCopyActor takes copy, link and delete batches, a SplitFileActor ranges and assembly.
    /// </summary>
    private IActorRef WorkerIn(int slot, WorkKind kind)
    {
        string type = kind switch
        {
            WorkKind.Scan => "scan",
            WorkKind.Copy or WorkKind.Link or WorkKind.Delete => "copy",
            WorkKind.Finalize => "finalize",
            WorkKind.Range or WorkKind.Assemble => "split",
            _ => throw new InvalidDataException($"no worker takes {kind} items"),
        };
        if (_workers.TryGetValue((slot, type), out var worker)) return worker;
        var props = type switch
        {
            "scan" => DirectoryActor.Props(_node, _planners),
            "copy" => FileCopyActor.Props(_node, _fileCopier),
            "finalize" => DirectoryFinalizer.Props(_node, _planners),
            _ => SplitFileActor.Props(_node),
        };
        worker = Context.ActorOf(props.WithDispatcher(_slotDispatchers[slot]), $"{type}-{slot}");
        _workers[(slot, type)] = worker;
        _slotOf[worker] = slot;
        return worker;
    }

    /// <summary>Why the claim gate was last found closed, said once until it changes; since when it has been closed.</summary>
    private string? _saidClosed;
    private DateTime? _closedSince;
    private static readonly TimeSpan SayClosedAfter = TimeSpan.FromSeconds(10);

    /// <summary>Claims if there is room, hands out what workers can take, and decides when to look again.</summary>
    private void Feed()
    {
        if (_stop.IsCancellationRequested)
        {
            GiveBack();
            return;
        }
        if (DateTime.UtcNow - _lastReclaim >= ReclaimEvery)
        {
            _node.Ledger.ReclaimExpired(MaxAttempts);
            _lastReclaim = DateTime.UtcNow;
        }
        // Claim in batches: when half the room is free, or when the workers are about to run dry.
        int room = _capacity - _inFlight.Count;
        bool claim = room > 0 && (room >= _capacity / 2 || _claimed.Count == 0);
        if (claim && _node.Gate.ClosedBecause is { } closed)
        {
            // Said once it has lasted: every node waits a moment to become a member as it starts.
            _closedSince ??= DateTime.UtcNow;
            if (closed != _saidClosed && DateTime.UtcNow - _closedSince >= SayClosedAfter)
            {
                _node.Problem($"claiming nothing: {closed}");
                _saidClosed = closed;
            }
            Dispatch();
            Timers.StartSingleTimer("pump", Pump.Instance, MaxIdleDelay);
            return;
        }
        if (claim) _closedSince = null;
        if (claim && _saidClosed is not null)
        {
            _node.Problem("claiming work again");
            _saidClosed = null;
        }
        if (claim && !_registered) Register();
        int got = 0;
        if (claim)
        {
            foreach (var item in _node.Ledger.Claim(_node.Id, room, _node.Options.Lease, _onlyPass, _refusedPasses))
            {
                _inFlight.Add(item.Id);
                // The ledger hands out items of running passes only: a pass held on an older notice runs
                // again (a lost or late notice must not have this node give its items back forever).
                if (_node.IsHeld(item.PassId)) _node.Hold(item.PassId, held: false);
                if (!Accepts(item.PassId))
                {
                    _node.Ledger.Release(_node.Id, [item.Id]);
                    _inFlight.Remove(item.Id);
                    continue;
                }
                _claimed.Enqueue(item);
                got++;
            }
        }
        Dispatch();
        if (got > 0)
        {
            _idleDelay = TimeSpan.FromMilliseconds(1);
            Timers.StartSingleTimer("pump", Pump.Instance, TimeSpan.Zero);
            return;
        }
        if (!claim) return; // busy: a commit or a free worker brings the next look
        if (_onlyPass is { } passId && _inFlight.Count == 0 && _node.Ledger.GetPass(passId) is not { Status: PassStatus.Running or PassStatus.Paused })
        {
            Finish(null); // its pass has ended or was handed back; a paused one is waited for
            return;
        }
        Timers.StartSingleTimer("pump", Pump.Instance, _idleDelay);
        _idleDelay = TimeSpan.FromTicks(Math.Min(_idleDelay.Ticks * 2, MaxIdleDelay.Ticks));
    }

    /// <summary>
    /// Whether this node works on a pass: a node enforces the writable flags of its own config, not only
    /// the `pdm` or node that admitted the pass. Decided once per pass, said once in the log.
    /// </summary>
    private bool Accepts(long passId)
    {
        if (_accepted.TryGetValue(passId, out bool accepted)) return accepted;
        var pass = _node.Ledger.GetPass(passId);
        string? why = pass is null ? $"pass {passId} is not in the ledger" : _node.Refuses(pass);
        accepted = why is null;
        _accepted[passId] = accepted;
        if (!accepted)
        {
            _refusedPasses.Add(passId);
            _node.Problem($"refusing pass {passId}: {why}");
        }
        return accepted;
    }

    /// <summary>
    /// Hands claimed items to the worker threads, each to its actor of the item's kind: first one to
    /// every thread, then a second queued behind it (<see cref="PerThread"/>), so a thread that finishes
    /// an item starts the next at once instead of sleeping until the feeder hears of it.
    /// </summary>
    private void Dispatch()
    {
        while (_claimed.Count > 0 && LeastBusyThread() is int slot)
        {
            var item = _claimed.Dequeue();
            PassContext ctx;
            try { ctx = _contexts.For(item.PassId); }
            catch (Exception e) when (e is Native.PosixException or InvalidDataException)
            {
                // The pass's roots cannot be opened (unmounted?): its items go back, and the admin is told.
                _node.Problem($"pass {item.PassId}: {e.Message}");
                _node.Ledger.Release(_node.Id, [item.Id]);
                _inFlight.Remove(item.Id);
                continue;
            }
            WorkerIn(slot, item.Kind).Tell(new NodeMessages.Work(item, ctx, _stop.Token));
            _given[slot]++;
            _givenTotal++;
        }
    }

    /// <summary>Items a worker thread holds at most: one running, one waiting in its actor's mailbox.</summary>
    private const int PerThread = 2;

    /// <summary>The thread with the fewest items (the first of them: a short pass starts few threads), if it can take one more.</summary>
    private int? LeastBusyThread()
    {
        int best = 0;
        for (int slot = 1; slot < _given.Length; slot++)
            if (_given[slot] < _given[best]) best = slot;
        return _given[best] < PerThread ? best : null;
    }

    /// <summary>Draining: what no worker started goes back at once; the answer waits for what is in flight.</summary>
    private void GiveBack()
    {
        GiveBack(passId: null);
        if (_inFlight.Count == 0 && _givenTotal == 0) Finish(null);
    }

    /// <summary>Gives back the claimed items no worker started (of one pass, or all).</summary>
    private void GiveBack(long? passId)
    {
        var back = _claimed.Where(i => passId is null || i.PassId == passId).ToList();
        if (back.Count == 0) return;
        _node.Ledger.Release(_node.Id, back.Select(i => i.Id).ToList());
        foreach (var item in back) _inFlight.Remove(item.Id);
        var keep = _claimed.Where(i => !back.Contains(i)).ToList();
        _claimed.Clear();
        foreach (var item in keep) _claimed.Enqueue(item);
    }

    private void Finish(Exception? failure)
    {
        Timers.CancelAll();
        try { _node.Ledger.DeregisterNode(_node.Id); }
        catch (Exception e) when (failure is not null) { _ = e; } // the ledger is what failed
        _contexts.Dispose();
        if (failure is null) _finished.TrySetResult();
        else _finished.TrySetException(failure);
        _drainRequester?.Tell(new NodeMessages.Drained());
        Context.Stop(Self);
    }

    /// <summary>
    /// A ledger that fails under way (disk full, I/O error) stops the node: what was committed stands, the
    /// rest is re-run. A database that went away (a restart, a failover) is waited for instead: the call
    /// is tried again a second later, and the node says once that it waits and once that it is back. A
    /// transaction cut while it committed may or may not have landed; its claims, if they did, expire.
    /// </summary>
    private void Guarded(Action body)
    {
        try
        {
            body();
            if (_ledgerAway is not null)
            {
                _node.Problem($"the ledger is back after {(DateTime.UtcNow - _ledgerAway.Value).TotalSeconds:0} s");
                _ledgerAway = null;
            }
        }
        catch (LedgerTransientException e)
        {
            if (_ledgerAway is null) _node.Problem($"{e.Message}; trying again every second");
            _ledgerAway ??= DateTime.UtcNow;
            Timers.StartSingleTimer("ledger-away", Pump.Instance, TimeSpan.FromSeconds(1));
        }
        catch (Exception e) when (e is Ledger.Sqlite.SqliteError or LedgerUnavailableException)
        {
            _stop.Cancel();
            Finish(e);
        }
    }

    private DateTime? _ledgerAway;

    protected override void PostStop() => _stop.Dispose();

    private sealed class Pump
    {
        public static readonly Pump Instance = new();
    }

    private const int CleanBatch = 5000, CleanBatches = 4;

    private sealed class Housekeeping
    {
        public static readonly Housekeeping Instance = new();
    }
}
