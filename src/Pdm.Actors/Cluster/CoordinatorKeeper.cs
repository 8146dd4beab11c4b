using Akka.Actor;
using Akka.Event;
using Pdm.Actors;
using Pdm.Coordination;
using Pdm.Ledger;

namespace Pdm.Cluster;

/// <summary>
/// Makes sure every pass the cluster should coordinate has its coordinator running: a pass started
/// outside the cluster (`pdm copy --detach --ledger postgresql://...`), one whose journal lags the
/// ledger, one with a command left in the ledger. It wakes each one's sharded coordinator (a message
/// that changes nothing); remember-entities keeps it running until its pass ends. Passes that a live
/// `pdm` runs itself are that process's to coordinate.
/// </summary>
public sealed class CoordinatorKeeper : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(5);

    private readonly ILoggingAdapter _log = Context.GetLogger();

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ILedger ledger, IActorRef coordinators) =>
        Akka.Actor.Props.Create(() => new CoordinatorKeeper(ledger, coordinators)).WithDispatcher(PdmHocon.LedgerDispatcher);

    public CoordinatorKeeper(ILedger ledger, IActorRef coordinators)
    {
        Receive<Look>(_ =>
        {
            try
            {
                var nodes = ledger.ListNodes().Where(ProcessIdentity.IsLive).ToList();
                var wanted = ledger.ListPasses()
                    .Where(p => p.Status is PassStatus.Running or PassStatus.Paused && !nodes.Any(n => n.State == NodeInfo.DedicatedTo(p.Id)))
                    .Select(p => p.Id)
                    .Concat(ledger.PassesToReconcile(32))
                    .Distinct();
                foreach (var passId in wanted) coordinators.Tell(new PassCommands.Wake(passId));
            }
            catch (Exception e) when (e is LedgerUnavailableException or Ledger.Sqlite.SqliteError)
            {
                _log.Warning("cannot read the passes to coordinate: {0}", e.Message);
            }
        });
    }

    protected override void PreStart() => Timers.StartPeriodicTimer("look", Look.Instance, TimeSpan.FromSeconds(1), Every);

    private sealed class Look
    {
        public static readonly Look Instance = new();
    }
}
