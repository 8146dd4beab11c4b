using Pdm.Native;

namespace Pdm.Engine;

/// <summary>
/// A file big enough to copy in byte ranges, as the scan saw it: ranges are copied by any threads of
/// any nodes into one temporary (named after the file's assemble item), and the assemble item renames
/// it into place once every range is done, so no reader ever sees a partial file. The scan's view is
/// the reference: a range or an assemble that finds the source otherwise (size, inode, mtime, ctime)
/// does not copy it, and the file is reported changed, once, by its assemble.
/// </summary>
public sealed record SplitFile(byte[] Name, long Size, FileId Source, TimeNs Mtime, TimeNs Ctime, bool ReplaceDirectory)
{
    public static SplitFile Of(ReadOnlySpan<byte> name, in FileStat st, bool replaceDirectory) =>
        new(name.ToArray(), st.Size, st.Id, st.Mtime, st.Ctime, replaceDirectory);

    /// <summary>Whether the source is still what the scan saw.</summary>
    public bool Matches(in FileStat st) =>
        st.Kind == EntryKind.File && st.Size == Size && st.Id == Source && st.Mtime == Mtime && st.Ctime == Ctime;

    /// <summary>The ranges of a file of <paramref name="size"/> bytes, <paramref name="rangeBytes"/> each (the last one shorter).</summary>
    public static IEnumerable<(long Offset, long Length)> Ranges(long size, long rangeBytes)
    {
        for (long offset = 0; offset < size; offset += rangeBytes) yield return (offset, Math.Min(rangeBytes, size - offset));
    }
}

/// <summary>The two acts on a split file: copy one range into its temporary, and assemble (metadata, then rename into place).</summary>
public static class SplitFileCopier
{
    /// <summary>A range is written in segments of this size, its node checking between them that the item is still its own.</summary>
    private const long SegmentBytes = 64L << 20;

    /// <summary>The temporary of a split file: the same for all its ranges and its assemble, on every attempt.</summary>
    public static ReadOnlySpan<byte> TemporaryName(long assembleId, Span<byte> into) => FileCopier.TemporaryName(assembleId, 0, into);

    /// <summary>
    /// Copies bytes [offset, offset + length) of the source into the temporary (created by whichever
    /// range comes first). False if the source is not what the scan saw: nothing is claimed of it, and
    /// its assemble reports the change.
    /// </summary>
    /// <param name="beforeEachSegment">runs before each 64 MiB of the range (a node checks it still holds the item), and may throw to stop it</param>
    public static bool CopyRange(int sourceDir, int targetDir, SplitFile file, long offset, long length, ReadOnlySpan<byte> temp, KernelCopy kernelCopy,
        Action beforeEachSegment)
    {
        int src = Sys.OpenAt(sourceDir, file.Name, FileCopier.SourceOpenFlags);
        int dst = -1;
        try
        {
            var st = Sys.Fstat(src);
            if (!file.Matches(st)) return false;
            if (!FileCopier.HasBeenQuiet(st))
            {
                // Changed a moment ago (within a tick of the clock): a change now could leave the times as they are.
                Thread.Sleep(FileCopier.QuietWindow);
                if (!file.Matches(Sys.Fstat(src))) return false;
            }
            dst = OpenTemporary(targetDir, temp, create: true);
            for (long segment = offset, end = offset + length; segment < end; segment += SegmentBytes)
            {
                beforeEachSegment();
                long segmentEnd = Math.Min(end, segment + SegmentBytes);
                if (st.IsSparse) CopyData(src, dst, segment, segmentEnd, kernelCopy);
                else FileCopier.CopyRange(src, dst, segment, segmentEnd - segment, kernelCopy);
            }
            return file.Matches(Sys.Fstat(src));
        }
        finally
        {
            Sys.Close(dst);
            Sys.Close(src);
        }
    }

