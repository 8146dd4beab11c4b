using Akka.Actor;
using Pdm.Ledger;

namespace Pdm.Actors;

/// <summary>
/// Commits a node's finished work items in groups: every completion that arrived while the last group
/// was being committed goes into the next one, in one ledger transaction (group commit), so a node
/// finishing thousands of small items a second does not pay a transaction for each. Every item is
/// still finished all or nothing with its results. Runs on a thread of its own (a pinned dispatcher):
/// a commit blocks on the ledger.
/// </summary>
public sealed class CompletionWriter : ReceiveActor
{
    private const int MaxGroup = 256;
    private readonly NodeContext _node;
    private readonly IActorRef _feeder;
    private readonly List<(WorkItem Item, ItemOutcome Outcome)> _group = [];
    private bool _flushPending;

    public static Props Props(NodeContext node, IActorRef feeder) =>
        Akka.Actor.Props.Create(() => new CompletionWriter(node, feeder)).WithDispatcher(PdmHocon.LedgerDispatcher);

    public CompletionWriter(NodeContext node, IActorRef feeder)
    {
        _node = node;
        _feeder = feeder;
        Receive<NodeMessages.Completed>(c =>
        {
            _group.Add((c.Item, c.Outcome));
            if (_flushPending) return;
            _flushPending = true;
            Self.Tell(Flush.Instance); // after the completions already waiting in the mailbox
        });
        Receive<Flush>(_ =>
        {
            _flushPending = false;
            for (int start = 0; start < _group.Count; start += MaxGroup)
                Commit(_group.GetRange(start, Math.Min(MaxGroup, _group.Count - start)));
            _group.Clear();
        });
        Receive<NodeMessages.Refused>(r =>
        {
            HandleRefusal(r.Item, r.Why);
            _feeder.Tell(new NodeMessages.Committed(1));
        });
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
            // The ledger failed (disk full, gone): nothing of the group was committed. The items stay
            // leased to this node; their leases expire and they are done again, here or elsewhere.
            _node.Problem($"could not commit {group.Count} finished items: {e.Message}");
            results = group.Select(_ => (Exception?)null).ToList();
        }
        for (int i = 0; i < group.Count; i++)
            if (results[i] is { } refusal) HandleRefusal(group[i].Item, refusal);
        _feeder.Tell(new NodeMessages.Committed(group.Count));
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
