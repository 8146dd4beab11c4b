using Pdm.Engine;
using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Actors.Planners;

/// <summary>
/// The verify pass: compares every entry's type, size, mode, owner, mtime, link target, device
/// number and xattrs (and, with --checksum, content), and records each difference as a failure of
/// the pass. A second, "extras" scan of each target directory finds what the source does not have.
/// It changes nothing.
/// </summary>
public sealed class VerifyPlanner : IScanPlanner
{
    public bool ListsTarget(ScanMode mode) => mode == ScanMode.Extras;

    public bool MayFinalizeInline(ScanMode mode) => mode == ScanMode.Normal;

    public void Plan(ScanState scan, ScanMode mode, ReadOnlySpan<byte> name)
    {
        if (mode == ScanMode.Extras)
        {
            int se = ScanState.Stat(scan.Source, name, out _);
            if (se == Errno.ENOENT) scan.Differ(name, "extra in target");
            else if (se != 0) scan.Fail(name, "lstat", se);
            return;
        }
        scan.Count(new PassCounters { EntriesSeen = 1 });
        int e = Sys.TryStat(scan.Source, name, out var s);
        if (e != 0)
        {
            if (e != Errno.ENOENT) scan.Fail(name, "lstat", e);
            return;
        }
        e = scan.StatTarget(name, out var t);
        if (e == Errno.ENOENT) { scan.Differ(name, "missing in target"); return; }
        if (e != 0) { scan.Fail(name, "lstat target", e); return; }
        int before = scan.Outcome.Failures.Count;
        Compare(scan, name, s, t);
        if (scan.Outcome.Failures.Count == before) scan.Count(new PassCounters { SkippedEqual = 1 });
        if (s.Kind == EntryKind.Directory && t.Kind == EntryKind.Directory && !scan.RefusesRoot(name, s, t)) scan.Outcome.AddSubdirectory(name);
    }

    private static void Compare(ScanState scan, ReadOnlySpan<byte> name, in FileStat s, in FileStat t)
    {
        if (s.Kind != t.Kind) { scan.Differ(name, $"type {s.Kind} != {t.Kind}"); return; }
        CompareMetadata(scan, name, s, t);
        switch (s.Kind)
        {
            case EntryKind.File:
                if (s.Size != t.Size) scan.Differ(name, $"size {s.Size} != {t.Size}");
                else if (scan.Options.Checksum && !SameContent(scan, name)) scan.Differ(name, "content differs");
                break;
            case EntryKind.Symlink:
                try
                {
                    if (!Sys.ReadLinkAt(scan.Source, name).AsSpan().SequenceEqual(Sys.ReadLinkAt(scan.Target, name)))
                        scan.Differ(name, "link target differs");
                }
                catch (PosixException x) { scan.Outcome.Fail(scan.PathOf(name), x.Operation, x.Errno, x.Reason); }
                break;
            case EntryKind.CharDevice or EntryKind.BlockDevice:
                if (s.RdevMajor != t.RdevMajor || s.RdevMinor != t.RdevMinor) scan.Differ(name, "device number differs");
                break;
        }
    }

    private static void CompareMetadata(ScanState scan, ReadOnlySpan<byte> name, in FileStat s, in FileStat t)
    {
        if (Sys.IsRoot && (s.Uid != t.Uid || s.Gid != t.Gid)) scan.Differ(name, $"owner {s.Uid}:{s.Gid} != {t.Uid}:{t.Gid}");
        if (s.Kind == EntryKind.Symlink) return;
        if (s.Mode != t.Mode) scan.Differ(name, $"mode {Convert.ToString(s.Mode, 8).PadLeft(4, '0')} != {Convert.ToString(t.Mode, 8).PadLeft(4, '0')}");
        if (!scan.Context.TargetTimes.Holds(s.Mtime, t.Mtime))
            scan.Differ(name, $"mtime {s.Mtime.TotalNanoseconds} != {t.Mtime.TotalNanoseconds}");
        if (!SameXattrs(scan, name)) scan.Differ(name, "xattrs differ");
    }

    private static bool SameContent(ScanState scan, ReadOnlySpan<byte> name)
    {
        try { return ContentComparer.Same(scan.Source, scan.Target, name); }
        catch (PosixException) { return false; }
    }

    /// <summary>Through handles of both entries: nothing is opened for reading (a fifo, a device, or what a user swapped in).</summary>
    private static bool SameXattrs(ScanState scan, ReadOnlySpan<byte> name)
    {
        int a = -1, b = -1;
        try
        {
            a = Sys.OpenHandle(scan.Source, name);
            b = Sys.OpenHandle(scan.Target, name);
            return Xattrs.Same(a, b);
        }
        catch (PosixException) { return false; }
        finally
        {
            Sys.Close(a);
            Sys.Close(b);
        }
    }

    /// <summary>Each directory's scan also starts the scan of its target side, for entries the source lacks.</summary>
    public void Begin(ScanState scan, ScanMode mode)
    {
        if (mode == ScanMode.Normal) scan.Outcome.AddBatch(WorkKind.Scan, [(byte)ScanMode.Extras]);
    }

    /// <summary>The root's own metadata (every other directory is compared by its parent's scan).</summary>
    public void Finalize(ScanState scan, ScanMode mode)
    {
        if (mode != ScanMode.Normal || scan.Item.Dir.Length != 0 || scan.Source < 0 || scan.Target < 0) return;
        var s = Sys.Fstat(scan.Source);
        var t = Sys.Fstat(scan.Target);
        if (Sys.IsRoot && (s.Uid != t.Uid || s.Gid != t.Gid)) scan.Differ([], $"owner {s.Uid}:{s.Gid} != {t.Uid}:{t.Gid}");
        if (s.Mode != t.Mode) scan.Differ([], "mode differs");
        if (!scan.Context.TargetTimes.Holds(s.Mtime, t.Mtime))
            scan.Differ([], $"mtime {s.Mtime.TotalNanoseconds} != {t.Mtime.TotalNanoseconds}");
        if (!SameXattrs(scan, "."u8)) scan.Differ([], "xattrs differ");
    }
}
