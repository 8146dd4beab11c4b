using Pdm.Ledger;

namespace Pdm.Actors;

/// <summary>
/// Commits finished work items for a node: one thread takes every completion waiting and commits
/// them in one ledger transaction (group commit), so a node finishing thousands of small items a
/// second does not pay a transaction for each. Every item is still finished all or nothing with
/// its results; an item is counted in flight until its completion is committed.
/// </summary>
public sealed class CompletionWriter : IDisposable
{
    private const int MaxGroup = 256;
    private readonly ILedger _ledger;
    private readonly string _nodeId;
    private readonly Action<WorkItem, Exception> _refused;
    private readonly Action<int> _committed;
    private readonly Mailbox<(WorkItem Item, ItemOutcome Outcome)> _queue = new();
    private readonly Thread _thread;

    /// <param name="refused">called for an item the ledger refused (lease lost, --max-delete)</param>
    /// <param name="committed">called with the number of items committed (or refused) after each group</param>
    public CompletionWriter(ILedger ledger, string nodeId, Action<WorkItem, Exception> refused, Action<int> committed)
    {
        _ledger = ledger;
        _nodeId = nodeId;
        _refused = refused;
        _committed = committed;
        _thread = new Thread(Loop) { IsBackground = true, Name = "pdm-ledger-writer" };
        _thread.Start();
    }

    public void Post(WorkItem item, ItemOutcome outcome)
    {
        if (!_queue.TryAdd((item, outcome))) throw new InvalidOperationException("the completion writer has stopped");
    }

    private void Loop()
    {
        var group = new List<(WorkItem Item, ItemOutcome Outcome)>(MaxGroup);
        while (true)
        {
            group.Clear();
            if (!_queue.TakeMany(group, MaxGroup)) return;
            IReadOnlyList<Exception?> results;
            try
            {
                results = _ledger.CompleteMany(_nodeId, group);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The ledger failed (disk full, gone): nothing of the group was committed. The items
                // stay leased to us; their leases expire and they are done again, by us or another node.
                results = group.Select(_ => (Exception?)e).ToList();
            }
            for (int i = 0; i < group.Count; i++)
                if (results[i] is { } refusal) _refused(group[i].Item, refusal);
            _committed(group.Count);
        }
    }

    /// <summary>Commits what is queued, then stops.</summary>
    public void Dispose()
    {
        _queue.Complete();
        _thread.Join();
    }
}
