using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Actors.Planners;

/// <summary>
/// The mtime pass: gives every target directory the atime and mtime of its source counterpart,
/// deepest first (a directory is finalized after everything below it), since every write into a
/// directory during the earlier passes disturbed its times. Files are not touched.
/// </summary>
public sealed class MtimePlanner : IScanPlanner
{
    public bool ListsTarget(ScanMode mode) => false;

    public bool MayFinalizeInline(ScanMode mode) => true;

    public void Plan(ScanState scan, ScanMode mode, ReadOnlySpan<byte> name)
    {
        scan.Count(new PassCounters { EntriesSeen = 1 });
        int e = Sys.TryStat(scan.Source, name, out var s);
        if (e != 0 || s.Kind != EntryKind.Directory) return;
        if (scan.StatTarget(name, out var t) == 0 && t.Kind == EntryKind.Directory && !scan.RefusesRoot(name, s, t))
            scan.Outcome.AddSubdirectory(name);
    }

    /// <summary>Sets the directory's times; counted as fixed every time, so a re-run counts the same.</summary>
    public void Finalize(ScanState scan, ScanMode mode)
    {
        if (scan.Source < 0 || scan.Target < 0) return;
        scan.CheckLease();
        try
        {
            var s = Sys.Fstat(scan.Source);
            Sys.Futimens(scan.Target, s.Atime, s.Mtime);
            scan.Count(new PassCounters { MetadataFixed = 1 });
        }
        catch (PosixException e)
        {
            scan.Outcome.Fail(scan.Item.Dir, e.Operation, e.Errno, e.Reason);
        }
    }
}
