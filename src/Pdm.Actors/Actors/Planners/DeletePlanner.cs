using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Actors.Planners;

/// <summary>
/// The delete pass: lists each target directory and removes what the source no longer has. It never
/// writes to the source. A target directory whose source is gone is scanned as an orphan (every entry
/// inside is removed, then the directory itself, by its finalize), so every removal is counted, is
/// checked against --max-delete before it is committed, and a crash never counts one twice.
/// </summary>
public sealed class DeletePlanner : IScanPlanner
{
    public bool ListsTarget(ScanMode mode) => true;

    // An orphan's finalize removes the directory: it must run as an item of its own, after the scan committed.
    public bool MayFinalizeInline(ScanMode mode) => mode == ScanMode.Normal;

    public void Plan(ScanState scan, ScanMode mode, ReadOnlySpan<byte> name)
    {
        scan.Count(new PassCounters { EntriesSeen = 1 });
        int e = Sys.TryStat(scan.Target, name, out var t);
        if (e == Errno.ENOENT) return; // removed meanwhile
        if (e != 0)
        {
            scan.Fail(name, "lstat target", e);
            return;
        }
        int se = ScanState.Stat(mode == ScanMode.Orphan ? -1 : scan.Source, name, out var s);
        if (se != 0 && se != Errno.ENOENT)
        {
            scan.Fail(name, "lstat", se);
            return;
        }
        if (scan.RefusesRoot(name, t, se == 0 ? s : null)) return;
        if (se == 0)
        {
            // Still in the source: kept. Type changes are the copy pass's business.
            if (s.Kind == EntryKind.Directory && t.Kind == EntryKind.Directory) scan.Outcome.AddSubdirectory(name);
            else scan.Count(new PassCounters { SkippedEqual = 1 });
            return;
        }
        if (t.Kind == EntryKind.Directory)
        {
            scan.Outcome.AddSubdirectory(name, ScanMode.Orphan);
            scan.Outcome.PlannedDeletes++;
        }
        else if (scan.Options.DryRun)
        {
            scan.Outcome.PlannedDeletes++;
            scan.Outcome.Report.Add(("delete", scan.PathOf(name), t.Kind == EntryKind.File ? t.Size : 0));
            scan.Count(new PassCounters { Deleted = 1 });
        }
        else
        {
            scan.Delete(name);
        }
    }

    /// <summary>An orphan directory, now empty, is removed from its parent.</summary>
    public void Finalize(ScanState scan, ScanMode mode)
    {
        if (mode != ScanMode.Orphan) return;
        if (scan.Options.DryRun)
        {
            scan.Outcome.Report.Add(("delete", scan.Item.Dir, 0));
            scan.Count(new PassCounters { Deleted = 1 });
            return;
        }
        scan.CheckLease();
        var (parentDir, name) = ByteNames.Split(scan.Item.Dir);
        int parent = -1;
        try
        {
            parent = Sys.OpenDirectoryBeneath(scan.Context.TargetRoot, parentDir);
            int e = Sys.TryUnlinkAt(parent, name, directory: true);
            // Gone already (an earlier attempt removed it): counted all the same, as the first attempt would have.
            if (e != 0 && e != Errno.ENOENT) throw new PosixException("rmdir", e);
            scan.Count(new PassCounters { Deleted = 1 });
        }
        catch (PosixException e)
        {
            scan.Outcome.Fail(scan.Item.Dir, e.Operation, e.Errno, e.Reason);
        }
        finally
        {
            Sys.Close(parent);
        }
    }
}
