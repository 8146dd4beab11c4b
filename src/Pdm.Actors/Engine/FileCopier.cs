using Pdm.Native;

namespace Pdm.Engine;

/// <summary>A source file changed (size, mtime or ctime) while it was copied, every time we tried.</summary>
public sealed class FileChangedException(int attempts)
    : Exception($"changed during copy ({attempts} attempts)");

/// <summary>
/// An entry of the target was not the one pdm made or compared when it came to act on it: someone
/// replaced it meanwhile. Nothing was done to what is there now.
/// </summary>
public sealed class EntryReplacedException(string message) : Exception(message);

/// <summary>
/// The single-entry actions of a copy pass, through directory descriptors: copy an entry to a
/// temporary name and rename it into place, fix metadata in place, apply a directory's metadata.
/// Errors that spoil the entry throw; lesser ones (an xattr the target cannot take) are added to
/// <c>warnings</c> and the entry is still copied.
/// </summary>
public sealed class FileCopier
{
    public const int ChangeRetries = 3;
    private const long ChunkBytes = 1L << 30;
    /// <summary>A file's data is copied in segments of this size, each deciding anew whether to write direct.</summary>
    private const long SegmentBytes = 64L << 20;
    private const int ReadWriteBytes = 128 << 10;

    /// <summary>How tree data is opened for reading: never blocking on a fifo, atime untouched as root.</summary>
    internal static readonly int SourceOpenFlags = Flags.O_RDONLY | Flags.O_NONBLOCK | (Sys.IsRoot ? Flags.O_NOATIME : 0);

    /// <summary>
    /// Whether a new file may be written unnamed (O_TMPFILE) and linked into place when complete: one
    /// change to the target directory per file instead of three (create the temporary, rename it over),
    /// and nothing left behind by a crash. Naming an open file needs root's CAP_DAC_READ_SEARCH; where
    /// the filesystem or the process cannot do it, the first refusal turns this off for the process.
    /// </summary>
    private static volatile bool s_unnamedTemporaries = Sys.IsRoot;

    /// <summary>Where a regular file's copy ended up.</summary>
    private enum Copied { NotAFile, AtTemporary, InPlace }

    /// <summary>
    /// Copies one non-directory entry; returns the bytes of data it holds (a regular file's size). With
    /// <paramref name="seenAsFile"/> (the scan saw a regular file) it opens the entry straight away and
    /// looks at it through the descriptor; it looks first only if that finds something else. With
    /// <paramref name="targetMissing"/> (the scan found no target entry) the copy may be written unnamed.
    /// <paramref name="beforePublish"/> runs before the copy makes any name in the target directory and
    /// just before it is put in place (a node checks it still holds the item: see
    /// <see cref="Actors.NodeContext.CheckLease"/>), and may throw to stop it. A temporary name changes
    /// the directory's mtime too, which another node may have finalized meanwhile if this one lost the
    /// item (it was frozen, or cut off from the ledger).
    /// </summary>
    public long CopyEntry(int sourceDir, int targetDir, ReadOnlySpan<byte> name, ReadOnlySpan<byte> temp, bool replaceDirectory,
        List<PosixException> warnings, bool seenAsFile = false, bool targetMissing = false, KernelCopy? kernelCopy = null,
        Action? beforePublish = null)
    {
        long bytes = 0;
        kernelCopy ??= new KernelCopy();
        beforePublish ??= NothingToCheck;
        var copied = seenAsFile ? TryCopyRegular(sourceDir, targetDir, name, temp, targetMissing, kernelCopy, warnings, beforePublish, out bytes) : Copied.NotAFile;
        if (copied == Copied.NotAFile)
        {
            var st = Sys.Stat(sourceDir, name);
            copied = Copied.AtTemporary;
            switch (st.Kind)
            {
                case EntryKind.File:
                    copied = TryCopyRegular(sourceDir, targetDir, name, temp, targetMissing: false, kernelCopy, warnings, beforePublish, out bytes);
                    if (copied == Copied.NotAFile) throw new PosixException("copy (entry changed type)", Errno.EINVAL);
                    break;
                case EntryKind.Symlink or EntryKind.Fifo or EntryKind.CharDevice or EntryKind.BlockDevice or EntryKind.Socket:
                    beforePublish(); // made under the temporary name first
                    CopySpecial(sourceDir, targetDir, name, temp, st, warnings);
                    break;
                default:
                    // It became a directory since the scan: the next pass will see it as one.
                    throw new PosixException("copy (entry changed type)", Errno.EISDIR);
            }
        }
        if (copied == Copied.InPlace) return bytes;
        try
        {
            beforePublish();
            if (replaceDirectory) TreeRemover.Remove(targetDir, name);
            Sys.RenameAt(targetDir, temp, name);
        }
        catch
        {
            RemoveTemporary(targetDir, temp);
            throw;
        }
        return bytes;
    }

