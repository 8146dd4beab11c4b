using Pdm.Engine;
using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Actors.Planners;

/// <summary>
/// One directory being scanned: both sides open (a side that does not exist is -1), and what the
/// scan has decided so far, flushed into the outcome at each checkpoint.
/// </summary>
public sealed class ScanState(PassContext ctx, WorkItem item, int source, int target, ILedger ledger, WorkLimits limits)
{
    private readonly List<LinkEntry> _links = [];
    private readonly List<byte[]> _deletes = [];
    private BatchBuilder? _copies;

    public PassContext Context { get; } = ctx;
    public WorkItem Item { get; } = item;
    public int Source { get; } = source;
    public int Target { get; } = target;
    public ILedger Ledger { get; } = ledger;
    public PassOptions Options => Context.Pass.Options;
    public ItemOutcome Outcome { get; set; } = new();

    /// <summary>
    /// The item's lease check (<see cref="NodeContext.CheckLease"/>), called before each change a scan or
    /// finalize makes in the target (a directory made, an entry removed, a directory's metadata set): a
    /// node frozen past its lease, whose item another node has since finished, stops there instead of
    /// undoing what that node did. It throws when the lease may be gone.
    /// </summary>
    public required Action CheckLease { get; init; }

    /// <summary>
    /// The target directory was empty when this scan started from the beginning: no entry needs looking
    /// up there (a first copy saves a lookup per file). Entries that appear meanwhile are this scan's own
    /// subdirectories and the copies of its batches, both of names already scanned.
    /// </summary>
    public bool TargetKnownEmpty { get; init; }

    public byte[] PathOf(ReadOnlySpan<byte> name) => ByteNames.Join(Item.Dir, name);

    /// <summary>Whether entries wait in a partial batch (not yet in the outcome).</summary>
    public bool HasPendingWork => (_copies?.Count ?? 0) > 0 || _links.Count > 0 || _deletes.Count > 0;

    /// <summary>lstat of an entry's target counterpart: ENOENT also, without a call, where the target was empty.</summary>
    public int StatTarget(ReadOnlySpan<byte> name, out FileStat stat)
    {
        if (!TargetKnownEmpty) return Stat(Target, name, out stat);
        stat = default;
        return Errno.ENOENT;
    }

    /// <summary>lstat in a side that may not exist (-1): ENOENT then.</summary>
    public static int Stat(int dirFd, ReadOnlySpan<byte> name, out FileStat stat)
    {
        if (dirFd < 0) { stat = default; return Errno.ENOENT; }
        return Sys.TryStat(dirFd, name, out stat);
    }

    public void Count(PassCounters delta) => Outcome.Add(delta);

    /// <summary>
    /// Records a failure and returns true if either side of a subdirectory about to be descended into is
    /// one of the pass's roots (<see cref="PassContext.RootReachedAgain"/>).
    /// </summary>
    public bool RefusesRoot(ReadOnlySpan<byte> name, in FileStat source, in FileStat? target)
    {
        string? why = Context.RootReachedAgain(source) ?? (target is { } t ? Context.RootReachedAgain(t) : null);
        if (why is null) return false;
        Outcome.Fail(PathOf(name), "scan", 0, why);
        return true;
    }

    public void Fail(ReadOnlySpan<byte> name, string operation, int errno) =>
        Outcome.Fail(PathOf(name), operation, errno, Sys.ErrorMessage(errno));

    /// <summary>A difference found by a verify pass: a failure of the pass, listed with the others.</summary>
    public void Differ(ReadOnlySpan<byte> name, string what)
    {
        Outcome.Failures.Add(new Failure(PathOf(name), "verify", 0, what));
        Outcome.Add(new PassCounters { Failed = 1, Differences = 1 });
    }

    /// <summary>Whether a regular file of this size is copied in byte ranges.</summary>
    public bool Splits(long size) => limits.Splits(size);

    /// <summary>A big file, copied in byte ranges by any threads or nodes, then put in place by its assemble item.</summary>
    public void SplitFile(ReadOnlySpan<byte> name, in FileStat st, bool replaceDirectory)
    {
        var file = Engine.SplitFile.Of(name, st, replaceDirectory);
        var ranges = Engine.SplitFile.Ranges(st.Size, limits.RangeBytes).Select(r => BatchCodec.EncodeSplitFile(file, r)).ToList();
        Outcome.SplitFiles.Add((BatchCodec.EncodeSplitFile(file), ranges, st.Size));
    }

    public void Copy(CopyEntry entry)
    {
        _copies ??= new BatchBuilder(limits.BatchEntries, limits.BatchBytes,
            batch => Outcome.AddBatch(WorkKind.Copy, BatchCodec.EncodeCopies(batch), batch.Sum(e => e.FixesMetadata ? 0 : e.Size)));
        _copies.Add(entry);
    }

    public void Link(LinkEntry entry)
    {
        _links.Add(entry);
        if (_links.Count >= limits.BatchEntries) FlushLinks();
    }

    public void Delete(ReadOnlySpan<byte> name)
    {
        _deletes.Add(name.ToArray());
        Outcome.PlannedDeletes++;
        if (_deletes.Count >= limits.BatchEntries) FlushDeletes();
    }

    /// <summary>Puts every partial batch into the outcome (before a checkpoint or at the end).</summary>
    public void Flush()
    {
        _copies?.Flush();
        FlushLinks();
        FlushDeletes();
    }

    private void FlushLinks()
    {
        if (_links.Count == 0) return;
        Outcome.AddBatch(WorkKind.Link, BatchCodec.EncodeLinks(_links));
        _links.Clear();
    }

    private void FlushDeletes()
    {
        if (_deletes.Count == 0) return;
        Outcome.AddBatch(WorkKind.Delete, BatchCodec.EncodeNames(_deletes));
        _deletes.Clear();
    }
}

/// <summary>What a pass kind decides about each entry of a directory it scans.</summary>
public interface IScanPlanner
{
    /// <summary>Whether the scan lists the target (delete, verify's extras) rather than the source.</summary>
    bool ListsTarget(ScanMode mode);

    /// <summary>Called once when a directory's scan starts from its beginning (not when it resumes from a checkpoint).</summary>
    void Begin(ScanState scan, ScanMode mode) { }

    /// <summary>Decides about one entry; counts it, records failures, adds work to the state.</summary>
    void Plan(ScanState scan, ScanMode mode, ReadOnlySpan<byte> name);

    /// <summary>Work done on the directory itself once everything below it is done (the finalize item).</summary>
    void Finalize(ScanState scan, ScanMode mode);

    /// <summary>Whether a scan that spawned nothing may do <see cref="Finalize"/> itself (one item, not two).</summary>
    bool MayFinalizeInline(ScanMode mode);
}
