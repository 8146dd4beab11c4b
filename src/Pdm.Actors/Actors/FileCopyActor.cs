using Akka.Actor;
using Pdm.Engine;
using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Actors;

/// <summary>
/// Carries out copy and link batches. It acts on what the scan decided (compare, then act, and the
/// act is idempotent), so a batch re-run after a crash counts exactly what an uninterrupted run counts.
/// Results are returned, not committed: the node commits them with the item's completion. An actor on
/// one of the node's worker threads, fed copy, link and delete batches by the node's feeder (<see cref="WorkerActor"/>).
/// </summary>
public sealed class FileCopyActor(NodeContext node, FileCopier copier) : WorkerActor(node)
{
    public static Props Props(NodeContext node, FileCopier copier) => Akka.Actor.Props.Create(() => new FileCopyActor(node, copier));

    protected override ItemOutcome Run(PassContext ctx, WorkItem item, CancellationToken stop) => item.Kind switch
    {
        WorkKind.Copy => CopyBatch(ctx, item, stop),
        WorkKind.Link => LinkBatch(ctx, item, stop),
        WorkKind.Delete => DeleteBatch(ctx, item, stop),
        _ => throw new InvalidDataException($"a {LedgerNames.WorkKindName(item.Kind)} item is not a batch"),
    };

    private ItemOutcome CopyBatch(PassContext ctx, WorkItem item, CancellationToken cancel)
    {
        var entries = BatchCodec.DecodeCopies(item.Payload ?? throw new InvalidDataException("copy item without payload"));
        var kernelCopy = new KernelCopy();
        Action check = () => Node.CheckLease(item.Id);
        return ForEachEntry(ctx, item, entries, e => e.Name, cancel, (src, dst, entry, temp, warnings) =>
        {
            Node.CheckLease(item.Id);
            if (entry.FixesMetadata)
            {
                copier.FixMetadata(src, dst, entry.Name, entry.Target, warnings);
                return new PassCounters { MetadataFixed = 1 };
            }
            long bytes = copier.CopyEntry(src, dst, entry.Name, temp, entry.Action == EntryAction.CopyReplacingDirectory, warnings,
                seenAsFile: entry.Action is EntryAction.CopyFile or EntryAction.CreateFile, targetMissing: entry.Action == EntryAction.CreateFile,
                kernelCopy, check);
            return new PassCounters { FilesCopied = 1, BytesCopied = bytes };
        });
    }

    /// <summary>
    /// Makes each entry a hardlink of its leader's copy. Runs after every scan and copy of the pass,
    /// so the leader's copy is final: when it is missing or does not match (the leader failed or
    /// changed), the entry is copied on its own instead, and a later pass links it.
    /// </summary>
    private ItemOutcome LinkBatch(PassContext ctx, WorkItem item, CancellationToken cancel)
    {
        var entries = BatchCodec.DecodeLinks(item.Payload ?? throw new InvalidDataException("link item without payload"));
        return ForEachEntry(ctx, item, entries, e => e.Name, cancel,
            (src, dst, entry, temp, warnings) => LinkOne(ctx, item, src, dst, entry, temp, warnings));
    }

    /// <summary>Removes entries the source no longer has (delete pass). An entry already gone counts as removed.</summary>
    private ItemOutcome DeleteBatch(PassContext ctx, WorkItem item, CancellationToken cancel)
    {
        var names = BatchCodec.DecodeNames(item.Payload ?? throw new InvalidDataException("delete item without payload"));
        return ForEachEntry(ctx, item, names, n => n, cancel, needSource: false, (_, dst, name, _, _) =>
        {
            Node.CheckLease(item.Id);
            int e = Sys.TryUnlinkAt(dst, name, directory: false);
            if (e == Errno.EISDIR || e == Errno.EPERM && Sys.TryStat(dst, name, out var st) == 0 && st.Kind == EntryKind.Directory)
                TreeRemover.Remove(dst, name); // it became a directory since the scan
            else if (e != 0 && e != Errno.ENOENT)
                throw new PosixException("unlink", e);
            return new PassCounters { Deleted = 1 };
        });
    }

    private delegate PassCounters EntryAct<T>(int sourceDir, int targetDir, T entry, ReadOnlySpan<byte> temporary, List<PosixException> warnings);

    /// <summary>
    /// Runs <paramref name="act"/> on every entry of a batch with both directories open: a failure is
    /// recorded against its entry and the batch goes on; a warning is recorded and the entry still counts.
    /// </summary>
    private static ItemOutcome ForEachEntry<T>(PassContext ctx, WorkItem item, List<T> entries, Func<T, byte[]> nameOf,
        CancellationToken cancel, EntryAct<T> act) => ForEachEntry(ctx, item, entries, nameOf, cancel, needSource: true, act);