    private static readonly Action NothingToCheck = () => { };

    /// <summary>
    /// Copies a regular file: to the temporary name, or (<paramref name="targetMissing"/>, as root) unnamed
    /// and then linked into place under its own name. NotAFile (nothing done) if the entry is not a regular file.
    /// </summary>
    private static Copied TryCopyRegular(int sourceDir, int targetDir, ReadOnlySpan<byte> name, ReadOnlySpan<byte> temp,
        bool targetMissing, KernelCopy kernelCopy, List<PosixException> warnings, Action beforePublish, out long bytes)
    {
        bytes = 0;
        int openError = Sys.TryOpenAt(sourceDir, name, SourceOpenFlags, 0, out int src);
        if (openError == Errno.ELOOP) return Copied.NotAFile; // a symlink (O_NOFOLLOW)
        if (openError != 0) throw new PosixException("open", openError);
        try
        {
            for (int attempt = 1; ; attempt++)
            {
                var before = Sys.Fstat(src);
                if (before.Kind != EntryKind.File) return Copied.NotAFile;
                if (!HasBeenQuiet(before))
                {
                    // Changed a moment ago: wait until it has been quiet for a while, or give up.
                    if (attempt >= ChangeRetries) throw new FileChangedException(attempt);
                    Thread.Sleep(QuietWindow);
                    continue;
                }
                bool unnamed = targetMissing && s_unnamedTemporaries;
                bool inherits = Xattrs.GivesDefaultAcl(targetDir);
                // Nobody can open an unnamed file by name: it is created with its final permissions,
                // which spares the fchmod when the umask leaves them whole, there are no special bits
                // and no default ACL of the directory masks them.
                int dst = unnamed ? CreateUnnamed(targetDir, before.Mode & 0x1FF, ref unnamed) : -1;
                if (!unnamed)
                {
                    beforePublish();
                    dst = CreateTemporary(targetDir, temp);
                }
                bool modeSet = unnamed && !inherits && (before.Mode & 0xE00) == 0 && (before.Mode & Sys.Umask & 0x1FF) == 0;
                bool keep = false;
                try
                {
                    CopyData(src, dst, before, kernelCopy);
                    try { Xattrs.Copy(src, dst, inherits ? ExtraXattrs.RemoveAcls : ExtraXattrs.Keep); }
                    catch (PosixException e) { warnings.Add(e); }
                    if (Sys.IsRoot) Sys.Fchown(dst, before.Uid, before.Gid);
                    if (!modeSet) Sys.Fchmod(dst, before.Mode);
                    Sys.Futimens(dst, before.Atime, before.Mtime);
                    var after = Sys.Fstat(src);
                    if (after.Size == before.Size && after.Mtime == before.Mtime && after.Ctime == before.Ctime)
                    {
                        if (unnamed) beforePublish();
                        var copied = unnamed ? Publish(dst, targetDir, name, temp, beforePublish) : Copied.AtTemporary;
                        if (copied == Copied.NotAFile)
                        {
                            attempt--; // could not name it: not a change of the source; again, named
                            continue;
                        }
                        keep = true;
                        bytes = before.Size;
                        return copied;
                    }
                }
                finally
                {
                    // A temporary someone else already removed (another attempt at this item, after this
                    // node lost it) may be theirs by now under the same name: only one still ours is removed.
                    bool stillNamed = !unnamed && !keep && dst >= 0 && Sys.Fstat(dst).Nlink > 0;
                    Sys.Close(dst); // an unnamed file not linked goes with it
                    if (stillNamed) RemoveTemporary(targetDir, temp);
                }
                if (attempt >= ChangeRetries) throw new FileChangedException(attempt);
            }
        }
        finally
        {
            Sys.Close(src);
        }
    }

