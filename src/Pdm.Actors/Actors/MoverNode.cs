using Pdm.Engine;
using Pdm.Ledger;

namespace Pdm.Actors;

public sealed record NodeOptions(int Threads, TimeSpan Lease, WorkLimits Limits)
{
    /// <summary>More threads than cores: most of the work waits on metadata round trips, not CPU.</summary>
    public static int DefaultThreads => Math.Clamp(Environment.ProcessorCount * 2, 4, 32);

    public static NodeOptions Default => new(DefaultThreads, TimeSpan.FromSeconds(60), WorkLimits.Default);
}

/// <summary>
/// One mover node: claims leased work from the ledger and hands it to its dedicated I/O threads
/// (<see cref="IoDispatcher"/>), which run the <see cref="DirectoryActor"/>, <see cref="FileCopyActor"/>
/// and <see cref="DirectoryFinalizer"/> and commit each result with the item's completion. It renews
/// its leases by heartbeat and gives back what it holds when stopped.
/// </summary>
public sealed class MoverNode
{
    private const int MaxAttempts = 5;
    private readonly ILedger _ledger;
    private readonly NodeOptions _options;
    private readonly DirectoryActor _scanner;
    private readonly FileCopyActor _copier;
    private readonly DirectoryFinalizer _finalizer;
    private readonly Dictionary<long, PassContext> _passes = [];
    private readonly Lock _passesGate = new();
    private readonly WakeSignal _wake = new();
    private int _inFlight;
    private string _role = NodeInfo.AllPasses;
    private CompletionWriter? _writer;

    public string Id { get; } = $"{ProcessIdentity.Host}:{ProcessIdentity.Pid}:{Guid.NewGuid().ToString("N")[..6]}";

    public MoverNode(ILedger ledger, NodeOptions options)
    {
        _ledger = ledger;
        _options = options;
        var fileCopier = new FileCopier();
        var planners = new PlannerSet(fileCopier);
        _finalizer = new DirectoryFinalizer(ledger, options.Limits, planners);
        _scanner = new DirectoryActor(ledger, options.Limits, planners);
        _copier = new FileCopyActor(fileCopier);
    }

    /// <summary>Raised (from I/O threads) when an item failed for a reason that is not a file's: a bug or a lost lease.</summary>
    public event Action<string>? Problem;

    /// <summary>
    /// Works until <paramref name="stop"/> is cancelled or, with <paramref name="onlyPass"/>, until that
    /// pass has finished. On stop, in-flight items end at their next safe point and are given back.
    /// </summary>
    public void Run(CancellationToken stop, long? onlyPass = null)
    {
        _ledger.ReleaseDeadLocalNodes(ProcessIdentity.Host, ProcessIdentity.IsAlive);
        var now = DateTimeOffset.UtcNow;
        _role = onlyPass is { } only ? NodeInfo.DedicatedTo(only) : NodeInfo.AllPasses;
        _ledger.RegisterNode(new NodeInfo(Id, ProcessIdentity.Host, ProcessIdentity.Pid, ProcessIdentity.StartTime,
            typeof(MoverNode).Assembly.GetName().Version?.ToString() ?? "0", now, now, _role));
        var mailbox = new Mailbox<WorkItem>();
        using var writer = new CompletionWriter(_ledger, Id, Refused, Committed);
        _writer = writer;
        using var dispatcher = new IoDispatcher(_options.Threads, mailbox, item => Handle(item, stop));
        using var wakeOnStop = stop.Register(_wake.Set);
        try
        {
            Feed(mailbox, stop, onlyPass);
        }
        finally
        {
            mailbox.Complete();
            dispatcher.Join();
            writer.Dispose(); // commits what the I/O threads finished
            // Whatever was claimed but never started goes back.
            var unstarted = new List<long>();
            while (mailbox.TryTake(out var item)) unstarted.Add(item.Id);
            if (unstarted.Count > 0) _ledger.Release(Id, unstarted);
            _ledger.DeregisterNode(Id);
            lock (_passesGate)
            {
                foreach (var ctx in _passes.Values) ctx.Dispose();
                _passes.Clear();
            }
        }
    }

