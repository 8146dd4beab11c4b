using Pdm.Ledger;

namespace Pdm.Actors;

/// <summary>
/// Keeps each pass's lifecycle and progress as events in the ledger. Commands are imperatives
/// (Start, Interrupt); what they do is append an event. The pass's state is the fold of its events
/// (<see cref="PassState.Apply"/>), read from the newest snapshot on, and snapshotted again when many
/// events were folded, so a status query never replays a whole pass.
/// </summary>
public sealed class MigrationCoordinator(ILedger ledger)
{
    private const int SnapshotEvery = 1000;

    /// <summary>Continues the unfinished pass with this source and target, or creates one.</summary>
    public (PassInfo Pass, bool Resumed) StartOrResume(PassKind kind, byte[] source, byte[] target, PassOptions options)
    {
        if (ledger.FindUnfinishedPass(kind, source, target, options) is { } existing)
        {
            ledger.AppendLifecycle(existing.Id, PassEventType.Resumed);
            return (ledger.GetPass(existing.Id)!, true);
        }
        long id = ledger.CreatePass(kind, source, target, options);
        ledger.AppendLifecycle(id, PassEventType.Started);
        return (ledger.GetPass(id)!, false);
    }

    public void Resume(long passId) => ledger.AppendLifecycle(passId, PassEventType.Resumed);

    /// <summary>Hands a running pass back (it waits to be resumed); false if it had already ended.</summary>
    public bool Interrupt(long passId, string detail) => ledger.AppendLifecycle(passId, PassEventType.Interrupted, detail);

    public PassState GetState(long passId)
    {
        var state = ledger.LoadSnapshot(passId) ?? PassState.Initial(passId);
        int folded = 0;
        while (true)
        {
            var events = ledger.EventsSince(passId, state.LastEventId, 10_000);
            if (events.Count == 0) break;
            foreach (var e in events) state = state.Apply(e);
            folded += events.Count;
        }
        if (folded >= SnapshotEvery || (folded > 0 && state.IsFinished)) ledger.SaveSnapshot(state);
        return state;
    }
}
