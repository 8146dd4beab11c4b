using Pdm.Actors.Planners;
using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Actors;

/// <summary>
/// Scans one directory (a "scan" work item) for any pass kind: opens both sides, streams the listing
/// of one of them, and lets the pass's planner decide about each entry. Every
/// <see cref="WorkLimits.CheckpointEntries"/> entries it checkpoints what was decided together with the
/// directory cookie it reached, so a crash loses no count and a huge directory never sits in memory.
/// A directory with nothing to do below it is finalized by its scan: one work item instead of two.
/// </summary>
public sealed class DirectoryActor(ILedger ledger, WorkLimits limits, PlannerSet planners)
{
    public ItemOutcome Scan(PassContext ctx, WorkItem item, Action<ItemOutcome> checkpoint, CancellationToken cancel)
    {
        var planner = planners.For(ctx.Pass.Kind);
        var mode = PlannerSet.ModeOf(item);
        var outcome = new ItemOutcome();
        if (!DirectoryPair.Open(ctx, item, mode, outcome, out int src, out int dst)) return outcome;
        try
        {
            if (ctx.Pass.Kind == PassKind.Copy && !ctx.Pass.Options.DryRun && !Sys.IsRoot && dst >= 0)
            {
                // We must be able to write into it until it is finalized.
                var own = Sys.Fstat(dst);
                if ((own.Mode & 0x1C0) != 0x1C0) Sys.Fchmod(dst, own.Mode | 0x1C0);
            }
            var scan = new ScanState(ctx, item, src, dst, ledger, limits) { Outcome = outcome };
            if (item.Cursor == 0) planner.Begin(scan, mode);
            int listed = planner.ListsTarget(mode) ? dst : src;
            bool checkpointed = false;
            if (listed >= 0)
            {
                using var reader = new DirectoryReader(listed);
                if (item.Cursor != 0) reader.Seek(item.Cursor);
                int sinceCheckpoint = 0;
                while (reader.Next(out var name, out _))
                {
                    planner.Plan(scan, mode, name);
                    if (++sinceCheckpoint >= limits.CheckpointEntries || cancel.IsCancellationRequested)
                    {
                        scan.Flush();
                        scan.Outcome.Cursor = reader.Position;
                        checkpoint(scan.Outcome);
                        checkpointed = true;
                        cancel.ThrowIfCancellationRequested();
                        scan.Outcome = new ItemOutcome();
                        sinceCheckpoint = 0;
                    }
                }
            }
            scan.Flush();
            var last = scan.Outcome;
            if (mode != ScanMode.Extras && item.Cursor == 0 && !checkpointed && last.Subdirectories.Count == 0 && last.Batches.Count == 0
                && planner.MayFinalizeInline(mode))
            {
                // The ledger takes this only if the directory's finalize waits on nothing else.
                planner.Finalize(scan, mode);
                last.FinalizedDirectory = true;
            }
            return last;
        }
        finally
        {
            Sys.Close(src);
            Sys.Close(dst);
        }
    }
}

/// <summary>The planner of each pass kind.</summary>
public sealed class PlannerSet(Engine.FileCopier copier)
{
    private readonly IScanPlanner _copy = new CopyPlanner(copier);
    private readonly IScanPlanner _delete = new DeletePlanner();
    private readonly IScanPlanner _mtime = new MtimePlanner();
    private readonly IScanPlanner _verify = new VerifyPlanner();

    public IScanPlanner For(PassKind kind) => kind switch
    {
        PassKind.Copy => _copy,
        PassKind.Delete => _delete,
        PassKind.Mtime => _mtime,
        PassKind.Verify => _verify,
        _ => throw new InvalidDataException($"no planner for {kind} passes"),
    };

    /// <summary>The scan mode a scan or finalize item carries in its payload (none: Normal).</summary>
    public static ScanMode ModeOf(WorkItem item)
    {
        if (item.Payload is not { Length: > 0 } p) return ScanMode.Normal;
        var mode = (ScanMode)p[0];
        return p.Length == 1 && Enum.IsDefined(mode) ? mode : throw new InvalidDataException($"bad scan payload on item {item.Id}");
    }
}

/// <summary>Opens a work item's directory on both sides, as far as its pass and mode need them.</summary>
public static class DirectoryPair
{
    /// <summary>
    /// An orphan (delete pass) has no source side. A dry-run copy may find no target side yet (it was
    /// never created): -1 then. Any other failure to open is recorded and the item has nothing to do.
    /// </summary>
    public static bool Open(PassContext ctx, WorkItem item, ScanMode mode, ItemOutcome outcome, out int src, out int dst)
    {
        src = dst = -1;
        try
        {
            if (mode != ScanMode.Orphan) src = Sys.OpenDirectoryBeneath(ctx.SourceRoot, item.Dir);
        }
        catch (PosixException e)
        {
            outcome.Fail(item.Dir, "open source directory", e.Errno, e.Reason);
            return false;
        }
        try
        {
            if (ctx.TargetRoot >= 0) dst = Sys.OpenDirectoryBeneath(ctx.TargetRoot, item.Dir);
        }
        catch (PosixException e) when (e.Errno == Errno.ENOENT && (ctx.Pass.Options.DryRun || mode == ScanMode.Orphan))
        {
            dst = -1; // not created by a dry run; an orphan an earlier attempt already removed
        }
        catch (PosixException e)
        {
            Sys.Close(src);
            src = -1;
            outcome.Fail(item.Dir, "open target directory", e.Errno, e.Reason);
            return false;
        }
        return true;
    }
}