    private void Feed(Mailbox<WorkItem> mailbox, CancellationToken stop, long? onlyPass)
    {
        // Items claimed and not yet committed. Eight per thread: claims and group commits are then
        // large enough that a tree of small directories (three items each) is not ledger-bound, and
        // still few enough that a node holds back little work from the others.
        int capacity = _options.Threads * 8;
        var renewEvery = TimeSpan.FromTicks(_options.Lease.Ticks / 6);
        var lastRenew = DateTime.UtcNow;
        var lastReclaim = DateTime.MinValue;
        int idleDelayMs = 1;
        while (!stop.IsCancellationRequested)
        {
            var utcNow = DateTime.UtcNow;
            if (utcNow - lastRenew >= renewEvery)
            {
                _ledger.RenewLeases(Id, _options.Lease);
                _ledger.HeartbeatNode(Id, _role);
                lastRenew = utcNow;
            }
            if (utcNow - lastReclaim >= TimeSpan.FromSeconds(5))
            {
                _ledger.ReclaimExpired(MaxAttempts);
                lastReclaim = utcNow;
            }
            // Claim in batches: when half the room is free, or when the threads are about to run dry.
            int room = capacity - Volatile.Read(ref _inFlight);
            bool claim = room > 0 && (room >= capacity / 2 || mailbox.Count == 0);
            var claimed = claim ? _ledger.Claim(Id, room, _options.Lease, onlyPass) : [];
            foreach (var item in claimed)
            {
                Interlocked.Increment(ref _inFlight);
                if (!mailbox.TryAdd(item)) throw new InvalidOperationException("the mailbox was closed while feeding it");
            }
            if (claimed.Count > 0)
            {
                idleDelayMs = 1;
                continue;
            }
            if (!claim)
            {
                // Busy: wait for room rather than claim one item at a time.
                _wake.Wait(TimeSpan.FromMilliseconds(50));
                continue;
            }
            // Working for one pass: done once it has ended or was handed back (interrupted); a paused pass is waited for.
            if (onlyPass is { } passId && Volatile.Read(ref _inFlight) == 0
                && _ledger.GetPass(passId) is not { Status: PassStatus.Running or PassStatus.Paused })
                return;
            // Nothing to claim: wait for one of our items to finish (it may have spawned work), or poll.
            _wake.Wait(TimeSpan.FromMilliseconds(idleDelayMs));
            idleDelayMs = Math.Min(idleDelayMs * 2, 200);
        }
    }

    private void Handle(WorkItem item, CancellationToken stop)
    {
        try
        {
            var ctx = ContextFor(item.PassId);
            ItemOutcome outcome = item.Kind switch
            {
                WorkKind.Scan => _scanner.Scan(ctx, item, partial => _ledger.Checkpoint(Id, item, partial, _options.Lease), stop),
                WorkKind.Copy => _copier.CopyBatch(ctx, item, stop),
                WorkKind.Link => _copier.LinkBatch(ctx, item, stop),
                WorkKind.Delete => _copier.DeleteBatch(ctx, item, stop),
                WorkKind.Finalize => _finalizer.Finalize(ctx, item),
                _ => throw new InvalidDataException($"unknown work kind {item.Kind}"),
            };
            _writer!.Post(item, outcome); // in flight until committed
            return;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            _ledger.Release(Id, [item.Id]);
        }
        catch (Exception e) when (e is LeaseLostException or MaxDeleteExceededException)
        {
            Refused(item, e); // a scan's checkpoint was refused
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Not a file's failure but ours (a bug, a corrupt payload): record it against the item so the
            // pass can finish and the admin sees it, rather than retrying it forever.
            Problem?.Invoke($"work item {item.Id} ({item.Kind} {Native.ByteNames.Escape(item.Dir)}): {e}");
            var outcome = new ItemOutcome();
            outcome.Fail(item.Dir, $"{LedgerNames.WorkKindName(item.Kind)} (internal error)", 0, e.Message);
            _writer!.Post(item, outcome);
            return;
        }
        Committed(1);
    }

    /// <summary>The ledger refused an item's results; nothing of them was committed.</summary>
    private void Refused(WorkItem item, Exception why)
    {
        switch (why)
        {
            case MaxDeleteExceededException e:
                // Fail the pass first (no more claims), then record why against the item.
                _ledger.SetPassStatus(item.PassId, PassStatus.Failed);
                var outcome = new ItemOutcome();
                outcome.Fail(item.Dir, "delete", 0, e.Message);
                try { _ledger.Complete(Id, item, outcome); }
                catch (Exception again) { Problem?.Invoke($"could not record the failure of item {item.Id}: {again.Message}"); }
                Problem?.Invoke(e.Message);
                break;
            default:
                Problem?.Invoke(why.Message);
                break;
        }
    }

    /// <summary>Items whose completion is committed (or given up) are no longer in flight.</summary>
    private void Committed(int count)
    {
        Interlocked.Add(ref _inFlight, -count);
        _wake.Set();
    }

    private PassContext ContextFor(long passId)
    {
        lock (_passesGate)
        {
            if (_passes.TryGetValue(passId, out var ctx)) return ctx;
            var pass = _ledger.GetPass(passId) ?? throw new InvalidDataException($"work item of unknown pass {passId}");
            ctx = PassContext.Open(pass);
            _passes[passId] = ctx;
            return ctx;
        }
    }
}
