using Pdm.Engine;
using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Actors;

/// <summary>
/// Scans one source directory against its target counterpart (a "scan" work item). It streams the
/// listing, compares each entry (<see cref="Equality"/>), creates missing subdirectories (owner-only
/// until finalized), and turns what must be done into bounded copy and link batches and child scans.
/// Every <see cref="WorkLimits.CheckpointEntries"/> entries it checkpoints what it found together with
/// the directory cookie it reached, so a crash loses no count and a huge directory never sits in memory.
/// A directory with nothing to do below it (a leaf, or one whose entries are all equal) is finalized
/// by its scan: one work item instead of two.
/// </summary>
public sealed class DirectoryActor(ILedger ledger, WorkLimits limits, DirectoryFinalizer finalizer)
{
    /// <summary>Scans; <paramref name="checkpoint"/> commits a partial outcome. Returns the final outcome.</summary>
    public ItemOutcome Scan(PassContext ctx, WorkItem item, Action<ItemOutcome> checkpoint, CancellationToken cancel)
    {
        var outcome = new ItemOutcome();
        int src = -1, dst = -1;
        try
        {
            try { src = Sys.OpenDirectoryBeneath(ctx.SourceRoot, item.Dir); }
            catch (PosixException e) { outcome.Fail(item.Dir, "open source directory", e.Errno, e.Reason); return outcome; }
            try
            {
                dst = Sys.OpenDirectoryBeneath(ctx.TargetRoot, item.Dir);
                if (!Sys.IsRoot)
                {
                    // We must be able to write into it until it is finalized.
                    var own = Sys.Fstat(dst);
                    if ((own.Mode & 0x1C0) != 0x1C0) Sys.Fchmod(dst, own.Mode | 0x1C0);
                }
            }
            catch (PosixException e) { outcome.Fail(item.Dir, "open target directory", e.Errno, e.Reason); return outcome; }

            var links = new List<LinkEntry>();
            var batches = new BatchBuilder(limits.BatchEntries, limits.BatchBytes,
                batch => outcome.Batches.Add((WorkKind.Copy, BatchCodec.EncodeCopies(batch))));
            using var reader = new DirectoryReader(src);
            if (item.Cursor != 0) reader.Seek(item.Cursor);
            int sinceCheckpoint = 0;
            bool checkpointed = false;
            while (reader.Next(out var name, out _))
            {
                ScanEntry(ctx, item, src, dst, name, outcome, batches, links);
                if (links.Count >= limits.BatchEntries) FlushLinks(outcome, links);
                if (++sinceCheckpoint >= limits.CheckpointEntries || cancel.IsCancellationRequested)
                {
                    batches.Flush();
                    FlushLinks(outcome, links);
                    outcome.Cursor = reader.Position;
                    checkpoint(outcome);
                    checkpointed = true;
                    cancel.ThrowIfCancellationRequested();
                    outcome = new ItemOutcome();
                    sinceCheckpoint = 0;
                }
            }
            batches.Flush();
            FlushLinks(outcome, links);
            if (item.Cursor == 0 && !checkpointed && outcome.Subdirectories.Count == 0 && outcome.Batches.Count == 0)
            {
                // Nothing below this directory is left to do: finalize it now rather than as an item of its
                // own (the ledger takes this only if its finalize waits on nothing else).
                finalizer.Apply(item, src, dst, outcome);
                outcome.FinalizedDirectory = true;
            }
            return outcome;
        }
        finally
        {
            Sys.Close(src);
            Sys.Close(dst);
        }
    }

