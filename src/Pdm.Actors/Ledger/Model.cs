namespace Pdm.Ledger;

public enum PassKind { Copy }

public enum PassStatus { Queued, Running, Paused, Completed, Failed, Cancelled }

/// <summary>
/// scan: list one source directory and compare it with the target; copy: a bounded batch of
/// entries of one directory; link: hardlinks to make once all data is copied; finalize: a
/// directory's own metadata, once everything below it is done.
/// </summary>
public enum WorkKind { Scan, Copy, Link, Finalize }

public sealed record PassInfo(
    long Id, PassKind Kind, byte[] Source, byte[] Target, PassStatus Status, bool SweepTemporaries,
    DateTimeOffset CreatedAt);

public sealed record WorkItem(
    long Id, long PassId, WorkKind Kind, long? ParentId, int Depth, byte[] Dir, byte[]? Payload, long Cursor, int Attempts);

/// <summary>Something the pass could not do for one entry.</summary>
public sealed record Failure(byte[] Path, string Operation, int Errno, string Message);

/// <summary>A failure as stored, with its pass and time.</summary>
public sealed record FailureRow(long Id, long PassId, byte[] Path, string Operation, int Errno, string Message, DateTimeOffset At);

/// <summary>The exact counts of a pass; events carry deltas of these, the fold sums them.</summary>
public readonly record struct PassCounters(
    long EntriesSeen, long FilesCopied, long BytesCopied, long SkippedEqual, long MetadataFixed, long HardLinks, long Failed)
{
    public static PassCounters operator +(PassCounters a, PassCounters b) => new(
        a.EntriesSeen + b.EntriesSeen, a.FilesCopied + b.FilesCopied, a.BytesCopied + b.BytesCopied,
        a.SkippedEqual + b.SkippedEqual, a.MetadataFixed + b.MetadataFixed, a.HardLinks + b.HardLinks, a.Failed + b.Failed);

    public bool IsZero => this == default;
}

/// <summary>
/// What handling a work item produced, committed in one transaction with the item's new state.
/// With <see cref="Cursor"/> set it is a checkpoint of a scan that goes on; otherwise the item is done.
/// </summary>
public sealed class ItemOutcome
{
    /// <summary>Subdirectories to scan (names in the item's directory); each gets a scan and a finalize item.</summary>
    public List<byte[]> Subdirectories { get; } = [];

    /// <summary>Copy and link batches of entries in the item's directory.</summary>
    public List<(WorkKind Kind, byte[] Payload)> Batches { get; } = [];

    public List<Failure> Failures { get; } = [];

    public PassCounters Delta { get; set; }

    public long? Cursor { get; set; }

    /// <summary>
    /// A scan that found nothing to do below its directory has also applied the directory's metadata:
    /// its finalize item is done with it, one work item instead of two for every leaf directory.
    /// </summary>
    public bool FinalizedDirectory { get; set; }

    public bool IsEmpty => Subdirectories.Count == 0 && Batches.Count == 0 && Failures.Count == 0 && Delta.IsZero;

    public void Fail(byte[] path, string operation, int errno, string message)
    {
        Failures.Add(new Failure(path, operation, errno, message));
        Delta = Delta with { Failed = Delta.Failed + 1 };
    }

    public void Add(PassCounters delta) => Delta += delta;
}

/// <summary>A node as registered in the ledger.</summary>
public sealed record NodeInfo(string Id, string Host, int Pid, long ProcessStart, string Version, DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt, string State);

/// <summary>The ledger's answer when a transaction finds the item no longer leased to this node.</summary>
public sealed class LeaseLostException(long itemId) : Exception($"work item {itemId} is no longer leased to this node");

/// <summary>The ledger cannot be opened or reached.</summary>
public sealed class LedgerUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
