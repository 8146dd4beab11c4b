using Pdm.Ledger;

namespace Pdm.Coordination;

/// <summary>
/// What the coordinator of a pass is asked to do (imperatives). Every command names its pass, so that
/// in a cluster the same messages route to the pass's sharded coordinator (the pass id is the entity id).
/// </summary>
public interface IPassCommand
{
    long PassId { get; }
}

public static class PassCommands
{
    public sealed record Start(long PassId) : IPassCommand;

    public sealed record Pause(long PassId) : IPassCommand;

    public sealed record Resume(long PassId) : IPassCommand;

    public sealed record Cancel(long PassId) : IPassCommand;

    public sealed record Interrupt(long PassId, string Reason) : IPassCommand;

    /// <summary>Journal now what the ledger shows (progress, completion) instead of at the next tick.</summary>
    public sealed record Sync(long PassId) : IPassCommand;

    public sealed record GetState(long PassId) : IPassCommand;

    /// <summary>Changes nothing: a sharded coordinator that was not running starts (and recovers) on it.</summary>
    public sealed record Wake(long PassId) : IPassCommand;

    /// <summary>The answer to every command: done (the state it left), or refused and why.</summary>
    public sealed record Result(long PassId, bool Done, PassStatus Status, string? Refusal = null);

    /// <summary>The answer to <see cref="GetState"/>.</summary>
    public sealed record State(long PassId, PassJournalState Journal);
}

/// <summary>Published on the event stream once a pass's coordinator has recovered from its journal.</summary>
public sealed record CoordinatorRecovered(long PassId);
