using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Pdm.Ledger;

namespace Pdm.Cluster;

/// <summary>
/// Follows the cluster's membership on a node: one log line per change a member goes through, and when
/// a member has left (removed: it left gracefully, or the split brain resolver downed it), the work
/// leased to its node goes back to the ledger at once, without waiting for the leases to expire.
/// It also keeps one ledger to one cluster, through the node's <see cref="ClaimGate"/>: the node claims
/// only while it is an Up member, and not while the ledger shows a live node that is no member of this
/// cluster (a node whose seeds name only itself formed a second cluster on the same ledger). A node that
/// formed a cluster of its own beside such live nodes stops at once (<see cref="LedgerOfAnotherCluster"/>).
/// </summary>
public sealed class MembershipWatcher : ReceiveActor, IWithTimers
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ILedger _ledger;
    private readonly Actors.ClaimGate _gate;
    private readonly TimeSpan _lease;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    /// <summary>How many checks in a row have seen a live node of another cluster: one may be a node still joining.</summary>
    private int _foreignSeen;

    /// <summary>Whether the gate is closed because of a foreign node (not because the ledger was down when this node came up).</summary>
    private bool _foreignClosed;

    /// <summary>Whether this node has been in a cluster with another member: then it did not form one of its own.</summary>
    private bool _hadPeers;

    /// <summary>Members this node saw removed: their rows in the ledger may look live for a while.</summary>
    private readonly HashSet<string> _gone = new(StringComparer.Ordinal);

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>How often the ledger's live nodes are compared with the members.</summary>
    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(5);

    /// <summary>Checks in a row that must see a foreign live node before the gate closes (a joining node is foreign for a moment).</summary>
    private const int ForeignChecks = 3;

    /// <summary>Why a node stopped: it formed a cluster of its own on a ledger that another, live cluster serves.</summary>
    public sealed class LedgerOfAnotherCluster(string why) : CoordinatedShutdown.Reason
    {
        public string Why { get; } = why;

        public override int ExitCode => 2;
    }

    public static Props Props(ILedger ledger, Actors.ClaimGate gate, TimeSpan lease) =>
        Akka.Actor.Props.Create(() => new MembershipWatcher(ledger, gate, lease)).WithDispatcher(Actors.PdmHocon.LedgerDispatcher);

    public MembershipWatcher(ILedger ledger, Actors.ClaimGate gate, TimeSpan lease)
    {
        _ledger = ledger;
        _gate = gate;
        _lease = lease;
        Receive<ClusterEvent.MemberUp>(e =>
        {
            _log.Info("member {0} is up", e.Member.Address);
            if (e.Member.UniqueAddress.Equals(_cluster.SelfUniqueAddress)) SelfUp();
            else _hadPeers = true;
        });
        Receive<ClusterEvent.MemberJoined>(e => _log.Info("member {0} joined", e.Member.Address));
        Receive<ClusterEvent.MemberLeft>(e =>
        {
            _log.Info("member {0} is leaving", e.Member.Address);
            if (e.Member.UniqueAddress.Equals(_cluster.SelfUniqueAddress)) _gate.Close("this member is leaving the cluster");
        });
        Receive<ClusterEvent.MemberExited>(e => _log.Info("member {0} exited", e.Member.Address));
        Receive<ClusterEvent.UnreachableMember>(e => _log.Warning("member {0} is unreachable", e.Member.Address));
        Receive<ClusterEvent.ReachableMember>(e => _log.Info("member {0} is reachable again", e.Member.Address));
        Receive<ClusterEvent.MemberDowned>(e =>
        {
            _log.Warning("member {0} was downed", e.Member.Address);
            if (e.Member.UniqueAddress.Equals(_cluster.SelfUniqueAddress)) _gate.Close("this member was downed");
        });
        Receive<ClusterEvent.MemberRemoved>(e =>
        {
            _gone.Add(ClusterSettings.MemberKey(e.Member.UniqueAddress)); // its row in the ledger is no other cluster's
            // A node that is itself leaving (or gone) hears every other member "removed" as its view of
            // the cluster empties: those members are alive, and their work is theirs.
            if (e.Member.UniqueAddress.Equals(_cluster.SelfUniqueAddress) || _cluster.IsTerminated
                || _cluster.SelfMember.Status is not (MemberStatus.Up or MemberStatus.WeaklyUp)) return;
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
        Receive<CheckLedger>(_ => Check());
    }

    /// <summary>
    /// This node is Up. If it is the only member while the ledger shows live nodes of a cluster it is not
    /// part of, it formed a second cluster (its seeds name only itself, or none of the others answered
    /// in time): it stops, having claimed nothing. Otherwise it may claim, and the ledger is watched.
    /// </summary>
    private void SelfUp()
    {
        Timers.StartPeriodicTimer("check-ledger", CheckLedger.Instance, CheckEvery);
        var foreign = ForeignLiveNodes();
        if (foreign is null) return; // the ledger is down: the gate stays closed, and the next check opens it
        if (foreign.Count > 0 && _cluster.State.Members.Count == 1)
        {
            StopAsAClusterOfItsOwn(foreign);
            return;
        }
        if (_cluster.State.Members.Count > 1) _hadPeers = true;
        _gate.Open();
    }

    /// <summary>The only member, beside live nodes of the ledger's cluster: it formed a second cluster, and stops.</summary>
    private void StopAsAClusterOfItsOwn(List<string> foreign)
    {
        string why = $"this node formed a cluster of its own, but the ledger serves another that is running ({string.Join(", ", foreign.Take(3))}): give it --seeds of that cluster (every node the same list)";
        _log.Error(why);
        _gate.Close(why);
        Timers.Cancel("check-ledger"); // it stops; nothing opens the gate again
        CoordinatedShutdown.Get(Context.System).Run(new LedgerOfAnotherCluster(why));
    }

    /// <summary>Closes the gate while a live node of another cluster shows in the ledger for long; opens it when it is gone.</summary>
    private void Check()
    {
        if (_cluster.SelfMember.Status != MemberStatus.Up) return;
        var foreign = ForeignLiveNodes();
        if (foreign is null) return;
        // Their registration may reach the ledger after this node's first look: a lone member that never had
        // another is as clear later (a survivor of a cluster whose other nodes died is not one).
        if (foreign.Count > 0 && !_hadPeers && _cluster.State.Members.Count == 1)
        {
            StopAsAClusterOfItsOwn(foreign);
            return;
        }
        _foreignSeen = foreign.Count == 0 ? 0 : _foreignSeen + 1;
        if (_foreignSeen >= ForeignChecks && _gate.ClosedBecause is null)
        {
            _foreignClosed = true;
            string why = $"the ledger shows live nodes that are no members of this cluster ({string.Join(", ", foreign.Take(3))}): two clusters on one ledger; every node must have the same --seeds";
            _log.Error(why);
            _gate.Close(why);
        }
        else if (_foreignSeen == 0 && _gate.ClosedBecause is not null)
        {
            // Closed by a foreign node now gone, or never opened: the ledger could not be read when this node came up.
            if (_foreignClosed) _log.Info("the ledger shows no node of another cluster any more");
            _foreignClosed = false;
            _gate.Open();
        }
    }

    /// <summary>
    /// Nodes the ledger shows as live cluster nodes (a heartbeat within a third of the lease: a node
    /// beats every sixth) that are no members of this cluster; null if the ledger cannot be read. A node
    /// at the address of this node or of a member is an earlier incarnation of it, gone or being replaced.
    /// </summary>
    private List<string>? ForeignLiveNodes()
    {
        IReadOnlyList<NodeInfo> nodes;
        try { nodes = _ledger.ListNodes(); }
        catch (Exception x) when (x is LedgerUnavailableException or Ledger.Sqlite.SqliteError) { return null; }
        var members = _cluster.State.Members;
        var keys = members.Select(m => ClusterSettings.MemberKey(m.UniqueAddress)).ToHashSet(StringComparer.Ordinal);
        var addresses = members.Select(m => m.Address.ToString()).Append(_cluster.SelfAddress.ToString()).ToHashSet(StringComparer.Ordinal);
        var since = DateTimeOffset.UtcNow - _lease / 3;
        var foreign = new List<string>();
        foreach (var n in nodes)
        {
            // The key is ADDRESS#UID (ClusterSettings.MemberKey).
            if (n.Address is not { } key || n.HeartbeatAt < since || keys.Contains(key) || _gone.Contains(key)) continue;
            int hash = key.LastIndexOf('#');
            if (hash <= 0) continue;
            string address = key[..hash];
            if (!addresses.Contains(address) && !foreign.Contains(address)) foreign.Add(address);
        }
        return foreign;
    }

    private sealed class CheckLedger
    {
        public static readonly CheckLedger Instance = new();
    }

    protected override void PreStart() =>
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
}