    /// <summary>
    /// Copies a symlink, fifo, socket or device to the temporary name. Its owner, attributes, mode
    /// and times are set through a handle of the very entry just made (checked to be it), never by
    /// name: the owner of the target directory could swap the name meanwhile for a symlink to any
    /// file, and a chmod by name would follow it. Neither side is opened for reading (a fifo would
    /// wake a waiting writer, a device could act).
    /// </summary>
    private static void CopySpecial(int sourceDir, int targetDir, ReadOnlySpan<byte> name, ReadOnlySpan<byte> temp, in FileStat st,
        List<PosixException> warnings)
    {
        byte[]? link = st.Kind == EntryKind.Symlink ? Sys.ReadLinkAt(sourceDir, name) : null;
        int made = CreateSpecial(targetDir, temp, st, link);
        try
        {
            if (Sys.IsRoot) Sys.ChownHandle(made, st.Uid, st.Gid);
            if (link is null)
            {
                CopyXattrsToHandle(sourceDir, name, made, warnings); // before chmod: an ACL sets mode bits
                Sys.ChmodHandle(made, st.Mode); // after chown, which clears setuid
            }
            Sys.SetTimesHandle(made, st.Atime, st.Mtime);
        }
        finally
        {
            Sys.Close(made);
        }
    }

    /// <summary>
    /// Makes the entry (without permissions, so nobody can use it before it is complete) and returns a
    /// handle of it, checked to be what was just made: our own, of its kind and device number, with
    /// no other name and no permission bits yet. Anything else there was put by someone else.
    /// </summary>
    private static int CreateSpecial(int targetDir, ReadOnlySpan<byte> temp, in FileStat st, byte[]? link)
    {
        for (int attempt = 1; ; attempt++)
        {
            int e = link is null
                ? Sys.TryMknodAt(targetDir, temp, st.Kind, 0, st.RdevMajor, st.RdevMinor)
                : Sys.TrySymlinkAt(link, targetDir, temp);
            if (e == Errno.EEXIST && attempt == 1)
            {
                RemoveTemporary(targetDir, temp); // left by an attempt that died
                continue;
            }
            if (e != 0) throw new PosixException(link is null ? "mknod" : "symlink", e);
            break;
        }
        int fd = Sys.OpenHandle(targetDir, temp);
        var made = Sys.Fstat(fd);
        bool ours = made.Kind == st.Kind && made.Uid == Sys.Euid && made.Nlink == 1
            && (link is null
                ? made.Mode == 0 && made.RdevMajor == st.RdevMajor && made.RdevMinor == st.RdevMinor
                : made.Size == link.Length);
        if (ours) return fd;
        Sys.Close(fd);
        throw new EntryReplacedException("its temporary was replaced by another entry while it was being made");
    }

    /// <summary>A fifo's or a device's attributes onto the handle of its copy; the copy loses any it inherited from a default ACL.</summary>
    private static void CopyXattrsToHandle(int sourceDir, ReadOnlySpan<byte> name, int made, List<PosixException> warnings)
    {
        int src = -1;
        try
        {
            src = Sys.OpenHandle(sourceDir, name);
            Xattrs.Copy(src, made, ExtraXattrs.RemoveAcls);
        }
        catch (PosixException e) { warnings.Add(e); }
        finally
        {
            Sys.Close(src);
        }
    }

    /// <summary>An unnamed file in the target directory; -1 and <paramref name="unnamed"/> false where there can be none.</summary>
    private static int CreateUnnamed(int targetDir, uint permissions, ref bool unnamed)
    {
        int e = Sys.TryOpenUnnamed(targetDir, permissions, out int fd);
        if (e == 0) return fd;
        if (e is Errno.EOPNOTSUPP or Errno.EISDIR or Errno.EINVAL) s_unnamedTemporaries = false; // no O_TMPFILE here
        unnamed = false; // other errors (EPERM, ENOSPC...) are met again, and reported, creating the named temporary
        return -1;
    }