    private void ScanEntry(PassContext ctx, WorkItem item, int src, int dst, ReadOnlySpan<byte> name,
        ItemOutcome outcome, BatchBuilder batches, List<LinkEntry> links)
    {
        outcome.Add(new PassCounters { EntriesSeen = 1 });
        int e = Sys.TryStat(src, name, out var s);
        if (e != 0)
        {
            outcome.Fail(ByteNames.Join(item.Dir, name), "lstat", e, e == Errno.ENOENT ? "vanished before it could be copied" : new PosixException("", e).Reason);
            return;
        }
        e = Sys.TryStat(dst, name, out var t);
        if (e != 0 && e != Errno.ENOENT)
        {
            outcome.Fail(ByteNames.Join(item.Dir, name), "lstat target", e, new PosixException("", e).Reason);
            return;
        }
        FileStat? target = e == 0 ? t : null;

        if (s.Kind == EntryKind.Directory)
        {
            try
            {
                if (target is { Kind: not EntryKind.Directory }) TreeRemover.Remove(dst, name);
                if (target is not { Kind: EntryKind.Directory })
                {
                    int m = Sys.TryMkdirAt(dst, name, 0x1C0);
                    if (m != 0 && m != Errno.EEXIST) throw new PosixException("mkdir", m);
                }
                outcome.Subdirectories.Add(name.ToArray());
            }
            catch (PosixException x)
            {
                outcome.Fail(ByteNames.Join(item.Dir, name), x.Operation, x.Errno, x.Reason);
            }
            return;
        }

        if (s.Kind == EntryKind.File && s.Nlink > 1)
        {
            // Hardlinks across the whole pass: the first path seen of an inode is copied, the others
            // are linked to its copy once all data is in place (a link batch).
            byte[] path = ByteNames.Join(item.Dir, name);
            byte[] leader = ledger.ClaimInode(item.PassId, s.Dev, s.Ino, path);
            if (!leader.AsSpan().SequenceEqual(path))
            {
                if (target is { } ft && IsLinkedToLeader(ctx, item, dst, s, ft, leader))
                    outcome.Add(new PassCounters { SkippedEqual = 1 });
                else
                    links.Add(new LinkEntry(name.ToArray(), leader));
                return;
            }
        }

        bool linkTargetsEqual = true;
        if (s.Kind == EntryKind.Symlink && target is { Kind: EntryKind.Symlink } tl && tl.Size == s.Size)
        {
            try { linkTargetsEqual = Sys.ReadLinkAt(src, name).AsSpan().SequenceEqual(Sys.ReadLinkAt(dst, name)); }
            catch (PosixException) { linkTargetsEqual = false; }
        }
        switch (Equality.Compare(s, target, compareOwner: Sys.IsRoot, linkTargetsEqual))
        {
            case Verdict.Equal:
                outcome.Add(new PassCounters { SkippedEqual = 1 });
                break;
            case Verdict.MetadataDiffers:
                batches.Add(new CopyEntry(EntryAction.FixMetadata, name.ToArray(), 0));
                break;
            case Verdict.ReplaceDirectory:
                batches.Add(new CopyEntry(EntryAction.CopyReplacingDirectory, name.ToArray(), s.Size));
                break;
            default:
                batches.Add(new CopyEntry(EntryAction.Copy, name.ToArray(), s.Kind == EntryKind.File ? s.Size : 0));
                break;
        }
    }

    /// <summary>
    /// Whether the follower's target is already the leader's copy (same inode, and that copy matches
    /// the source). Decided here, at scan time, so that the link batch always acts and counts the same
    /// on every attempt.
    /// </summary>
    private static bool IsLinkedToLeader(PassContext ctx, WorkItem item, int dst, in FileStat source, in FileStat target, byte[] leaderPath)
    {
        if (target.Kind != EntryKind.File || target.Size != source.Size || target.Mtime != source.Mtime) return false;
        var (leaderDir, leaderName) = ByteNames.Split(leaderPath);
        bool sameDir = leaderDir.AsSpan().SequenceEqual(item.Dir);
        int fd = -1;
        try
        {
            if (!sameDir)
            {
                try { fd = Sys.OpenDirectoryBeneath(ctx.TargetRoot, leaderDir); }
                catch (PosixException) { return false; }
            }
            return Sys.TryStat(sameDir ? dst : fd, leaderName, out var leader) == 0 && leader.Dev == target.Dev && leader.Ino == target.Ino;
        }
        finally
        {
            Sys.Close(fd);
        }
    }

    private static void FlushLinks(ItemOutcome outcome, List<LinkEntry> links)
    {
        if (links.Count == 0) return;
        outcome.Batches.Add((WorkKind.Link, BatchCodec.EncodeLinks(links)));
        links.Clear();
    }
}
