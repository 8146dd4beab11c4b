using System.Runtime.CompilerServices;
using Akka;
using Akka.Actor;
using Pdm.Ledger;

namespace Pdm.Actors;

public sealed record NodeOptions(int Threads, TimeSpan Lease, WorkLimits Limits)
{
    /// <summary>More threads than cores: most of the work waits on metadata round trips, not CPU.</summary>
    public static int DefaultThreads => Math.Clamp(Environment.ProcessorCount * 2, 4, 32);

    public static NodeOptions Default => new(DefaultThreads, TimeSpan.FromSeconds(60), WorkLimits.Default);

    /// <summary>The defaults with a config's range size and a number of threads.</summary>
    public static NodeOptions For(Configuration.PdmConfig config, int threads) =>
        Default with { Threads = threads, Limits = WorkLimits.Default with { RangeBytes = config.RangeBytes ?? WorkLimits.DefaultRangeBytes } };
}

/// <summary>
/// One mover node in an actor system: a <see cref="WorkFeeder"/> (with its workers and completion
/// writer as children) that claims leased work from the ledger until it is drained or, working for
/// one pass, until that pass has ended.
/// </summary>
public sealed class MoverNode
{
    private readonly IActorRef _feeder;
    private readonly TaskCompletionSource _finished;

    public string Id { get; }

    /// <summary>Completes when the node has stopped; faults with the ledger's error if the ledger failed under way.</summary>
    public Task Finished => _finished.Task;

    private MoverNode(string id, IActorRef feeder, TaskCompletionSource finished)
    {
        Id = id;
        _feeder = feeder;
        _finished = finished;
    }

    /// <param name="problem">told (from actor threads) of a failure that is not a file's: a bug, a lost lease</param>
    /// <param name="refuses">why this node will not work on a pass, or null (see <see cref="NodeContext"/>)</param>
    /// <param name="gate">whether it may claim now: a cluster's membership decides (see <see cref="ClaimGate"/>)</param>
    public static MoverNode Start(ActorSystem system, ILedger ledger, NodeOptions options, Action<string> problem, long? onlyPass = null,
        Func<PassInfo, string?>? refuses = null, ClaimGate? gate = null)
    {
        string id = $"{ProcessIdentity.Host}:{ProcessIdentity.Pid}:{Guid.NewGuid().ToString("N")[..6]}";
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // In a cluster its address tells which node's work goes back when that member is removed.
        string? address = MoverHost.IsClusterMember(system) ? MemberKey(system) : null;
        var node = new NodeContext(id, ledger, options, problem, refuses, address, gate);
        var feeder = system.ActorOf(WorkFeeder.Props(node, onlyPass, finished), $"node-{Guid.NewGuid():N}"[..18]);
        var mover = new MoverNode(id, feeder, finished);
        // Coordinated shutdown (a signal, or the host stopping) first drains the node: it stops
        // claiming, work in flight reaches a safe point and is committed, the rest is handed back.
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, $"drain-{id}", async () =>
        {
            await mover.DrainAsync();
            return Done.Instance;
        });
        return mover;
    }

    /// <summary>This member's key: a method of its own, so that a node with no cluster never loads Akka.Cluster (see <see cref="Cluster.Notices"/>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string MemberKey(ActorSystem system) => Cluster.ClusterSettings.MemberKey(Akka.Cluster.Cluster.Get(system).SelfUniqueAddress);

    /// <summary>Stops claiming; work in flight ends at its next safe point and is committed, the rest is given back.</summary>
    public async Task DrainAsync()
    {
        _feeder.Tell(new NodeMessages.Drain());
        try { await Finished; }
        catch (Exception) { } // a ledger failure is the caller's to read from Finished
    }
}