    /// <summary>
    /// Links the complete unnamed copy into place. If the name exists (an attempt that died after linking,
    /// or an entry made since the scan) the copy is linked to the temporary name instead, to be renamed
    /// over it as usual. NotAFile if the process may not name an open file: unnamed copies are then off.
    /// </summary>
    private static Copied Publish(int fd, int targetDir, ReadOnlySpan<byte> name, ReadOnlySpan<byte> temp, Action beforePublish)
    {
        int e = Sys.TryLinkOpenFile(fd, targetDir, name);
        if (e == 0) return Copied.InPlace;
        if (e is Errno.EPERM or Errno.ENOENT)
        {
            s_unnamedTemporaries = false; // no CAP_DAC_READ_SEARCH (a container's root, say)
            return Copied.NotAFile;
        }
        if (e != Errno.EEXIST) throw new PosixException("link into place", e);
        // The name appeared since the scan: made by whoever, in a cluster perhaps by the node that took
        // this item over while this one was frozen. Checked again before the temporary name is made
        // (which would change the directory's mtime, maybe finalized by then).
        beforePublish();
        e = Sys.TryLinkOpenFile(fd, targetDir, temp);
        if (e == Errno.EEXIST)
        {
            RemoveTemporary(targetDir, temp);
            e = Sys.TryLinkOpenFile(fd, targetDir, temp);
        }
        return e == 0 ? Copied.AtTemporary : throw new PosixException("link temporary", e);
    }

    /// <summary>
    /// Creates the temporary exclusively. Its name is the same on every attempt of the work item, so
    /// one that exists was left by an attempt that died: it is removed and created again. (No removal
    /// up front: that would be one more call for every file, for a case that happens after a crash.)
    /// </summary>
    private static int CreateTemporary(int targetDir, ReadOnlySpan<byte> temp)
    {
        const int flags = Flags.O_WRONLY | Flags.O_CREAT | Flags.O_EXCL;
        int e = Sys.TryOpenAt(targetDir, temp, flags, 0x180, out int fd);
        if (e == Errno.EEXIST)
        {
            RemoveTemporary(targetDir, temp);
            e = Sys.TryOpenAt(targetDir, temp, flags, 0x180, out fd);
        }
        return e == 0 ? fd : throw new PosixException("create temporary", e);
    }

    /// <summary>
    /// How long a file must have gone unchanged before it is copied. File timestamps come from a coarse
    /// clock (a tick of a few milliseconds locally, up to a second on some network filesystems): a write
    /// within the same tick as our first look leaves mtime and ctime as they were, and the check after
    /// the copy could not see it. Once the last change is older than a tick, any later write shows.
    /// </summary>
    public static readonly TimeSpan QuietWindow = TimeSpan.FromSeconds(1);

    internal static bool HasBeenQuiet(in FileStat st)
    {
        long age = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000 - st.Ctime.TotalNanoseconds;
        // A ctime far in the future is clock skew with a file server, not a change: it cannot be judged by age.
        return age >= (long)QuietWindow.TotalNanoseconds || age < -(long)QuietWindow.TotalNanoseconds;
    }

    /// <summary>
    /// Copies a file's data, only its data extents when it is sparse. A long file goes in segments, so
    /// that it starts writing direct as soon as writeback is backlogged, not only from the next file on.
    /// </summary>
    private static void CopyData(int src, int dst, in FileStat st, KernelCopy kernelCopy)
    {
        if (st.Size == 0) return;
        if (!st.IsSparse)
        {
            for (long segment = 0; segment < st.Size; segment += SegmentBytes)
                CopyRange(src, dst, segment, Math.Min(SegmentBytes, st.Size - segment), kernelCopy);
            return;
        }
        long offset = 0;
        while (offset < st.Size)
        {
            long data = Sys.Lseek(src, offset, Flags.SEEK_DATA);
            if (data < 0) break; // -ENXIO: only a hole remains
            long hole = Sys.Lseek(src, data, Flags.SEEK_HOLE);
            if (hole < 0) throw new PosixException("lseek", (int)-hole);
            hole = Math.Min(hole, st.Size);
            if (hole > data) CopyRange(src, dst, data, hole - data, kernelCopy);
            offset = hole;
        }
        Sys.Ftruncate(dst, st.Size);
    }

