using Akka.Actor;
using Pdm.Ledger;

namespace Pdm.Actors;

/// <summary>
/// What DirectoryActor, FileCopyActor and DirectoryFinalizer share: they run on the pdm-io dispatcher
/// (dedicated threads: file work blocks in system calls), take one claimed item at a time from the
/// feeder, run it to its end, and hand the result to the completion writer, which commits it with the
/// item (the item is in flight until then). A failure that is not a file's (a bug, a corrupt payload)
/// is recorded against the item, so the pass can finish and the admin sees it.
/// </summary>
public abstract class WorkerActor : ReceiveActor
{
    protected WorkerActor(NodeContext node)
    {
        Node = node;
        Receive<NodeMessages.Work>(Handle);
    }

    protected NodeContext Node { get; }

    /// <summary>Does the item's work and returns what to commit with it.</summary>
    protected abstract ItemOutcome Run(PassContext ctx, WorkItem item, CancellationToken stop);

    private void Handle(NodeMessages.Work work)
    {
        var item = work.Item;
        try
        {
            var outcome = Run(work.Context, item, work.Stop);
            Node.Writer.Tell(new NodeMessages.Completed(item, outcome));
        }
        catch (OperationCanceledException) when (work.Stop.IsCancellationRequested)
        {
            Node.Ledger.Release(Node.Id, [item.Id]); // stopped at a safe point: another attempt carries on
            Sender.Tell(new NodeMessages.Committed(1));
        }
        catch (Exception e) when (e is LeaseLostException or MaxDeleteExceededException)
        {
            Node.Writer.Tell(new NodeMessages.Refused(item, e)); // a scan's checkpoint was refused
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Node.Problem($"work item {item.Id} ({item.Kind} {Native.ByteNames.Escape(item.Dir)}): {e}");
            var outcome = new ItemOutcome();
            outcome.Fail(item.Dir, $"{LedgerNames.WorkKindName(item.Kind)} (internal error)", 0, e.Message);
            Node.Writer.Tell(new NodeMessages.Completed(item, outcome));
        }
        Sender.Tell(new NodeMessages.WorkerReady(Self, item.Kind));
    }
}

/// <summary>What every actor of a node shares: its id, the ledger, its settings, its writer, how it reports a problem.</summary>
public sealed class NodeContext(string id, ILedger ledger, NodeOptions options, Action<string> problem)
{
    public string Id { get; } = id;
    public ILedger Ledger { get; } = ledger;
    public NodeOptions Options { get; } = options;
    public void Problem(string message) => problem(message);
    /// <summary>The node's completion writer (set once it is created, before any worker runs).</summary>
    public IActorRef Writer { get; set; } = ActorRefs.Nobody;
}
