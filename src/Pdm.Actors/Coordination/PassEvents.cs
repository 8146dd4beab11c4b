using Pdm.Ledger;

namespace Pdm.Coordination;

/// <summary>
/// What happened to a pass, as its <see cref="MigrationCoordinator"/> journals it (past tense). The
/// coordinator's state changes only by applying these (<see cref="PassJournalState.Apply"/>). They are
/// stored by <see cref="PassEventSerializer"/> under stable manifests, never by CLR type name.
/// </summary>
public interface IPassEvent
{
    DateTimeOffset At { get; }
}

public static class PassEvents
{
    /// <summary>The admin started the pass (pdm copy|delete|mtime|verify).</summary>
    public sealed record PassStarted(DateTimeOffset At) : IPassEvent;

    /// <summary>The admin paused it: nodes claim none of its work.</summary>
    public sealed record PassPaused(DateTimeOffset At) : IPassEvent;

    /// <summary>The admin resumed a paused or interrupted pass.</summary>
    public sealed record PassResumed(DateTimeOffset At) : IPassEvent;

    /// <summary>The process running it was stopped (Ctrl-C, SIGTERM); it waits to be resumed.</summary>
    public sealed record PassInterrupted(DateTimeOffset At, string Reason) : IPassEvent;

    /// <summary>The admin cancelled it for good.</summary>
    public sealed record PassCancelled(DateTimeOffset At) : IPassEvent;

    /// <summary>The ledger's exact totals as they stood (read from the ledger, never counted here).</summary>
    public sealed record ProgressRecorded(DateTimeOffset At, PassCounters Totals) : IPassEvent;

    /// <summary>Its last work item was done; the totals are final.</summary>
    public sealed record PassCompleted(DateTimeOffset At, PassCounters Totals) : IPassEvent;

    /// <summary>It failed as a whole (a delete pass past --max-delete).</summary>
    public sealed record PassFailed(DateTimeOffset At, PassCounters Totals, string Reason) : IPassEvent;
}

/// <summary>
/// The coordinator's state: the fold of its pass's events (and what a snapshot stores). Times follow
/// the lifecycle: when the pass first ran, since when it runs, how long it ran before, when it ended.
/// </summary>
public sealed record PassJournalState(
    PassStatus Status, PassCounters Totals, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, TimeSpan ActiveTime,
    DateTimeOffset? RunningSince)
{
    public static readonly PassJournalState Initial = new(PassStatus.Queued, default, null, null, TimeSpan.Zero, null);

    public bool IsFinished => Status.IsFinished();

    public TimeSpan Elapsed(DateTimeOffset now) => ActiveTime + (RunningSince is { } since ? now - since : TimeSpan.Zero);

    /// <summary>Applies one event; the only way the coordinator's state changes.</summary>
    public PassJournalState Apply(IPassEvent e) => e switch
    {
        PassEvents.PassStarted or PassEvents.PassResumed => this with
        {
            Status = PassStatus.Running, StartedAt = StartedAt ?? e.At, RunningSince = RunningSince ?? e.At,
        },
        PassEvents.PassPaused => Stop(e.At, PassStatus.Paused),
        PassEvents.PassInterrupted => Stop(e.At, PassStatus.Interrupted),
        PassEvents.PassCancelled => Stop(e.At, PassStatus.Cancelled) with { EndedAt = e.At },
        PassEvents.ProgressRecorded p => this with { Totals = p.Totals },
        PassEvents.PassCompleted c => Stop(e.At, PassStatus.Completed) with { EndedAt = e.At, Totals = c.Totals },
        PassEvents.PassFailed f => Stop(e.At, PassStatus.Failed) with { EndedAt = e.At, Totals = f.Totals },
        _ => throw new ArgumentException($"unknown pass event {e.GetType().Name}", nameof(e)),
    };

    private PassJournalState Stop(DateTimeOffset at, PassStatus status) => this with
    {
        Status = status,
        ActiveTime = ActiveTime + (RunningSince is { } since ? at - since : TimeSpan.Zero),
        RunningSince = null,
    };
}
