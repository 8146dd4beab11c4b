using Pdm.Engine;
using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Actors.Planners;

/// <summary>
/// The copy pass: compares each source entry with the target (<see cref="Equality"/>, or content with
/// --checksum), creates missing directories (owner-only until finalized), and batches the entries to
/// copy, fix or link. With --dry-run it writes nothing and reports what it would do instead.
/// </summary>
public sealed class CopyPlanner(FileCopier copier) : IScanPlanner
{
    public bool ListsTarget(ScanMode mode) => false;

    public bool MayFinalizeInline(ScanMode mode) => true;

    public void Plan(ScanState scan, ScanMode mode, ReadOnlySpan<byte> name)
    {
        scan.Count(new PassCounters { EntriesSeen = 1 });
        bool dryRun = scan.Options.DryRun;
        int e = Sys.TryStat(scan.Source, name, out var s);
        if (e != 0)
        {
            scan.Outcome.Fail(scan.PathOf(name), "lstat", e, e == Errno.ENOENT ? "vanished before it could be copied" : Sys.ErrorMessage(e));
            return;
        }
        e = scan.StatTarget(name, out var t);
        if (e != 0 && e != Errno.ENOENT)
        {
            scan.Fail(name, "lstat target", e);
            return;
        }
        FileStat? target = e == 0 ? t : null;

        if (s.Kind == EntryKind.Directory)
        {
            if (scan.RefusesRoot(name, s, target)) return;
            if (dryRun)
            {
                if (target is not { Kind: EntryKind.Directory }) scan.Outcome.Report.Add(("create directory", scan.PathOf(name), 0));
                scan.Outcome.AddSubdirectory(name);
                return;
            }
            try
            {
                if (target is not { Kind: EntryKind.Directory })
                {
                    scan.CheckLease();
                    if (target is not null) RemoveNonDirectory(scan.Target, name);
                    int m = Sys.TryMkdirAt(scan.Target, name, 0x1C0);
                    if (m != 0 && m != Errno.EEXIST) throw new PosixException("mkdir", m);
                }
                scan.Outcome.AddSubdirectory(name);
            }
            catch (PosixException x)
            {
                scan.Outcome.Fail(scan.PathOf(name), x.Operation, x.Errno, x.Reason);
            }
            return;
        }

        if (s.Kind == EntryKind.File && s.Nlink > 1)
        {
            // Hardlinks across the whole pass: the first path seen of an inode is copied, the others
            // are linked to its copy once all data is in place (a link batch).
            byte[] path = scan.PathOf(name);
            byte[] leader = scan.Ledger.ClaimInode(scan.Item.PassId, s.Dev, s.Ino, path);
            if (!leader.AsSpan().SequenceEqual(path))
            {
                if (target is { } ft && IsLinkedToLeader(scan, s, ft, leader))
                    scan.Count(new PassCounters { SkippedEqual = 1 });
                else if (dryRun)
                {
                    scan.Outcome.Report.Add(("link", path, 0));
                    scan.Count(new PassCounters { HardLinks = 1 });
                }
                else
                    scan.Link(new LinkEntry(name.ToArray(), leader));
                return;
            }
        }

        bool linkTargetsEqual = true;
        if (s.Kind == EntryKind.Symlink && target is { Kind: EntryKind.Symlink } tl && tl.Size == s.Size)
        {
            try { linkTargetsEqual = Sys.ReadLinkAt(scan.Source, name).AsSpan().SequenceEqual(Sys.ReadLinkAt(scan.Target, name)); }
            catch (PosixException) { linkTargetsEqual = false; }
        }
        var verdict = Equality.Compare(s, target, compareOwner: Sys.IsRoot, linkTargetsEqual, scan.Context.TargetTimes);
        if (scan.Options.Checksum && s.Kind == EntryKind.File && target is { Kind: EntryKind.File } tf && tf.Size == s.Size)
            verdict = ChecksumVerdict(scan, name, s, tf);
        long size = s.Kind == EntryKind.File ? s.Size : 0;
        switch (verdict)
        {
            case Verdict.Equal:
                scan.Count(new PassCounters { SkippedEqual = 1 });
                break;
            case Verdict.MetadataDiffers when dryRun:
                scan.Outcome.Report.Add(("update metadata", scan.PathOf(name), 0));
                scan.Count(new PassCounters { MetadataFixed = 1 });
                break;
            case Verdict.MetadataDiffers:
                scan.Copy(new CopyEntry(EntryAction.FixTargetMetadata, name.ToArray(), 0, target!.Value.Id));
                break;
            case var _ when dryRun:
                scan.Outcome.Report.Add(("copy", scan.PathOf(name), size));
                scan.Count(new PassCounters { FilesCopied = 1, BytesCopied = size });
                break;
            case var _ when s.Kind == EntryKind.File && scan.Splits(size):
                scan.SplitFile(name, s, replaceDirectory: verdict == Verdict.ReplaceDirectory);
                break;
            case Verdict.ReplaceDirectory:
                scan.Copy(new CopyEntry(EntryAction.CopyReplacingDirectory, name.ToArray(), size));
                break;
            default:
                var action = s.Kind != EntryKind.File ? EntryAction.Copy : target is null ? EntryAction.CreateFile : EntryAction.CopyFile;
                scan.Copy(new CopyEntry(action, name.ToArray(), size));
                break;
        }
    }

