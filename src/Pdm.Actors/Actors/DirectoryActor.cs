using Akka.Actor;
using Pdm.Actors.Planners;
using Pdm.Engine;
using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Actors;

/// <summary>
/// Scans one directory (a "scan" work item) for any pass kind: opens both sides, streams the listing
/// of one of them, and lets the pass's planner decide about each entry. Every
/// <see cref="WorkLimits.CheckpointEntries"/> entries it checkpoints what was decided together with the
/// directory cookie it reached, so a crash loses no count and a huge directory never sits in memory.
/// A directory with nothing to do below it is finalized by its scan: one work item instead of two.
/// <para>
/// A small subdirectory is first scanned right here, depth first, up to <see cref="WorkLimits.InlineEntries"/>
/// entries: if nothing in that subtree needs work (a pass over an unchanged tree), the subtree is finished,
/// finalized and counted within this item, and never becomes work items of its own. At the first entry that
/// needs work the attempt is dropped, its results with it, and the subdirectory is handed out as usual.
/// Counts are those of the usual way either way; the ledger only sees fewer, larger items.
/// </para>
/// An actor on one of the node's worker threads, fed "scan" items by the node's feeder (<see cref="WorkerActor"/>).
/// </summary>
public sealed class DirectoryActor : WorkerActor
{
    private readonly ILedger ledger;
    private readonly WorkLimits limits;
    private readonly PlannerSet planners;

    public DirectoryActor(NodeContext node, PlannerSet planners) : base(node)
    {
        ledger = node.Ledger;
        limits = node.Options.Limits;
        this.planners = planners;
    }

    public static Props Props(NodeContext node, PlannerSet planners) => Akka.Actor.Props.Create(() => new DirectoryActor(node, planners));

    protected override ItemOutcome Run(PassContext ctx, WorkItem item, CancellationToken stop) =>
        Scan(ctx, item, partial =>
        {
            TargetUnwritableException.ThrowIfIn(partial); // not recorded: the scan is done again when its pass resumes
            ledger.Checkpoint(Node.Id, item, partial, Node.Options.Lease);
        }, stop);