    internal static void CopyRange(int src, int dst, long offset, long length, KernelCopy kernelCopy)
    {
        long end = offset + length;
        if (!kernelCopy.CopyFileRangeRefused && CopyInKernel(src, dst, ref offset, end, kernelCopy)) return;
        if (length >= DirectCopy.MinBytes && kernelCopy.WritesDirect)
            DirectCopy.CopyAligned(src, dst, ref offset, end, kernelCopy);
        if (offset == end) return;
        if (!kernelCopy.SendfileRefused && Send(src, dst, ref offset, end, kernelCopy)) return;
        CopyByReading(src, dst, offset, end);
    }

    /// <summary>copy_file_range; false (with <paramref name="offset"/> where it stopped) if refused.</summary>
    private static bool CopyInKernel(int src, int dst, ref long offset, long end, KernelCopy kernelCopy)
    {
        long outOff = offset;
        while (offset < end)
        {
            long n = Sys.CopyFileRange(src, ref offset, dst, ref outOff, Math.Min(end - offset, ChunkBytes));
            if (n == 0) return true; // the file shrank: the change check after the copy catches it
            if (n > 0) continue;
            int e = (int)-n;
            if (e is not (Errno.EXDEV or Errno.EINVAL or Errno.ENOSYS or Errno.EOPNOTSUPP or Errno.EBADF))
                throw new PosixException("copy_file_range", e);
            kernelCopy.CopyFileRangeRefused = true;
            return false;
        }
        return true;
    }

    /// <summary>
    /// sendfile, which writes at the target's file position: a new file's is 0, so it is set only for a
    /// range further on (a sparse file's, or after a partial kernel copy); false (with
    /// <paramref name="offset"/> where it stopped) if refused. Between two filesystems this is the
    /// fastest way: one copy instead of read and write's two (a 1 GiB tree of four files, ext4 to
    /// ext4 on 4 threads: 0.26 s against 0.43 s with read and write).
    /// </summary>
    private static bool Send(int src, int dst, ref long offset, long end, KernelCopy kernelCopy)
    {
        if (offset != 0 && Sys.Lseek(dst, offset, Flags.SEEK_SET) is < 0 and var seekError) throw new PosixException("lseek", (int)-seekError);
        while (offset < end)
        {
            long n = Sys.Sendfile(dst, src, ref offset, Math.Min(end - offset, ChunkBytes));
            if (n == 0) return true; // the file shrank, as above
            if (n > 0) continue;
            int e = (int)-n;
            if (e is not (Errno.EINVAL or Errno.ENOSYS or Errno.EOPNOTSUPP)) throw new PosixException("sendfile", e);
            kernelCopy.SendfileRefused = true;
            return false;
        }
        return true;
    }

