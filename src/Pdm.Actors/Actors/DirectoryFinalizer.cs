using Pdm.Actors.Planners;
using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Actors;

/// <summary>
/// Runs a "finalize" work item: the pass's work on a directory itself, once everything below it is
/// done (deepest first): a copy's directory metadata, an orphan's removal, a directory's times.
/// </summary>
public sealed class DirectoryFinalizer(ILedger ledger, WorkLimits limits, PlannerSet planners)
{
    public ItemOutcome Finalize(PassContext ctx, WorkItem item)
    {
        var outcome = new ItemOutcome();
        var mode = PlannerSet.ModeOf(item);
        if (!DirectoryPair.Open(ctx, item, mode, outcome, out int src, out int dst, quiet: item.ScanFailed)) return outcome;
        try
        {
            planners.For(ctx.Pass.Kind).Finalize(new ScanState(ctx, item, src, dst, ledger, limits) { Outcome = outcome }, mode);
        }
        finally
        {
            Sys.Close(src);
            Sys.Close(dst);
        }
        return outcome;
    }
}
