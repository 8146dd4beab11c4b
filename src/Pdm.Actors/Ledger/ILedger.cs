namespace Pdm.Ledger;

/// <summary>
/// The durable work ledger every node shares: passes and their event logs, work items with leases,
/// failures, hardlink leaders and nodes. Every method is one transaction. Methods that change a
/// work item are guarded by its lease owner and throw <see cref="LeaseLostException"/> when the
/// item was taken over, so a node that comes back from a stall cannot overwrite another's work.
/// </summary>
public interface ILedger : IDisposable
{
    /// <summary>Creates a pass, queued, with its root scan and root finalize items.</summary>
    long CreatePass(PassKind kind, byte[] source, byte[] target, PassOptions options);

    PassInfo? GetPass(long passId);

    IReadOnlyList<PassInfo> ListPasses();

    /// <summary>The newest pass of this kind, source, target and options that has not finished.</summary>
    PassInfo? FindUnfinishedPass(PassKind kind, byte[] source, byte[] target, PassOptions options);

    /// <summary>
    /// Moves the pass to a state (the projection of its coordinator's journal, or a fact of the work:
    /// completed with its last item, failed by --max-delete), keeping its times; false, and nothing
    /// changed, when the pass has already ended (completed, failed, cancelled).
    /// </summary>
    bool SetPassStatus(long passId, PassStatus status);

    /// <summary>
    /// Interrupts a running pass that its own work cannot carry on (its target full or read-only),
    /// saying why until it runs again; false, and nothing changed, if it was not running.
    /// </summary>
    bool StopPass(long passId, string reason);

    /// <summary>The pass's state, times and exact totals (null if there is no such pass).</summary>
    PassState? GetPassState(long passId);

    /// <summary>Passes (newest first) whose state is not what their coordinator last journaled.</summary>
    IReadOnlyList<long> PassesToReconcile(int max);

    /// <summary>Records the state the pass's coordinator has journaled and projected.</summary>
    void SetJournaled(long passId, PassStatus status);

    /// <summary>Leaves an admin's command for the coordinator of a pass that another process runs.</summary>
    void Request(long passId, PassRequest request);

    /// <summary>Whether commands are waiting for the coordinator of a pass (a read only).</summary>
    bool HasRequests(long passId);

    /// <summary>Takes (removes and returns, oldest first) the commands left for a pass.</summary>
    IReadOnlyList<PassRequest> TakeRequests(long passId);

    /// <summary>Leases up to <paramref name="max"/> ready items of running passes (of one pass if given; none of <paramref name="excluding"/>).</summary>
    IReadOnlyList<WorkItem> Claim(string nodeId, int max, TimeSpan lease, long? passId = null, IReadOnlyCollection<long>? excluding = null);

    /// <summary>Records a scan's progress so far and its new cursor; the item stays leased.</summary>
    void Checkpoint(string nodeId, WorkItem item, ItemOutcome outcome, TimeSpan lease);

    /// <summary>Finishes an item: its state, the items it spawns, its event and failures, its parent's readiness.</summary>
    void Complete(string nodeId, WorkItem item, ItemOutcome outcome);

    /// <summary>
    /// Finishes several items in one transaction (group commit), each as <see cref="Complete"/> would,
    /// each all or nothing. Returns, per item, null or why it was refused (a lost lease, --max-delete).
    /// </summary>
    IReadOnlyList<Exception?> CompleteMany(string nodeId, IReadOnlyList<(WorkItem Item, ItemOutcome Outcome)> completions);

    /// <summary>Gives back items this node will not finish (on a clean stop); they are ready again.</summary>
    void Release(string nodeId, IEnumerable<long> itemIds);

    /// <summary>
    /// Extends the leases of these items, if this node holds them; returns those it no longer holds
    /// (taken over, finished by another). Only the items a node knows it holds: one leased by a claim
    /// whose answer was lost (the database went away as it committed) is left to expire and is redone.
    /// </summary>
    IReadOnlyList<long> RenewLeases(string nodeId, IReadOnlyCollection<long> itemIds, TimeSpan lease);

    /// <summary>
    /// Makes items whose lease expired claimable again; one that has already been tried
    /// <paramref name="maxAttempts"/> times is failed and recorded instead, so a poisoned item cannot stall a pass.
    /// </summary>
    int ReclaimExpired(int maxAttempts);

    /// <summary>Deletes up to max finished work items (their results live on in the pass's totals); how many went.</summary>
    int CleanFinished(int max);

    /// <summary>Releases the items of nodes on this host whose process is gone (a crash, a SIGKILL).</summary>
    int ReleaseDeadLocalNodes(string host, Func<int, long, bool> isAlive);

    /// <summary>
    /// Names the first path seen of a hardlinked source inode its leader, and returns the leader's path:
    /// equal to <paramref name="path"/> when this entry is the leader.
    /// </summary>
    byte[] ClaimInode(long passId, ulong dev, ulong ino, byte[] path);

    /// <summary>The pass's progress rows (deltas of its totals, one per transaction that changed them).</summary>
    IReadOnlyList<PassEvent> EventsSince(long passId, long afterEventId, int limit);

    IReadOnlyList<FailureRow> Failures(long passId, long afterId, int limit);

    /// <summary>What a dry run would have done, in order.</summary>
    IReadOnlyList<(long Id, string Action, byte[] Path, long Bytes)> Report(long passId, long afterId, int limit);

    /// <summary>When the pass last changed: its newest event (a lifecycle change, or progress committed by a node).</summary>
    DateTimeOffset? LastActivity(long passId);

    /// <summary>Bytes in copy batches not yet done, and whether any directory is still to be scanned (for an ETA).</summary>
    (long Bytes, bool Scanning) RemainingWork(long passId);

    void RegisterNode(NodeInfo node);

    /// <summary>The node is alive; with what it is doing (items in flight, items and bytes a second since its last heartbeat).</summary>
    void HeartbeatNode(string nodeId, string state, long inFlight = 0, double itemsPerSecond = 0, double bytesPerSecond = 0);

    /// <summary>Gives back at once the items of the nodes at a cluster address that left the cluster.</summary>
    int ReleaseNodesAt(string address);

    void DeregisterNode(string nodeId);

    IReadOnlyList<NodeInfo> ListNodes();
}
