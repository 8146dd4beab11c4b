using Akka.Actor;
using Akka.Persistence;

namespace Pdm.Coordination;

/// <summary>
/// Has Akka.Persistence.Sql create its tables (journal, snapshots: it creates them on first use) by
/// recovering a persistent actor that owns no events. `pdm ledger migrate` does it once, so that nodes
/// starting together never race to create them.
/// </summary>
public static class JournalTables
{
    public static async Task EnsureAsync(ActorSystem system, TimeSpan patience)
    {
        var recovered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var probe = system.ActorOf(Props.Create(() => new Probe(recovered)), $"journal-tables-{Guid.NewGuid():N}");
        try { await recovered.Task.WaitAsync(patience); }
        finally { system.Stop(probe); }
    }

    private sealed class Probe : ReceivePersistentActor
    {
        public override string PersistenceId => "pdm-journal-tables";

        private readonly TaskCompletionSource _recovered;

        public Probe(TaskCompletionSource recovered)
        {
            _recovered = recovered;
            Recover<RecoveryCompleted>(_ => recovered.TrySetResult());
            CommandAny(_ => { });
        }

        protected override void OnRecoveryFailure(Exception reason, object? message = null)
        {
            _recovered.TrySetException(new Ledger.LedgerUnavailableException($"the coordinators' journal cannot be created or read: {reason.Message}", reason));
            base.OnRecoveryFailure(reason, message);
        }
    }
}
