using Akka.Actor;
using Pdm.Actors;
using Pdm.Configuration;
using Pdm.Coordination;
using Pdm.Engine;
using Pdm.Ledger;
using AkkaCluster = Akka.Cluster.Cluster;

namespace Pdm.Cluster;

/// <summary>
/// A node's answers to `pdm --cluster` (<see cref="Api"/>): it admits passes with its own config (the
/// same checks as an embedded run), reads passes, failures and nodes from the ledger, and takes pause,
/// resume and cancel to the pass's coordinator wherever in the cluster it runs. Reads block on the
/// ledger: on a thread of its own.
/// </summary>
public sealed class PdmApi : ReceiveActor
{
    private static readonly TimeSpan CoordinatorPatience = TimeSpan.FromSeconds(30);

    public static Props Props(ILedger ledger, PdmConfig config, IActorRef coordinators) =>
        Akka.Actor.Props.Create(() => new PdmApi(ledger, config, coordinators)).WithDispatcher(PdmHocon.LedgerDispatcher);

    public PdmApi(ILedger ledger, PdmConfig config, IActorRef coordinators)
    {
        Receive<Api.Submit>(s => Answer(() =>
        {
            var trees = PassAdmission.Check(config, s.Kind, s.Paths, s.Options, inCluster: true);
            var (pass, resumed, pair) = PassAdmission.Admit(ledger, s.Kind, trees, s.Options);
            // The start is the coordinator's: it journals it, then projects it (nodes claim from running passes).
            coordinators.Tell(resumed ? new PassCommands.Resume(pass.Id) : new PassCommands.Start(pass.Id));
            Notices.Publish(Context.System, new Notices.WorkReady(pass.Id));
            return new Api.Submitted(pass.Id, resumed, pair.SourceText, pair.TargetText);
        }));
        Receive<Api.GetPass>(g => Answer(() => PassViews.Of(ledger, ledger.GetPass(g.PassId) ?? throw new UsageException($"no pass {g.PassId} in the ledger (see pdm passes)"))));
        Receive<Api.ListPasses>(_ => Answer(() => new Api.PassList(ledger.ListPasses().Select(p => PassViews.Of(ledger, p)).ToList())));
        Receive<Api.GetFailures>(f => Answer(() => new Api.FailureList(ledger.Failures(f.PassId, f.AfterId, f.Limit))));
        Receive<Api.GetReport>(r => Answer(() =>
            new Api.ReportList(ledger.Report(r.PassId, r.AfterId, r.Limit).Select(l => new Api.ReportLine(l.Id, l.Action, l.Path, l.Bytes)).ToList())));
        Receive<Api.Control>(c =>
        {
            var sender = Sender;
            if (ledger.GetPass(c.PassId) is null)
            {
                sender.Tell(new Api.Refused(2, $"no pass {c.PassId} in the ledger (see pdm passes)"));
                return;
            }
            IPassCommand command = c.Request switch
            {
                PassRequest.Pause => new PassCommands.Pause(c.PassId),
                PassRequest.Resume => new PassCommands.Resume(c.PassId),
                _ => new PassCommands.Cancel(c.PassId),
            };
            coordinators.Ask<PassCommands.Result>(command, CoordinatorPatience).PipeTo(sender,
                failure: e => new Api.Refused(3, $"the coordinator of pass {c.PassId} did not answer within {CoordinatorPatience.TotalSeconds:0} s: {e.Message}"));
        });
        Receive<Api.ListNodes>(_ => Answer(() => Nodes(ledger)));
        Receive<Api.Leave>(l =>
        {
            // The member leaves as on SIGTERM, by its own coordinated shutdown: it drains first (no new
            // work; work in flight finishes or goes back), then leaves. Cluster.Leave alone would take
            // it out of the cluster first, and the others would take over work it is still doing.
            Akka.Cluster.Member member;
            try { member = MemberAt(l.Address); }
            catch (UsageException e)
            {
                Sender.Tell(new Api.Refused(2, e.Message));
                return;
            }
            var cluster = AkkaCluster.Get(Context.System);
            if (!member.UniqueAddress.Equals(cluster.SelfUniqueAddress))
            {
                Context.ActorSelection(new RootActorPath(member.Address) / "user" / "pdm-api").Tell(l, Sender);
                return;
            }
            Sender.Tell(new Api.Done($"{member.Address} drains (its work in flight finishes or goes back), then leaves the cluster"));
            CoordinatedShutdown.Get(Context.System).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
        });
        Receive<Api.Down>(d => Answer(() =>
        {
            AkkaCluster.Get(Context.System).Down(MemberAt(d.Address).Address);
            return new Api.Done($"{d.Address} is marked down; its work goes to the others");
        }));
    }

    /// <summary>Answers with what <paramref name="answer"/> returns, or with a refusal that says why.</summary>
    private void Answer(Func<object> answer)
    {
        try { Sender.Tell(answer()); }
        catch (UsageException e) { Sender.Tell(new Api.Refused(2, e.Message)); }
        catch (LedgerUnavailableException e) { Sender.Tell(new Api.Refused(3, e.Message)); }
        catch (Exception e) when (e is Native.PosixException or IOException) { Sender.Tell(new Api.Refused(2, e.Message)); }
    }

    private Api.NodeList Nodes(ILedger ledger)
    {
        var cluster = AkkaCluster.Get(Context.System);
        var state = cluster.State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var nodes = ledger.ListNodes().Where(n => n.Address is not null).ToLookup(n => n.Address!);
        var views = state.Members.Select(m =>
        {
            string address = m.Address.ToString();
            var node = nodes[ClusterSettings.MemberKey(m.UniqueAddress)].OrderByDescending(n => n.HeartbeatAt).FirstOrDefault();
            return new Api.NodeView(address, m.Status.ToString(), !unreachable.Contains(m.Address), m.Roles.ToList(),
                node?.Id, node?.InFlight ?? 0, node?.ItemsPerSecond ?? 0, node?.BytesPerSecond ?? 0, node?.HeartbeatAt);
        }).OrderBy(v => v.Address, StringComparer.Ordinal).ToList();
        return new Api.NodeList(state.Leader?.ToString(), views);
    }

    private static Akka.Cluster.Member MemberAt(string address)
    {
        var members = AkkaCluster.Get(Context.System).State.Members;
        return members.FirstOrDefault(m => m.Address.ToString() == address || $"{m.Address.Host}:{m.Address.Port}" == address)
            ?? throw new UsageException($"{address} is not a member of the cluster (see pdm cluster show)");
    }
}
