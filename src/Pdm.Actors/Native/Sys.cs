using System.Runtime.InteropServices;

namespace Pdm.Native;

/// <summary>
/// Byte-name wrappers over <see cref="Libc"/>. "Try" calls return 0 or an errno, so that the
/// expected misses of a hot path (a target that does not exist yet) cost no exception; the others
/// throw <see cref="PosixException"/>. Names are single path components; only
/// <see cref="OpenDirectoryBeneath"/> takes a relative path.
/// </summary>
public static unsafe class Sys
{
    private const int Small = 4352; // a name (<= 255) or a path chunk (< 4096) plus its NUL

    /// <summary>The effective uid: the owner of every entry pdm creates.</summary>
    public static readonly uint Euid = Libc.geteuid();

    public static readonly bool IsRoot = Euid == 0;

    /// <summary>
    /// How directories of either tree are opened for listing: as root without moving their atime
    /// (O_NOATIME; only an owner or root may ask it). Reading a source directory must leave it as it
    /// was, and a target directory read moves an atime the pass set from its source's, which the next
    /// pass would then set again (changing the ctime of every directory of an unchanged tree).
    /// </summary>
    public static readonly int DirectoryOpenFlags = Flags.O_RDONLY | Flags.O_DIRECTORY | (IsRoot ? Flags.O_NOATIME : 0);

    /// <summary>The process's umask, from /proc/self/status (0777, as if everything were masked, where it cannot be read).</summary>
    public static readonly uint Umask = ReadUmask();

