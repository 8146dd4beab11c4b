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
    /// <summary>Continues the unfinished pass with this source and target, or creates one.</summary>
    public (PassInfo Pass, bool Resumed) StartOrResume(PassKind kind, byte[] source, byte[] target, PassOptions options)
    {
        if (ledger.FindUnfinishedPass(kind, source, target, options) is { } existing)
        {
            ledger.SetPassStatus(existing.Id, PassStatus.Running);
            return (ledger.GetPass(existing.Id)!, true);
        }
        long id = ledger.CreatePass(kind, source, target, options);
        ledger.SetPassStatus(id, PassStatus.Running);
        return (ledger.GetPass(id)!, false);
    }

    public void Resume(long passId) => ledger.SetPassStatus(passId, PassStatus.Running);

    /// <summary>Hands a running pass back (it waits to be resumed); false if it had already ended.</summary>
    public bool Interrupt(long passId, string detail) => ledger.SetPassStatus(passId, PassStatus.Interrupted);

    public PassState GetState(long passId) => ledger.GetPassState(passId) ?? PassState.Initial(passId);
}