    /// <summary>
    /// --checksum: content decides; equal content with other times or mode is fixed in place. Another
    /// owner, or a setuid or setgid bit to add, is copied again as without --checksum: the target's
    /// owner may write it between this read and the fix.
    /// </summary>
    private static Verdict ChecksumVerdict(ScanState scan, ReadOnlySpan<byte> name, in FileStat s, in FileStat t)
    {
        if (!Equality.MayFixInPlace(s, t, compareOwner: Sys.IsRoot)) return Verdict.Differs;
        try
        {
            if (!ContentComparer.Same(scan.Source, scan.Target, name)) return Verdict.Differs;
        }
        catch (PosixException) { return Verdict.Differs; }
        bool metaEqual = s.Mode == t.Mode && scan.Context.TargetTimes.Holds(s.Mtime, t.Mtime);
        return metaEqual ? Verdict.Equal : Verdict.MetadataDiffers;
    }

    /// <summary>
    /// Whether the follower's target is already the leader's copy (same inode, and that copy matches
    /// the source). Decided here, at scan time, so that the link batch always acts and counts the same
    /// on every attempt.
    /// </summary>
    private static bool IsLinkedToLeader(ScanState scan, in FileStat source, in FileStat target, byte[] leaderPath)
    {
        if (target.Kind != EntryKind.File || target.Size != source.Size) return false;
        if (!scan.Context.TargetTimes.Holds(source.Mtime, target.Mtime)) return false;
        var (leaderDir, leaderName) = ByteNames.Split(leaderPath);
        bool sameDir = leaderDir.AsSpan().SequenceEqual(scan.Item.Dir);
        int fd = -1;
        try
        {
            if (!sameDir)
            {
                try { fd = Sys.OpenDirectoryBeneath(scan.Context.TargetRoot, leaderDir); }
                catch (PosixException) { return false; }
            }
            return Sys.TryStat(sameDir ? scan.Target : fd, leaderName, out var leader) == 0 && leader.Dev == target.Dev && leader.Ino == target.Ino;
        }
        finally
        {
            Sys.Close(fd);
        }
    }

    public void Finalize(ScanState scan, ScanMode mode)
    {
        if (scan.Options.DryRun || scan.Target < 0 || scan.Source < 0) return;
        scan.CheckLease();
        try
        {
            if (scan.Item.SweepTemporaries) SweepTemporaries(scan.Target);
            var warnings = new List<PosixException>();
            copier.ApplyDirectoryMetadata(scan.Source, scan.Target, scan.Context.TargetTimes, warnings);
            foreach (var w in warnings) scan.Outcome.Fail(scan.Item.Dir, w.Operation, w.Errno, w.Reason);
        }
        catch (PosixException e)
        {
            scan.Outcome.Fail(scan.Item.Dir, e.Operation, e.Errno, e.Reason);
        }
    }

    /// <summary>
    /// Removes the file, symlink or special file that stands where the source has a directory. Never a
    /// directory: one there now was made since the scan looked (by another attempt of this directory,
    /// which may have filled it), and is kept as this scan's subdirectory.
    /// </summary>
    internal static void RemoveNonDirectory(int dirFd, ReadOnlySpan<byte> name)
    {
        int e = Sys.TryUnlinkAt(dirFd, name, directory: false);
        if (e != 0 && e != Errno.ENOENT && e != Errno.EISDIR) throw new PosixException("unlink", e);
    }

    /// <summary>Removes temporaries a dead attempt left (few: at most the entries in flight when a node died).</summary>
    private static void SweepTemporaries(int dirFd)
    {
        var prefix = System.Text.Encoding.ASCII.GetBytes(FileCopier.TemporaryPrefix);
        using var reader = new DirectoryReader(dirFd);
        var found = new List<byte[]>();
        while (reader.Next(out var name, out _))
            if (name.StartsWith(prefix)) found.Add(name.ToArray());
        foreach (var name in found)
        {
            int e = Sys.TryUnlinkAt(dirFd, name, directory: false);
            if (e != 0 && e != Errno.ENOENT) throw new PosixException("unlink temporary", e);
        }
    }
}
