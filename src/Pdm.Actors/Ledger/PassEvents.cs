namespace Pdm.Ledger;

/// <summary>
/// The kind of a pass_events row. New rows are all Progressed: a delta of the pass's totals, written
/// in the transaction that changed them. The lifecycle kinds are those of ledgers written before the
/// MigrationCoordinator journaled lifecycles (schema 6); they carry no counts and are only read.
/// </summary>
public enum PassEventType
{
    Created, Started, Progressed, Interrupted, Paused, Resumed, Cancelled, Completed, Failed,
}

public sealed record PassEvent(long Id, long PassId, PassEventType Type, DateTimeOffset At, PassCounters Delta, string? Detail);

/// <summary>An admin's command left in the ledger for the coordinator of a pass another process runs.</summary>
public enum PassRequest { Pause, Resume, Cancel }

/// <summary>
/// A pass as the ledger shows it: its state (the projection of its coordinator's journal), its
/// times, and its exact totals. <see cref="Journaled"/> is the state its coordinator last journaled;
/// <see cref="StopReason"/> why its own work interrupted it (its target full or read-only), until it runs again.
/// </summary>
public sealed record PassState(
    long PassId, PassStatus Status, PassCounters Counters, DateTimeOffset? CreatedAt, DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt, TimeSpan ActiveTime, DateTimeOffset? RunningSince, PassStatus? Journaled = null,
    string? StopReason = null)
{
    public static PassState Initial(long passId) => new(passId, PassStatus.Queued, default, null, null, null, TimeSpan.Zero, null);

    public bool IsFinished => Status.IsFinished();

    /// <summary>Time spent running, across interruptions, up to <paramref name="now"/>.</summary>
    public TimeSpan Elapsed(DateTimeOffset now) => ActiveTime + (RunningSince is { } since ? now - since : TimeSpan.Zero);
}

public static class PassStatusExtensions
{
    /// <summary>Completed, failed and cancelled passes have ended for good.</summary>
    public static bool IsFinished(this PassStatus s) => s is PassStatus.Completed or PassStatus.Failed or PassStatus.Cancelled;
}