    /// <summary>
    /// Where the kernel can do neither: read and write through a buffer small enough to stay in the
    /// CPU's cache (128 KiB, as cp uses; 1 MiB made the same copy three times slower).
    /// </summary>
    private static void CopyByReading(int src, int dst, long offset, long end)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(ReadWriteBytes);
        try
        {
            while (offset < end)
            {
                int n = Sys.Pread(src, buffer.AsSpan(0, (int)Math.Min(ReadWriteBytes, end - offset)), offset);
                if (n == 0) return;
                Sys.PwriteAll(dst, buffer.AsSpan(0, n), offset);
                offset += n;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Gives an equal regular file the source's mode, times and xattrs without copying data, through a
    /// handle of the target entry that is checked to be the inode the scan compared
    /// (<paramref name="scanned"/>; null for a batch written before pdm recorded it: then a regular file).
    /// Never moves content between owners: the target must already have the source's owner and group
    /// (as root), and no setuid or setgid bit is added; anything else was replaced since the scan and is
    /// left as it is (the next pass copies it again).
    /// </summary>
    public void FixMetadata(int sourceDir, int targetDir, ReadOnlySpan<byte> name, FileId? scanned, List<PosixException> warnings)
    {
        int src = Sys.OpenAt(sourceDir, name, SourceOpenFlags);
        try
        {
            int dst = Sys.OpenHandle(targetDir, name);
            try
            {
                var t = Sys.Fstat(dst);
                if (t.Kind != EntryKind.File || (scanned is { } id && t.Id != id))
                    throw new EntryReplacedException("the target entry was replaced since the scan compared it");
                var st = Sys.Fstat(src);
                if (!Equality.MayFixInPlace(st, t, compareOwner: Sys.IsRoot))
                    throw new EntryReplacedException("the target entry's owner or mode changed since the scan compared it");
                ApplyMetadata(src, dst, st, warnings); // --checksum may find equal content with other times
            }
            finally
            {
                Sys.Close(dst);
            }
        }
        finally
        {
            Sys.Close(src);
        }
    }

    /// <summary>
    /// A directory's own metadata, applied once everything inside it is done. Only what differs is
    /// set: on a pass that finds nothing changed a directory costs two fstat calls, and its ctime stays.
    /// Times are compared to the step of the target's (<paramref name="targetTimes"/>). Only the mtime
    /// decides whether they are set: an atime that alone differs means the source directory was read
    /// since (users keep working), which is no change, just as a file's atime is none; `pdm mtime`
    /// sets both, exactly.
    /// </summary>
    public void ApplyDirectoryMetadata(int sourceDirFd, int targetDirFd, TimeGranularity targetTimes,
        List<PosixException> warnings)
    {
        var st = Sys.Fstat(sourceDirFd);
        var current = Sys.Fstat(targetDirFd);
        try { Xattrs.Copy(sourceDirFd, targetDirFd, ExtraXattrs.Remove); }
        catch (PosixException e) { warnings.Add(e); }
        bool chown = Sys.IsRoot && (current.Uid != st.Uid || current.Gid != st.Gid);
        if (chown) Sys.Fchown(targetDirFd, st.Uid, st.Gid);
        if (chown || (current.Mode & 0xFFF) != (st.Mode & 0xFFF)) Sys.Fchmod(targetDirFd, st.Mode);
        if (!targetTimes.Holds(st.Mtime, current.Mtime)) Sys.Futimens(targetDirFd, st.Atime, st.Mtime);
    }

    /// <summary>The source's mode, times and xattrs onto a handle of the target (an O_PATH descriptor) that already has its owner.</summary>
    private static void ApplyMetadata(int src, int dst, in FileStat st, List<PosixException> warnings)
    {
        try { Xattrs.Copy(src, dst, ExtraXattrs.Remove); }
        catch (PosixException e) { warnings.Add(e); }
        Sys.ChmodHandle(dst, st.Mode);
        Sys.SetTimesHandle(dst, st.Atime, st.Mtime);
    }

    internal static void RemoveTemporary(int targetDir, ReadOnlySpan<byte> temp)
    {
        int e = Sys.TryUnlinkAt(targetDir, temp, directory: false);
        if (e != 0 && e != Errno.ENOENT) throw new PosixException("unlink temporary", e);
    }

    public const string TemporaryPrefix = ".pdm-tmp.";

    /// <summary>Room for the longest temporary name: the prefix, a long, a dot and an int.</summary>
    public const int TemporaryNameMax = 9 + 20 + 1 + 11;

    /// <summary>
    /// Writes the temporary name of entry <paramref name="index"/> of work item <paramref name="itemId"/>
    /// (the same on every attempt) into <paramref name="into"/>, of at least <see cref="TemporaryNameMax"/>
    /// bytes, and returns it. Formatted in place: this runs for every file copied.
    /// </summary>
    public static ReadOnlySpan<byte> TemporaryName(long itemId, int index, Span<byte> into) =>
        System.Text.Unicode.Utf8.TryWrite(into, $"{TemporaryPrefix}{itemId}.{index}", out int written)
            ? into[..written]
            : throw new ArgumentException($"needs {TemporaryNameMax} bytes", nameof(into));
}
