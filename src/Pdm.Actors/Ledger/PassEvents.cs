namespace Pdm.Ledger;

/// <summary>Events are past tense: what happened to a pass. The pass's state is their fold.</summary>
public enum PassEventType
{
    Created, Started, Progressed, Interrupted, Paused, Resumed, Cancelled, Completed, Failed,
}

public sealed record PassEvent(long Id, long PassId, PassEventType Type, DateTimeOffset At, PassCounters Delta, string? Detail);

/// <summary>The fold of a pass's events up to <see cref="LastEventId"/>; stored as a snapshot.</summary>
public sealed record PassState(
    long PassId, PassStatus Status, PassCounters Counters, DateTimeOffset? CreatedAt, DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt, long LastEventId, TimeSpan ActiveTime, DateTimeOffset? RunningSince)
{
    public static PassState Initial(long passId) => new(passId, PassStatus.Queued, default, null, null, null, 0, TimeSpan.Zero, null);

    public bool IsFinished => Status is PassStatus.Completed or PassStatus.Failed or PassStatus.Cancelled;

    /// <summary>Time spent running, across interruptions, up to <paramref name="now"/>.</summary>
    public TimeSpan Elapsed(DateTimeOffset now) => ActiveTime + (RunningSince is { } since ? now - since : TimeSpan.Zero);

    /// <summary>Applies one event; the only way a pass's state changes.</summary>
    public PassState Apply(PassEvent e)
    {
        var next = this with { LastEventId = e.Id, Counters = Counters + e.Delta };
        return e.Type switch
        {
            PassEventType.Created => next with { Status = PassStatus.Queued, CreatedAt = e.At },
            PassEventType.Started or PassEventType.Resumed => next with
            {
                Status = PassStatus.Running, StartedAt = StartedAt ?? e.At, RunningSince = RunningSince ?? e.At,
            },
            PassEventType.Interrupted or PassEventType.Paused => Stop(next, e.At, e.Type == PassEventType.Paused ? PassStatus.Paused : PassStatus.Interrupted),
            PassEventType.Completed => Stop(next, e.At, PassStatus.Completed) with { EndedAt = e.At },
            PassEventType.Failed => Stop(next, e.At, PassStatus.Failed) with { EndedAt = e.At },
            PassEventType.Cancelled => Stop(next, e.At, PassStatus.Cancelled) with { EndedAt = e.At },
            _ => next,
        };
    }

    private static PassState Stop(PassState s, DateTimeOffset at, PassStatus status) => s with
    {
        Status = status,
        ActiveTime = s.ActiveTime + (s.RunningSince is { } since ? at - since : TimeSpan.Zero),
        RunningSince = null,
    };
}
