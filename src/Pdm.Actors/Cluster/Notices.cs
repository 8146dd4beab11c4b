using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;

namespace Pdm.Cluster;

/// <summary>
/// News every node of a cluster must hear at once, not by polling the ledger: a pass changed state (its
/// coordinator projected a pause, a resume, a cancel), or a pass gained ready work (a node committed
/// items that spawned more). In one process, the actor system's event stream carries them; in a
/// cluster, Akka's distributed publish-subscribe. Polling the ledger stays the fallback.
/// <para>
/// What touches Akka.Cluster.Tools is in methods of its own, called only in a cluster: a method that
/// names its types loads Akka.Cluster.Tools and Akka.Cluster when it first runs, whichever branch it
/// takes, and a one-shot `pdm` would pay that on its way to its first file.
/// </para>
/// </summary>
public static class Notices
{
    private const string Topic = "pdm-passes";

    public sealed record PassChanged(long PassId, Ledger.PassStatus Status);

    public sealed record WorkReady(long PassId);

    private static bool Clustered(ActorSystem system) => Actors.MoverHost.IsClusterMember(system);

    public static void Publish(ActorSystem system, object notice)
    {
        if (Clustered(system)) PublishInCluster(system, notice);
        else system.EventStream.Publish(notice);
    }

    /// <summary>Only in a cluster: in one process the node that would hear it is the one that says it.</summary>
    public static void PublishToOthers(ActorSystem system, object notice)
    {
        if (Clustered(system)) PublishInCluster(system, notice);
    }

    public static void Subscribe(ActorSystem system, IActorRef subscriber)
    {
        if (Clustered(system))
        {
            SubscribeInCluster(system, subscriber);
            return;
        }
        system.EventStream.Subscribe(subscriber, typeof(PassChanged));
        system.EventStream.Subscribe(subscriber, typeof(WorkReady));
    }

    /// <summary>Whether a message is the mediator's answer to <see cref="Subscribe"/> (only a cluster's subscriber gets one).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool IsSubscribeAck(object message) => message is SubscribeAck;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void PublishInCluster(ActorSystem system, object notice) =>
        DistributedPubSub.Get(system).Mediator.Tell(new Publish(Topic, notice));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SubscribeInCluster(ActorSystem system, IActorRef subscriber) =>
        DistributedPubSub.Get(system).Mediator.Tell(new Subscribe(Topic, subscriber));
}