    private static uint ReadUmask()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("Umask:", StringComparison.Ordinal))
                    return Convert.ToUInt32(line["Umask:".Length..].Trim(), 8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        return 0x1FF;
    }

    private static int LastErrno => Marshal.GetLastPInvokeError();

    private static Span<byte> Z(ReadOnlySpan<byte> s, Span<byte> buffer)
    {
        s.CopyTo(buffer);
        buffer[s.Length] = 0;
        return buffer;
    }

    private static void Check(int rc, string op)
    {
        if (rc < 0) throw new PosixException(op, LastErrno);
    }

    public static void Close(int fd)
    {
        if (fd >= 0) Libc.close(fd);
    }

    public static int TryStat(int dirFd, ReadOnlySpan<byte> name, out FileStat stat)
    {
        Libc.StatxBuffer b;
        Span<byte> buf = name.Length < Small ? stackalloc byte[Small] : new byte[name.Length + 1];
        fixed (byte* p = Z(name, buf))
        {
            if (Libc.statx(dirFd, p, Flags.AT_SYMLINK_NOFOLLOW, Flags.STATX_BASIC_STATS, &b) < 0)
            {
                stat = default;
                return LastErrno;
            }
        }
        stat = FileStat.From(b);
        return 0;
    }

    /// <summary>lstat of a whole path (only for the roots an admin names).</summary>
    public static int TryStatPath(ReadOnlySpan<byte> path, out FileStat stat) => TryStat(Flags.AT_FDCWD, path, out stat);

    public static FileStat Stat(int dirFd, ReadOnlySpan<byte> name)
    {
        int e = TryStat(dirFd, name, out var st);
        return e == 0 ? st : throw new PosixException("lstat", e);
    }

    public static FileStat Fstat(int fd)
    {
        Libc.StatxBuffer b;
        byte empty = 0;
        if (Libc.statx(fd, &empty, Flags.AT_EMPTY_PATH | Flags.AT_SYMLINK_NOFOLLOW, Flags.STATX_BASIC_STATS, &b) < 0)
            throw new PosixException("fstat", LastErrno);
        return FileStat.From(b);
    }

    /// <summary>openat(2) of one name; O_NOFOLLOW and O_CLOEXEC are always added.</summary>
    public static int TryOpenAt(int dirFd, ReadOnlySpan<byte> name, int flags, uint mode, out int fd)
    {
        Span<byte> buf = stackalloc byte[Small];
        fixed (byte* p = Z(name, buf))
        {
            do fd = Libc.openat(dirFd, p, flags | Flags.O_NOFOLLOW | Flags.O_CLOEXEC, mode);
            while (fd < 0 && LastErrno == Errno.EINTR);
        }
        return fd < 0 ? LastErrno : 0;
    }

    public static int OpenAt(int dirFd, ReadOnlySpan<byte> name, int flags, uint mode = 0)
    {
        int e = TryOpenAt(dirFd, name, flags, mode, out int fd);
        return e == 0 ? fd : throw new PosixException("open", e);
    }

    /// <summary>
    /// Opens the directory at <paramref name="relativePath"/> below <paramref name="rootFd"/>
    /// without following any symlink and without leaving the tree (openat2 RESOLVE_BENEATH |
    /// RESOLVE_NO_SYMLINKS), so a directory swapped for a symlink cannot redirect us. Paths
    /// longer than the kernel's PATH_MAX are opened a chunk at a time.
    /// </summary>
    public static int OpenDirectoryBeneath(int rootFd, ReadOnlySpan<byte> relativePath)
    {
        int flags = DirectoryOpenFlags | Flags.O_NOFOLLOW | Flags.O_CLOEXEC;
        if (relativePath.IsEmpty)
            return OpenAt(rootFd, "."u8, DirectoryOpenFlags);
        int current = rootFd;
        Span<byte> buf = stackalloc byte[Small];
        try
        {
            while (true)
            {
                ReadOnlySpan<byte> chunk = relativePath;
                if (chunk.Length >= 4000)
                {
                    int cut = chunk[..4000].LastIndexOf((byte)'/');
                    chunk = chunk[..(cut > 0 ? cut : 4000)];
                }
                relativePath = relativePath[chunk.Length..].TrimStart((byte)'/');
                var how = new Libc.OpenHow
                {
                    Flags = (ulong)flags,
                    Resolve = Flags.RESOLVE_BENEATH | Flags.RESOLVE_NO_SYMLINKS | Flags.RESOLVE_NO_MAGICLINKS,
                };
                long fd;
                fixed (byte* p = Z(chunk, buf))
                {
                    do fd = Libc.syscall_openat2(Flags.SYS_openat2, current, p, &how, (nuint)sizeof(Libc.OpenHow));
                    while (fd < 0 && LastErrno == Errno.EINTR);
                }
                if (fd < 0) throw new PosixException("open directory", LastErrno);
                if (current != rootFd) Close(current);
                current = (int)fd;
                if (relativePath.IsEmpty) return current;
            }
        }
        catch
        {
            if (current != rootFd) Close(current);
            throw;
        }
    }

    public static int TryMkdirAt(int dirFd, ReadOnlySpan<byte> name, uint mode)
    {
        Span<byte> buf = stackalloc byte[Small];
        fixed (byte* p = Z(name, buf))
            return Libc.mkdirat(dirFd, p, mode) < 0 ? LastErrno : 0;
    }

    public static void RenameAt(int dirFd, ReadOnlySpan<byte> from, ReadOnlySpan<byte> to)
    {
        Span<byte> a = stackalloc byte[Small], b = stackalloc byte[Small];
        fixed (byte* pa = Z(from, a))
        fixed (byte* pb = Z(to, b))
            Check(Libc.renameat(dirFd, pa, dirFd, pb), "rename");
    }

    public static int TryUnlinkAt(int dirFd, ReadOnlySpan<byte> name, bool directory)
    {
        Span<byte> buf = stackalloc byte[Small];
        fixed (byte* p = Z(name, buf))
            return Libc.unlinkat(dirFd, p, directory ? Flags.AT_REMOVEDIR : 0) < 0 ? LastErrno : 0;
    }

    public static int TrySymlinkAt(ReadOnlySpan<byte> target, int dirFd, ReadOnlySpan<byte> name)
    {
        Span<byte> a = target.Length < Small ? stackalloc byte[Small] : new byte[target.Length + 1];
        Span<byte> b = stackalloc byte[Small];
        fixed (byte* pt = Z(target, a))
        fixed (byte* pn = Z(name, b))
            return Libc.symlinkat(pt, dirFd, pn) < 0 ? LastErrno : 0;
    }

    public static byte[] ReadLinkAt(int dirFd, ReadOnlySpan<byte> name)
    {
        Span<byte> buf = stackalloc byte[Small];
        byte[] target = new byte[4097];
        fixed (byte* p = Z(name, buf))
        fixed (byte* t = target)
        {
            nint n = Libc.readlinkat(dirFd, p, t, (nuint)target.Length);
            if (n < 0) throw new PosixException("readlink", LastErrno);
            return target.AsSpan(0, (int)n).ToArray();
        }
    }

    /// <summary>Opens a new regular file without a name in a directory (O_TMPFILE); an errno if the filesystem cannot.</summary>
    public static int TryOpenUnnamed(int dirFd, uint mode, out int fd) =>
        TryOpenAt(dirFd, "."u8, Flags.O_TMPFILE | Flags.O_WRONLY, mode, out fd);

    /// <summary>
    /// Gives the inode of a descriptor (an unnamed file, or a handle of an entry checked a moment ago)
    /// a name: linkat with AT_EMPTY_PATH, which needs CAP_DAC_READ_SEARCH (root has it; else ENOENT).
    /// </summary>
    public static int TryLinkOpenFile(int fd, int toDirFd, ReadOnlySpan<byte> to)
    {
        Span<byte> b = stackalloc byte[Small];
        byte empty = 0;
        fixed (byte* pb = Z(to, b))
            return Libc.linkat(fd, &empty, toDirFd, pb, Flags.AT_EMPTY_PATH) < 0 ? LastErrno : 0;
    }

    public static int TryLinkAt(int fromDirFd, ReadOnlySpan<byte> from, int toDirFd, ReadOnlySpan<byte> to)
    {
        Span<byte> a = stackalloc byte[Small], b = stackalloc byte[Small];
        fixed (byte* pa = Z(from, a))
        fixed (byte* pb = Z(to, b))
            return Libc.linkat(fromDirFd, pa, toDirFd, pb, 0) < 0 ? LastErrno : 0;
    }

    public static int TryMknodAt(int dirFd, ReadOnlySpan<byte> name, EntryKind kind, uint permissions, uint major, uint minor)
    {
        ulong dev = ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8)
                  | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);
        Span<byte> buf = stackalloc byte[Small];
        fixed (byte* p = Z(name, buf))
            return Libc.mknodat(dirFd, p, FileStat.TypeBits(kind) | permissions, dev) < 0 ? LastErrno : 0;
    }

    public static void Fchown(int fd, uint uid, uint gid) => Check(Libc.fchown(fd, uid, gid), "chown");

    public static void Fchmod(int fd, uint mode) => Check(Libc.fchmod(fd, mode), "chmod");

    // ---- handles: descriptors opened O_PATH | O_NOFOLLOW ------------------------------------------
    // An entry in a directory that another user can write is acted on through a descriptor of the
    // very inode pdm created or checked, never by its name again: between two calls by name the
    // owner of the directory can swap the name for a symlink (or another entry), and a call that
    // follows it would act outside the tree (GUIDE §4, README "Safety as root").

    /// <summary>An O_PATH descriptor of the entry itself (a symlink is not followed); nothing is opened for reading.</summary>
    public static int TryOpenHandle(int dirFd, ReadOnlySpan<byte> name, out int fd) => TryOpenAt(dirFd, name, Flags.O_PATH, 0, out fd);

    public static int OpenHandle(int dirFd, ReadOnlySpan<byte> name)
    {
        int e = TryOpenHandle(dirFd, name, out int fd);
        return e == 0 ? fd : throw new PosixException("open", e);
    }

    /// <summary>
    /// Opens for reading the very inode a handle refers to, through its /proc/self/fd link (never
    /// through a name again): for an entry whose kind was checked on the handle first.
    /// </summary>
    public static int ReopenHandle(int handle, int flags)
    {
        Span<byte> path = stackalloc byte[ProcFdPathMax];
        int fd;
        fixed (byte* pp = ProcFdPath(handle, path))
        {
            do fd = Libc.openat(Flags.AT_FDCWD, pp, flags | Flags.O_CLOEXEC, 0);
            while (fd < 0 && LastErrno == Errno.EINTR);
        }
        return fd >= 0 ? fd : throw new PosixException("open", LastErrno);
    }

    /// <summary>chown of what the descriptor refers to (fchownat AT_EMPTY_PATH: an O_PATH symlink's own owner).</summary>
    public static void ChownHandle(int fd, uint uid, uint gid)
    {
        byte empty = 0;
        Check(Libc.fchownat(fd, &empty, uid, gid, Flags.AT_EMPTY_PATH), "chown");
    }

    /// <summary>
    /// chmod of what the descriptor refers to, an O_PATH one included: fchmodat2 with AT_EMPTY_PATH
    /// (Linux 6.6), else chmod of its /proc/self/fd link, which leads to that inode and no other.
    /// </summary>
    public static void ChmodHandle(int fd, uint mode)
    {
        byte empty = 0;
        if (!s_noFchmodat2)
        {
            long r = Libc.syscall_fchmodat2(Flags.SYS_fchmodat2, fd, &empty, mode, Flags.AT_EMPTY_PATH);
            if (r == 0) return;
            if (LastErrno != Errno.ENOSYS) throw new PosixException("chmod", LastErrno);
            s_noFchmodat2 = true;
        }
        Span<byte> path = stackalloc byte[ProcFdPathMax];
        fixed (byte* pp = ProcFdPath(fd, path)) Check(Libc.chmod(pp, mode), "chmod");
    }

    private static volatile bool s_noFchmodat2;

    /// <summary>utimensat of what the descriptor refers to (AT_EMPTY_PATH: an O_PATH symlink's own times).</summary>
    public static void SetTimesHandle(int fd, TimeNs atime, TimeNs mtime)
    {
        var times = stackalloc Libc.Timespec[2];
        Times(atime, mtime, times);
        byte empty = 0;
        Check(Libc.utimensat(fd, &empty, times, Flags.AT_EMPTY_PATH), "utimensat");
    }

    public static void Futimens(int fd, TimeNs atime, TimeNs mtime)
    {
        var times = stackalloc Libc.Timespec[2];
        Times(atime, mtime, times);
        Check(Libc.futimens(fd, times), "utimensat");
    }

    private static void Times(TimeNs atime, TimeNs mtime, Libc.Timespec* into)
    {
        into[0] = new Libc.Timespec { Seconds = atime.Seconds, Nanoseconds = atime.Nanoseconds };
        into[1] = new Libc.Timespec { Seconds = mtime.Seconds, Nanoseconds = mtime.Nanoseconds };
    }

    /// <summary>copy_file_range; returns bytes copied (0 at end of file) or -errno.</summary>
    public static long CopyFileRange(int from, ref long fromOffset, int to, ref long toOffset, long length)
    {
        fixed (long* a = &fromOffset)
        fixed (long* b = &toOffset)
        {
            nint n;
            do n = Libc.copy_file_range(from, a, to, b, (nuint)length, 0);
            while (n < 0 && LastErrno == Errno.EINTR);
            return n < 0 ? -LastErrno : n;
        }
    }

    /// <summary>sendfile from <paramref name="from"/> at <paramref name="fromOffset"/> to <paramref name="to"/>'s file position; returns bytes copied (0 at end of file) or -errno.</summary>
    public static long Sendfile(int to, int from, ref long fromOffset, long length)
    {
        fixed (long* a = &fromOffset)
        {
            nint n;
            do n = Libc.sendfile(to, from, a, (nuint)length);
            while (n < 0 && LastErrno == Errno.EINTR);
            return n < 0 ? -LastErrno : n;
        }
    }

    /// <summary>Turns O_DIRECT on or off for an open file; 0, or the errno (EINVAL: the filesystem cannot).</summary>
    public static int TrySetDirect(int fd, bool on)
    {
        int flags = Libc.fcntl(fd, Flags.F_GETFL, 0);
        if (flags < 0) return LastErrno;
        int wanted = on ? flags | Flags.O_DIRECT : flags & ~Flags.O_DIRECT;
        return wanted == flags || Libc.fcntl(fd, Flags.F_SETFL, wanted) == 0 ? 0 : LastErrno;
    }

    public static int Pread(int fd, Span<byte> buffer, long offset)
    {
        fixed (byte* p = buffer)
        {
            nint n;
            do n = Libc.pread(fd, p, (nuint)buffer.Length, offset);
            while (n < 0 && LastErrno == Errno.EINTR);
            if (n < 0) throw new PosixException("read", LastErrno);
            return (int)n;
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the file ends; returns the bytes read.</summary>
    public static int PreadFull(int fd, Span<byte> buffer, long offset)
    {
        int done = 0, n;
        while (done < buffer.Length && (n = Pread(fd, buffer[done..], offset + done)) > 0) done += n;
        return done;
    }

    public static void PwriteAll(int fd, ReadOnlySpan<byte> buffer, long offset)
    {
        fixed (byte* p = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                nint n = Libc.pwrite(fd, p + done, (nuint)(buffer.Length - done), offset + done);
                if (n < 0 && LastErrno == Errno.EINTR) continue;
                if (n < 0) throw new PosixException("write", LastErrno);
                done += (int)n;
            }
        }
    }

    public static void Ftruncate(int fd, long length) => Check(Libc.ftruncate(fd, length), "truncate");

    /// <summary>lseek; returns the offset or -errno (SEEK_DATA past the last data gives -ENXIO).</summary>
    public static long Lseek(int fd, long offset, int whence)
    {
        long r = Libc.lseek(fd, offset, whence);
        return r < 0 ? -LastErrno : r;
    }

    // Extended attributes through a descriptor. One opened O_PATH (a fifo or a device: opening those
    // for reading could block, or act on the device) is refused by the f* calls with EBADF, and is
    // then reached by its /proc/self/fd link, which leads to the entry without opening it.

    private static nint FListXattr(int fd, byte* list, nuint size)
    {
        nint n = Libc.flistxattr(fd, list, size);
        if (!RetryByPath(fd, n)) return n;
        Span<byte> path = stackalloc byte[ProcFdPathMax];
        fixed (byte* pp = ProcFdPath(fd, path)) return Libc.listxattr(pp, list, size);
    }

    private static nint FGetXattr(int fd, byte* name, byte* value, nuint size)
    {
        nint n = Libc.fgetxattr(fd, name, value, size);
        if (!RetryByPath(fd, n)) return n;
        Span<byte> path = stackalloc byte[ProcFdPathMax];
        fixed (byte* pp = ProcFdPath(fd, path)) return Libc.getxattr(pp, name, value, size);
    }

    private static int FSetXattr(int fd, byte* name, byte* value, nuint size)
    {
        int r = Libc.fsetxattr(fd, name, value, size, 0);
        if (!RetryByPath(fd, r)) return r;
        Span<byte> path = stackalloc byte[ProcFdPathMax];
        fixed (byte* pp = ProcFdPath(fd, path)) return Libc.setxattr(pp, name, value, size, 0);
    }

    private static int FRemoveXattr(int fd, byte* name)
    {
        int r = Libc.fremovexattr(fd, name);
        if (!RetryByPath(fd, r)) return r;
        Span<byte> path = stackalloc byte[ProcFdPathMax];
        fixed (byte* pp = ProcFdPath(fd, path)) return Libc.removexattr(pp, name);
    }

    /// <summary>
    /// Whether an f*xattr call that returned <paramref name="result"/> is to be made again by path:
    /// it failed with EBADF and fd is an O_PATH descriptor (a descriptor that is not open at all
    /// keeps its EBADF, and its number is never looked up under /proc).
    /// </summary>
    private static bool RetryByPath(int fd, nint result)
    {
        if (result >= 0 || LastErrno != Errno.EBADF) return false;
        int flags = Libc.fcntl(fd, Flags.F_GETFL, 0);
        if (flags >= 0 && (flags & Flags.O_PATH) != 0) return true;
        Marshal.SetLastPInvokeError(Errno.EBADF);
        return false;
    }

    private const int ProcFdPathMax = 32;

    /// <summary>"/proc/self/fd/N", NUL-terminated, in <paramref name="into"/>.</summary>
    private static Span<byte> ProcFdPath(int fd, Span<byte> into) =>
        System.Text.Unicode.Utf8.TryWrite(into, $"/proc/self/fd/{fd}\0", out int written)
            ? into[..written]
            : throw new ArgumentException($"needs {ProcFdPathMax} bytes", nameof(into));

    /// <summary>The names of fd's extended attributes, NUL-separated; empty when it has none.</summary>
    public static byte[] ListXattrs(int fd)
    {
        while (true)
        {
            nint size = FListXattr(fd, null, 0);
            if (size < 0)
            {
                int e = LastErrno;
                if (e is Errno.EOPNOTSUPP) return [];
                throw new PosixException("listxattr", e);
            }
            if (size == 0) return [];
            byte[] list = new byte[size];
            fixed (byte* p = list)
            {
                nint n = FListXattr(fd, p, (nuint)list.Length);
                if (n >= 0) return list.AsSpan(0, (int)n).ToArray();
                if (LastErrno != Errno.ERANGE) throw new PosixException("listxattr", LastErrno);
            }
        }
    }

    /// <summary>An attribute's value, or null when it vanished meanwhile.</summary>
    public static byte[]? GetXattr(int fd, ReadOnlySpan<byte> name)
    {
        Span<byte> buf = stackalloc byte[Small];
        fixed (byte* pn = Z(name, buf))
        {
            while (true)
            {
                nint size = FGetXattr(fd, pn, null, 0);
                if (size < 0)
                {
                    if (LastErrno == Errno.ENODATA) return null;
                    throw new PosixException("getxattr", LastErrno);
                }
                byte[] value = new byte[size];
                fixed (byte* pv = value)
                {
                    nint n = FGetXattr(fd, pn, pv, (nuint)value.Length);
                    if (n >= 0) return value.AsSpan(0, (int)n).ToArray();
                    if (LastErrno != Errno.ERANGE) throw new PosixException("getxattr", LastErrno);
                }
            }
        }
    }

    /// <summary>
    /// 0 if fd has the attribute <paramref name="name"/>, else the errno: ENODATA without it,
    /// EOPNOTSUPP where the filesystem has none. One call, no copy of the value.
    /// </summary>
    public static int ProbeXattr(int fd, ReadOnlySpan<byte> name)
    {
        Span<byte> buf = stackalloc byte[Small];
        fixed (byte* pn = Z(name, buf))
            return FGetXattr(fd, pn, null, 0) >= 0 ? 0 : LastErrno;
    }

    public static void SetXattr(int fd, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        Span<byte> buf = stackalloc byte[Small];
        fixed (byte* pn = Z(name, buf))
        fixed (byte* pv = value)
            Check(FSetXattr(fd, pn, pv, (nuint)value.Length), "setxattr");
    }

    public static void RemoveXattr(int fd, ReadOnlySpan<byte> name)
    {
        Span<byte> buf = stackalloc byte[Small];
        fixed (byte* pn = Z(name, buf))
            if (FRemoveXattr(fd, pn) < 0 && LastErrno != Errno.ENODATA)
                throw new PosixException("removexattr", LastErrno);
    }

    // ---- whole paths: only for the roots an admin names on the command line ----------------------

    /// <summary>realpath(3): the canonical absolute path, or null with the errno.</summary>
    public static byte[]? RealPath(ReadOnlySpan<byte> path, out int errno)
    {
        Span<byte> buf = path.Length < Small ? stackalloc byte[Small] : new byte[path.Length + 1];
        fixed (byte* p = Z(path, buf))
        {
            byte* r = Libc.realpath(p, null);
            if (r == null)
            {
                errno = LastErrno;
                return null;
            }
            errno = 0;
            var result = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(r).ToArray();
            Libc.free(r);
            return result;
        }
    }

    /// <summary>access(2) with W_OK: 0 or the errno (EROFS for a read-only mount, even for root).</summary>
    public static int CheckWritable(ReadOnlySpan<byte> path)
    {
        Span<byte> buf = path.Length < Small ? stackalloc byte[Small] : new byte[path.Length + 1];
        fixed (byte* p = Z(path, buf))
            return Libc.access(p, 2) < 0 ? LastErrno : 0;
    }

    public static int TryMkdir(ReadOnlySpan<byte> path, uint mode)
    {
        Span<byte> buf = path.Length < Small ? stackalloc byte[Small] : new byte[path.Length + 1];
        fixed (byte* p = Z(path, buf))
            return Libc.mkdir(p, mode) < 0 ? LastErrno : 0;
    }

    public static string ErrorMessage(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    internal static nint Getdents(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            nint n;
            do n = Libc.getdents64(fd, p, (nuint)buffer.Length);
            while (n < 0 && LastErrno == Errno.EINTR);
            return n < 0 ? -LastErrno : n;
        }
    }
}