    /// <summary>Only the data extents of a sparse file's range; the holes stay holes (the assemble sets the length).</summary>
    private static void CopyData(int src, int dst, long offset, long end, KernelCopy kernelCopy)
    {
        while (offset < end)
        {
            long data = Sys.Lseek(src, offset, Flags.SEEK_DATA);
            if (data < 0 || data >= end) return; // only a hole remains in this range
            long hole = Math.Min(Sys.Lseek(src, data, Flags.SEEK_HOLE) is var h && h < 0 ? end : h, end);
            if (hole > data) FileCopier.CopyRange(src, dst, data, hole - data, kernelCopy);
            offset = hole;
        }
    }

    /// <summary>
    /// Every range is done: gives the temporary its length and the source's metadata, checks the source
    /// did not change meanwhile, and renames it into place. Returns the file's size. A file whose range
    /// failed (<paramref name="rangeFailed"/>, already reported) or that changed is not put in place.
    /// </summary>
    /// <param name="beforePublish">runs before anything is changed and before the rename (a node checks it still holds the item); may throw to stop it</param>
    public static long Assemble(int sourceDir, int targetDir, SplitFile file, ReadOnlySpan<byte> temp, bool rangeFailed, List<PosixException> warnings,
        Action beforePublish)
    {
        beforePublish();
        if (rangeFailed)
        {
            FileCopier.RemoveTemporary(targetDir, temp);
            return -1;
        }
        int src = Sys.OpenAt(sourceDir, file.Name, FileCopier.SourceOpenFlags);
        int dst = -1;
        bool removeIfNotPlaced = true;
        try
        {
            var st = Sys.Fstat(src);
            if (!file.Matches(st)) throw new FileChangedException(1);
            dst = OpenTemporary(targetDir, temp, create: file.Size == 0);
            Sys.Ftruncate(dst, file.Size);
            bool inherits = Xattrs.GivesDefaultAcl(targetDir);
            try { Xattrs.Copy(src, dst, inherits ? ExtraXattrs.RemoveAcls : ExtraXattrs.Keep); }
            catch (PosixException e) { warnings.Add(e); }
            if (Sys.IsRoot) Sys.Fchown(dst, st.Uid, st.Gid);
            Sys.Fchmod(dst, st.Mode); // after chown, which clears setuid
            Sys.Futimens(dst, st.Atime, st.Mtime);
            if (!file.Matches(Sys.Fstat(src))) throw new FileChangedException(1);
            Sys.Close(dst);
            dst = -1;
            // A node that no longer holds the item leaves the temporary alone: it is the new holder's now.
            removeIfNotPlaced = false;
            beforePublish();
            removeIfNotPlaced = true;
            if (file.ReplaceDirectory && Sys.TryStat(targetDir, file.Name, out var there) == 0 && there.Kind == EntryKind.Directory)
                TreeRemover.Remove(targetDir, file.Name);
            Sys.RenameAt(targetDir, temp, file.Name);
            removeIfNotPlaced = false;
            return file.Size;
        }
        finally
        {
            Sys.Close(dst);
            Sys.Close(src);
            if (removeIfNotPlaced) FileCopier.RemoveTemporary(targetDir, temp);
        }
    }

    /// <summary>
    /// Opens the temporary for writing, checked to be a regular file of ours with no other name (O_NOFOLLOW
    /// already refuses a symlink): anything else there was put by someone else, and is not written through.
    /// </summary>
    private static int OpenTemporary(int targetDir, ReadOnlySpan<byte> temp, bool create)
    {
        int e = Sys.TryOpenAt(targetDir, temp, Flags.O_WRONLY | (create ? Flags.O_CREAT : 0), 0x180, out int fd);
        if (e == Errno.ENOENT && !create) throw new PosixException("open temporary (its ranges' copy is gone)", e);
        if (e != 0) throw new PosixException("open temporary", e);
        var t = Sys.Fstat(fd);
        if (t.Kind == EntryKind.File && t.Uid == Sys.Euid && t.Nlink == 1) return fd;
        Sys.Close(fd);
        throw new EntryReplacedException("its temporary was replaced by another entry while its ranges were copied");
    }
}