    private ItemOutcome Scan(PassContext ctx, WorkItem item, Action<ItemOutcome> checkpoint, CancellationToken cancel)
    {
        var planner = planners.For(ctx.Pass.Kind);
        var mode = PlannerSet.ModeOf(item);
        var outcome = new ItemOutcome();
        if (!DirectoryPair.Open(ctx, item, mode, outcome, out int src, out int dst))
        {
            outcome.DirectoryFailed = true;
            return outcome;
        }
        try
        {
            Action checkLease = () => Node.CheckLease(item.Id);
            MakeWritable(ctx, dst, checkLease);
            bool targetEmpty = ctx.Pass.Kind == PassKind.Copy && item.Cursor == 0 && dst >= 0 && DirectoryReader.IsEmpty(dst);
            var scan = new ScanState(ctx, item, src, dst, ledger, limits) { Outcome = outcome, TargetKnownEmpty = targetEmpty, CheckLease = checkLease };
            if (item.Cursor == 0) planner.Begin(scan, mode);
            bool listsTarget = planner.ListsTarget(mode);
            int listed = listsTarget ? dst : src;
            bool checkpointed = false;
            int budget = mode == ScanMode.Normal && planner.MayFinalizeInline(mode) ? limits.InlineEntries : 0;
            if (listed >= 0)
            {
                using var reader = new DirectoryReader(listed);
                try
                {
                    if (item.Cursor != 0) reader.Seek(item.Cursor);
                    int sinceCheckpoint = 0;
                    while (reader.Next(out var name, out _))
                    {
                        int subdirectories = scan.Outcome.Subdirectories.Count;
                        planner.Plan(scan, mode, name);
                        if (budget > 0 && scan.Outcome.Subdirectories.Count == subdirectories + 1
                            && scan.Outcome.Subdirectories[^1].Mode == ScanMode.Normal
                            && TakeIn(scan, planner, name, 1, ref budget))
                            scan.Outcome.Subdirectories.RemoveAt(subdirectories);
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
                catch (PosixException e) when (e.Operation is "getdents" or "seekdir")
                {
                    // The directory vanished or broke while it was listed: one failure for it. What was
                    // planned since the last checkpoint goes with the listing it came from (its entries
                    // went with the directory); what was checkpointed before stands.
                    return Unreadable(item, listsTarget ? "read target directory" : "read source directory", e.Errno, "vanished while it was being scanned");
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

    /// <summary>The outcome of a scan that could not list its directory: that one failure, and nothing else.</summary>
    private static ItemOutcome Unreadable(WorkItem item, string operation, int errno, string vanished)
    {
        var outcome = new ItemOutcome { DirectoryFailed = true };
        outcome.Fail(item.Dir, operation, errno, errno == Errno.ENOENT ? vanished : Sys.ErrorMessage(errno));
        return outcome;
    }

    /// <summary>A copy must be able to write into a target directory until it is finalized (root always can).</summary>
    private static void MakeWritable(PassContext ctx, int dst, Action checkLease)
    {
        if (ctx.Pass.Kind != PassKind.Copy || ctx.Pass.Options.DryRun || Sys.IsRoot || dst < 0) return;
        var own = Sys.Fstat(dst);
        if ((own.Mode & 0x1C0) == 0x1C0) return;
        checkLease(); // a directory another node has finalized keeps the mode it was given
        Sys.Fchmod(dst, own.Mode | 0x1C0);
    }

    /// <summary>
    /// Tries to finish subdirectory <paramref name="name"/> of <paramref name="parent"/>, all of its subtree,
    /// within this item. True if it did: its counts, failures and report are in the parent's outcome.
    /// False if some entry needs work of its own, the subtree is too big (the budget is then spent, so that
    /// this item tries no more) or cannot be opened: nothing of the attempt is kept.
    /// </summary>
    private bool TakeIn(ScanState parent, IScanPlanner planner, ReadOnlySpan<byte> name, int depth, ref int budget)
    {
        if (depth > limits.InlineDepth || parent.Source < 0 || parent.Target < 0) return false;
        int src = -1, dst = -1;
        try
        {
            try
            {
                src = Sys.OpenDirectoryBeneath(parent.Source, name);
                dst = Sys.OpenDirectoryBeneath(parent.Target, name);
            }
            catch (PosixException) { return false; } // the usual scan item records why
            if (Sys.Fstat(planner.ListsTarget(ScanMode.Normal) ? dst : src).Size > limits.InlineDirectoryBytes) return false;
            MakeWritable(parent.Context, dst, parent.CheckLease);
            var item = parent.Item with { Dir = ByteNames.Join(parent.Item.Dir, name), Cursor = 0 };
            var scan = new ScanState(parent.Context, item, src, dst, ledger, limits) { Outcome = new ItemOutcome(), CheckLease = parent.CheckLease };
            planner.Begin(scan, ScanMode.Normal);
            if (scan.HasPendingWork || scan.Outcome.Batches.Count > 0) return false; // verify's extras scan
            using (var reader = new DirectoryReader(planner.ListsTarget(ScanMode.Normal) ? dst : src))
            {
                while (reader.Next(out var entry, out _))
                {
                    if (--budget <= 0)
                    {
                        budget = 0;
                        return false;
                    }
                    int subdirectories = scan.Outcome.Subdirectories.Count;
                    planner.Plan(scan, ScanMode.Normal, entry);
                    if (scan.HasPendingWork || scan.Outcome.Batches.Count > 0 || scan.Outcome.PlannedDeletes > 0) return false;
                    if (scan.Outcome.Subdirectories.Count == subdirectories) continue;
                    if (scan.Outcome.Subdirectories.Count != subdirectories + 1 || scan.Outcome.Subdirectories[^1].Mode != ScanMode.Normal
                        || !TakeIn(scan, planner, entry, depth + 1, ref budget))
                        return false;
                    scan.Outcome.Subdirectories.RemoveAt(subdirectories);
                }
            }
            planner.Finalize(scan, ScanMode.Normal);
            var taken = scan.Outcome;
            if (taken.Batches.Count > 0 || taken.Subdirectories.Count > 0 || taken.PlannedDeletes > 0) return false;
            parent.Outcome.Failures.AddRange(taken.Failures);
            parent.Outcome.Report.AddRange(taken.Report);
            parent.Outcome.Add(taken.Delta);
            return true;
        }
        catch (PosixException e) when (e.Operation == "getdents")
        {
            return false; // the subdirectory's own scan item reports it
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
        return p.Length == 1 && mode <= ScanMode.Extras ? mode : throw new InvalidDataException($"bad scan payload on item {item.Id}");
    }
}

/// <summary>Opens a work item's directory on both sides, as far as its pass and mode need them.</summary>
public static class DirectoryPair
{
    /// <summary>
    /// An orphan (delete pass) has no source side. A dry-run copy may find no target side yet (it was
    /// never created): -1 then. Any other failure to open is recorded and the item has nothing to do.
    /// </summary>
    /// <param name="quiet">the directory's scan already reported that it cannot be opened: not again</param>
    public static bool Open(PassContext ctx, WorkItem item, ScanMode mode, ItemOutcome outcome, out int src, out int dst, bool quiet = false)
    {
        src = dst = -1;
        try
        {
            if (mode != ScanMode.Orphan) src = Sys.OpenDirectoryBeneath(ctx.SourceRoot, item.Dir);
        }
        catch (PosixException e)
        {
            if (!quiet) outcome.Fail(item.Dir, "open source directory", e.Errno, Reason(e));
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
            if (!quiet) outcome.Fail(item.Dir, "open target directory", e.Errno, Reason(e));
            return false;
        }
        return true;
    }

    private static string Reason(PosixException e) => e.Errno == Errno.ENOENT ? "vanished during the pass" : e.Reason;
}
