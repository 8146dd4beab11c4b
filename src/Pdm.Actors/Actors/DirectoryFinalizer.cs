using Akka.Actor;
using Pdm.Actors.Planners;
using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Actors;

/// <summary>
/// Runs a "finalize" work item: the pass's work on a directory itself, once everything below it is
/// done (deepest first): a copy's directory metadata, an orphan's removal, a directory's times. An
/// actor on one of the node's worker threads, fed "finalize" items by the node's feeder (<see cref="WorkerActor"/>).
/// </summary>
public sealed class DirectoryFinalizer(NodeContext node, PlannerSet planners) : WorkerActor(node)
{
    public static Props Props(NodeContext node, PlannerSet planners) => Akka.Actor.Props.Create(() => new DirectoryFinalizer(node, planners));

    protected override ItemOutcome Run(PassContext ctx, WorkItem item, CancellationToken stop)
    {
        var ledger = Node.Ledger;
        var limits = Node.Options.Limits;
        var outcome = new ItemOutcome();
        var mode = PlannerSet.ModeOf(item);
        Node.CheckLease(item.Id); // a directory's metadata (and, in a delete pass, its removal) is set only by its holder
        if (!DirectoryPair.Open(ctx, item, mode, outcome, out int src, out int dst, quiet: item.ScanFailed)) return outcome;
        try
        {
            planners.For(ctx.Pass.Kind).Finalize(new ScanState(ctx, item, src, dst, ledger, limits) { Outcome = outcome, CheckLease = () => Node.CheckLease(item.Id) }, mode);
        }
        finally
        {
            Sys.Close(src);
            Sys.Close(dst);
        }
        return outcome;
    }
}