    /// <param name="needSource">false for removals: their directory may be gone from the source altogether.</param>
    private static ItemOutcome ForEachEntry<T>(PassContext ctx, WorkItem item, List<T> entries, Func<T, byte[]> nameOf,
        CancellationToken cancel, bool needSource, EntryAct<T> act)
    {
        var outcome = new ItemOutcome();
        if (!OpenPair(ctx, item, outcome, entries.Select(nameOf), needSource, out int src, out int dst)) return outcome;
        var warnings = new List<PosixException>();
        Span<byte> temporary = stackalloc byte[FileCopier.TemporaryNameMax];
        try
        {
            for (int i = 0; i < entries.Count; i++)
            {
                cancel.ThrowIfCancellationRequested();
                var entry = entries[i];
                warnings.Clear();
                try
                {
                    outcome.Add(act(src, dst, entry, FileCopier.TemporaryName(item.Id, i, temporary), warnings));
                }
                catch (PosixException e) { outcome.Fail(ByteNames.Join(item.Dir, nameOf(entry)), e.Operation, e.Errno, e.Reason); }
                catch (Exception e) when (e is FileChangedException or EntryReplacedException)
                {
                    outcome.Fail(ByteNames.Join(item.Dir, nameOf(entry)), "copy", 0, e.Message);
                }
                foreach (var w in warnings) outcome.Fail(ByteNames.Join(item.Dir, nameOf(entry)), w.Operation, w.Errno, w.Reason);
            }
            return outcome;
        }
        finally
        {
            Sys.Close(src);
            Sys.Close(dst);
        }
    }

    private PassCounters LinkOne(PassContext ctx, WorkItem item, int src, int dst, LinkEntry entry, ReadOnlySpan<byte> temp, List<PosixException> warnings)
    {
        Node.CheckLease(item.Id);
        var s = Sys.Stat(src, entry.Name);
        var (leaderDir, leaderName) = ByteNames.Split(entry.LeaderPath);
        int leaderFd = -1, leader = -1;
        try
        {
            // The leader's copy is checked through a handle, and that very inode is linked: its
            // directory may belong to a user who could swap the name meanwhile.
            try
            {
                leaderFd = Sys.OpenDirectoryBeneath(ctx.TargetRoot, leaderDir);
                leader = Sys.OpenHandle(leaderFd, leaderName);
            }
            catch (PosixException) { }
            bool leaderReady = leader >= 0 && s.Kind == EntryKind.File
                && Sys.Fstat(leader) is { Kind: EntryKind.File } lt
                && lt.Size == s.Size && ctx.TargetTimes.Holds(s.Mtime, lt.Mtime);
            if (!leaderReady)
            {
                long bytes = copier.CopyEntry(src, dst, entry.Name, temp, IsDirectory(dst, entry.Name), warnings, beforePublish: () => Node.CheckLease(item.Id));
                return new PassCounters { FilesCopied = 1, BytesCopied = bytes };
            }
            // The scan found this entry not linked yet; linking again after a crash is harmless.
            int e = Sys.TryUnlinkAt(dst, temp, directory: false);
            if (e != 0 && e != Errno.ENOENT) throw new PosixException("unlink temporary", e);
            e = Sys.TryLinkOpenFile(leader, dst, temp);
            // Without CAP_DAC_READ_SEARCH (not root) a handle cannot be linked: by name, which linkat does not follow.
            if (e is Errno.ENOENT or Errno.EPERM && !Sys.IsRoot) e = Sys.TryLinkAt(leaderFd, leaderName, dst, temp);
            if (e != 0) throw new PosixException("link", e);
            Node.CheckLease(item.Id);
            if (IsDirectory(dst, entry.Name)) TreeRemover.Remove(dst, entry.Name);
            Sys.RenameAt(dst, temp, entry.Name);
            return new PassCounters { HardLinks = 1 };
        }
        finally
        {
            Sys.Close(leader);
            Sys.Close(leaderFd);
        }
    }

    private static bool IsDirectory(int dirFd, ReadOnlySpan<byte> name) =>
        Sys.TryStat(dirFd, name, out var st) == 0 && st.Kind == EntryKind.Directory;

    /// <summary>Opens the batch's directory on both sides; if that fails, every entry of the batch is a failure.</summary>
    private static bool OpenPair(PassContext ctx, WorkItem item, ItemOutcome outcome, IEnumerable<byte[]> names, bool needSource, out int src, out int dst)
    {
        src = dst = -1;
        string op = "open source directory";
        try
        {
            if (needSource) src = Sys.OpenDirectoryBeneath(ctx.SourceRoot, item.Dir);
            op = "open target directory";
            dst = Sys.OpenDirectoryBeneath(ctx.TargetRoot, item.Dir);
            return true;
        }
        catch (PosixException e)
        {
            Sys.Close(src);
            src = -1;
            foreach (var name in names) outcome.Fail(ByteNames.Join(item.Dir, name), op, e.Errno, e.Reason);
            return false;
        }
    }
}
