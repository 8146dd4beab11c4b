using Akka.Actor;
using Pdm.Ledger;

namespace Pdm.Actors;

/// <summary>
/// Commits a node's finished work items in groups: every completion that arrived while the last group
/// was being committed goes into the next one, in one ledger transaction (group commit), so a node
/// finishing thousands of small items a second does not pay a transaction for each. Every item is
/// still finished all or nothing with its results. Runs on a thread of its own (a pinned dispatcher):
/// a commit blocks on the ledger. Untyped, for the start's sake (see <see cref="WorkerActor"/>).
/// </summary>
public sealed class CompletionWriter(NodeContext node, IActorRef feeder) : UntypedActor
{
    private const int MaxGroup = 256;
    private readonly NodeContext _node = node;
    private readonly IActorRef _feeder = feeder;
    private readonly List<(WorkItem Item, ItemOutcome Outcome)> _group = [];
    private bool _flushPending;
    private static readonly TimeSpan WakeEvery = TimeSpan.FromMilliseconds(200);
    private readonly Dictionary<long, DateTime> _lastWake = [];

    public static Props Props(NodeContext node, IActorRef feeder) =>
        Akka.Actor.Props.Create(() => new CompletionWriter(node, feeder)).WithDispatcher(PdmHocon.LedgerDispatcher);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case NodeMessages.Completed c:
                _group.Add((c.Item, c.Outcome));
                if (_flushPending) return;
                _flushPending = true;
                Self.Tell(Flush.Instance); // after the completions already waiting in the mailbox
                break;
            case Flush:
                _flushPending = false;
                for (int start = 0; start < _group.Count; start += MaxGroup)
                    Commit(_group.GetRange(start, Math.Min(MaxGroup, _group.Count - start)));
                _group.Clear();
                break;
            case NodeMessages.Refused r:
                HandleRefusal(r.Item, r.Why);
                _feeder.Tell(new NodeMessages.Committed([r.Item.Id]));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Commit(List<(WorkItem Item, ItemOutcome Outcome)> group)
    {
        IReadOnlyList<Exception?> results;
        try
        {
            results = _node.Ledger.CompleteMany(_node.Id, group);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The ledger failed (disk full, gone for longer than the ledger waits, or as it committed):
            // the group may or may not have been committed. What was not is given back to be done
            // again, here or elsewhere (a release is guarded by the lease: items that did commit are
            // not touched); if even that fails, their leases expire.
            _node.Problem($"could not commit {group.Count} finished items: {e.Message}");
            results = group.Select(_ => (Exception?)null).ToList();
            try { _node.Ledger.Release(_node.Id, group.Select(c => c.Item.Id).ToList()); }
            catch (Exception again) when (again is not OutOfMemoryException)
            {
                _node.Problem($"could not give back {group.Count} items; they return when their leases expire: {again.Message}");
            }
        }
        for (int i = 0; i < group.Count; i++)
            if (results[i] is { } refusal) HandleRefusal(group[i].Item, refusal);
        _feeder.Tell(new NodeMessages.Committed(group.Select(c => c.Item.Id).ToList(), group.Sum(c => c.Outcome.Delta.BytesCopied)));
        // Other nodes may be idle: new work (subdirectories, batches) wakes them now rather than at their next poll.
        foreach (var passId in group.Where(c => c.Outcome.Subdirectories.Count + c.Outcome.Batches.Count > 0).Select(c => c.Item.PassId).Distinct())
            if (DateTime.UtcNow - _lastWake.GetValueOrDefault(passId) >= WakeEvery)
            {
                _lastWake[passId] = DateTime.UtcNow;
                Cluster.Notices.PublishToOthers(Context.System, new Cluster.Notices.WorkReady(passId));
            }
    }

    /// <summary>The ledger refused an item's results; nothing of them was committed.</summary>
    private void HandleRefusal(WorkItem item, Exception why)
    {
        if (why is not MaxDeleteExceededException e)
        {
            _node.Problem(why.Message);
            return;
        }
        // Fail the pass first (no more claims: a fact of its work), then record why against the item.
        _node.Ledger.SetPassStatus(item.PassId, PassStatus.Failed);
        var outcome = new ItemOutcome();
        outcome.Fail(item.Dir, "delete", 0, e.Message);
        try { _node.Ledger.Complete(_node.Id, item, outcome); }
        catch (Exception again) { _node.Problem($"could not record the failure of item {item.Id}: {again.Message}"); }
        _node.Problem(e.Message);
    }

    private sealed class Flush
    {
        public static readonly Flush Instance = new();
    }
}
