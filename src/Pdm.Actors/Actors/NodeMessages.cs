using Akka.Actor;
using Pdm.Ledger;

namespace Pdm.Actors;

/// <summary>The messages between a node's feeder, its workers and its completion writer.</summary>
public static class NodeMessages
{
    /// <summary>Feeder to worker: run this claimed item; stop at a safe point once <paramref name="Stop"/> is cancelled.</summary>
    public sealed record Work(WorkItem Item, PassContext Context, CancellationToken Stop);

    /// <summary>Worker to feeder: the item is handed on (to the writer, or back to the ledger); send the next.</summary>
    public sealed record WorkerReady(IActorRef Worker);

    /// <summary>Worker to writer: the item is done; commit it with its results.</summary>
    public sealed record Completed(WorkItem Item, ItemOutcome Outcome);

    /// <summary>Worker to writer: the ledger refused a scan's checkpoint (lease lost, --max-delete).</summary>
    public sealed record Refused(WorkItem Item, Exception Why);

    /// <summary>Writer (or worker) to feeder: these items are no longer in flight (committed, refused, given back or abandoned).</summary>
    public sealed record Committed(IReadOnlyList<long> ItemIds, long BytesCopied = 0);

    /// <summary>To the feeder: stop claiming, let work in flight reach a safe point, give back the rest; answered with <see cref="Drained"/>.</summary>
    public sealed record Drain;

    public sealed record Drained;
}
