using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Pdm.Ledger;

namespace Pdm.Cluster;

/// <summary>
/// Follows the cluster's membership on a node: one log line per change a member goes through, and when
/// a member has left (removed: it left gracefully, or the split brain resolver downed it), the work
/// leased to its node goes back to the ledger at once, without waiting for the leases to expire.
/// </summary>
public sealed class MembershipWatcher : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public static Props Props(ILedger ledger) =>
        Akka.Actor.Props.Create(() => new MembershipWatcher(ledger)).WithDispatcher(Actors.PdmHocon.LedgerDispatcher);

    public MembershipWatcher(ILedger ledger)
    {
        Receive<ClusterEvent.MemberUp>(e => _log.Info("member {0} is up", e.Member.Address));
        Receive<ClusterEvent.MemberJoined>(e => _log.Info("member {0} joined", e.Member.Address));
        Receive<ClusterEvent.MemberLeft>(e => _log.Info("member {0} is leaving", e.Member.Address));
        Receive<ClusterEvent.MemberExited>(e => _log.Info("member {0} exited", e.Member.Address));
        Receive<ClusterEvent.UnreachableMember>(e => _log.Warning("member {0} is unreachable", e.Member.Address));
        Receive<ClusterEvent.ReachableMember>(e => _log.Info("member {0} is reachable again", e.Member.Address));
        Receive<ClusterEvent.MemberDowned>(e => _log.Warning("member {0} was downed", e.Member.Address));
        Receive<ClusterEvent.MemberRemoved>(e =>
        {
            // A node that is itself leaving (or gone) hears every other member "removed" as its view of
            // the cluster empties: those members are alive, and their work is theirs.
            var cluster = Akka.Cluster.Cluster.Get(Context.System);
            if (e.Member.UniqueAddress.Equals(cluster.SelfUniqueAddress) || cluster.IsTerminated
                || cluster.SelfMember.Status is not (MemberStatus.Up or MemberStatus.WeaklyUp)) return;
            int released = 0;
            try { released = ledger.ReleaseNodesAt(ClusterSettings.MemberKey(e.Member.UniqueAddress)); }
            catch (Exception x) when (x is LedgerUnavailableException or Ledger.Sqlite.SqliteError)
            {
                _log.Warning("member {0} was removed; its work goes back when its leases expire ({1})", e.Member.Address, x.Message);
                return;
            }
            _log.Info("member {0} was removed; {1} work items it held are ready for the others", e.Member.Address, released);
        });
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.IReachabilityEvent>(_ => { });
    }

    protected override void PreStart() =>
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
}
