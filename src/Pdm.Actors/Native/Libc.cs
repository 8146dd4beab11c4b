using System.Runtime.InteropServices;

[module: System.Runtime.CompilerServices.SkipLocalsInit]

namespace Pdm.Native;

/// <summary>
/// The raw libc calls the engine uses, on byte paths and directory descriptors. Every call keeps
/// errno (SetLastError). Nothing outside <c>Pdm.Native</c> calls these directly: <see cref="Sys"/>
/// wraps them with NUL-termination and error reporting.
/// </summary>
internal static unsafe partial class Libc
{
    private const string C = "libc";

    [LibraryImport(C, EntryPoint = "openat", SetLastError = true)]
    internal static partial int openat(int dirFd, byte* path, int flags, uint mode);

    [LibraryImport(C, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long syscall_openat2(long number, int dirFd, byte* path, OpenHow* how, nuint size);

    /// <summary>Only for the commands whose argument is an int (F_GETFL, F_SETFL).</summary>
    [LibraryImport(C, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int fcntl(int fd, int command, int argument);

    [LibraryImport(C, EntryPoint = "close", SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport(C, EntryPoint = "statx", SetLastError = true)]
    internal static partial int statx(int dirFd, byte* path, int flags, uint mask, StatxBuffer* buffer);

    [LibraryImport(C, EntryPoint = "getdents64", SetLastError = true)]
    internal static partial nint getdents64(int fd, byte* buffer, nuint count);

    [LibraryImport(C, EntryPoint = "lseek", SetLastError = true)]
    internal static partial long lseek(int fd, long offset, int whence);

    [LibraryImport(C, EntryPoint = "mkdirat", SetLastError = true)]
    internal static partial int mkdirat(int dirFd, byte* path, uint mode);

    [LibraryImport(C, EntryPoint = "renameat", SetLastError = true)]
    internal static partial int renameat(int oldDirFd, byte* oldPath, int newDirFd, byte* newPath);

    [LibraryImport(C, EntryPoint = "unlinkat", SetLastError = true)]
    internal static partial int unlinkat(int dirFd, byte* path, int flags);

    [LibraryImport(C, EntryPoint = "symlinkat", SetLastError = true)]
    internal static partial int symlinkat(byte* target, int newDirFd, byte* linkPath);

    [LibraryImport(C, EntryPoint = "readlinkat", SetLastError = true)]
    internal static partial nint readlinkat(int dirFd, byte* path, byte* buffer, nuint size);

    [LibraryImport(C, EntryPoint = "linkat", SetLastError = true)]
    internal static partial int linkat(int oldDirFd, byte* oldPath, int newDirFd, byte* newPath, int flags);

    [LibraryImport(C, EntryPoint = "fchownat", SetLastError = true)]
    internal static partial int fchownat(int dirFd, byte* path, uint uid, uint gid, int flags);

    [LibraryImport(C, EntryPoint = "fchown", SetLastError = true)]
    internal static partial int fchown(int fd, uint uid, uint gid);

    [LibraryImport(C, EntryPoint = "fchmod", SetLastError = true)]
    internal static partial int fchmod(int fd, uint mode);

    [LibraryImport(C, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long syscall_fchmodat2(long number, int dirFd, byte* path, uint mode, int flags);

    [LibraryImport(C, EntryPoint = "chmod", SetLastError = true)]
    internal static partial int chmod(byte* path, uint mode);

    [LibraryImport(C, EntryPoint = "utimensat", SetLastError = true)]
    internal static partial int utimensat(int dirFd, byte* path, Timespec* times, int flags);

    [LibraryImport(C, EntryPoint = "futimens", SetLastError = true)]
    internal static partial int futimens(int fd, Timespec* times);

    [LibraryImport(C, EntryPoint = "copy_file_range", SetLastError = true)]
    internal static partial nint copy_file_range(int fdIn, long* offIn, int fdOut, long* offOut, nuint length, uint flags);

    [LibraryImport(C, EntryPoint = "sendfile64", SetLastError = true)]
    internal static partial nint sendfile(int outFd, int inFd, long* offset, nuint count);

    [LibraryImport(C, EntryPoint = "pread", SetLastError = true)]
    internal static partial nint pread(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport(C, EntryPoint = "pwrite", SetLastError = true)]
    internal static partial nint pwrite(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport(C, EntryPoint = "ftruncate", SetLastError = true)]
    internal static partial int ftruncate(int fd, long length);

    [LibraryImport(C, EntryPoint = "flistxattr", SetLastError = true)]
    internal static partial nint flistxattr(int fd, byte* list, nuint size);

    [LibraryImport(C, EntryPoint = "fgetxattr", SetLastError = true)]
    internal static partial nint fgetxattr(int fd, byte* name, byte* value, nuint size);

    [LibraryImport(C, EntryPoint = "fsetxattr", SetLastError = true)]
    internal static partial int fsetxattr(int fd, byte* name, byte* value, nuint size, int flags);

    [LibraryImport(C, EntryPoint = "fremovexattr", SetLastError = true)]
    internal static partial int fremovexattr(int fd, byte* name);

    // The same by path, for descriptors opened O_PATH (fifos and devices, which are not opened for
    // reading) through their /proc/self/fd link: the f* calls refuse those with EBADF.
    [LibraryImport(C, EntryPoint = "listxattr", SetLastError = true)]
    internal static partial nint listxattr(byte* path, byte* list, nuint size);

    [LibraryImport(C, EntryPoint = "getxattr", SetLastError = true)]
    internal static partial nint getxattr(byte* path, byte* name, byte* value, nuint size);

    [LibraryImport(C, EntryPoint = "setxattr", SetLastError = true)]
    internal static partial int setxattr(byte* path, byte* name, byte* value, nuint size, int flags);

    [LibraryImport(C, EntryPoint = "removexattr", SetLastError = true)]
    internal static partial int removexattr(byte* path, byte* name);

    [LibraryImport(C, EntryPoint = "mknodat", SetLastError = true)]
    internal static partial int mknodat(int dirFd, byte* path, uint mode, ulong dev);

    [LibraryImport(C, EntryPoint = "realpath", SetLastError = true)]
    internal static partial byte* realpath(byte* path, byte* resolved);

    [LibraryImport(C, EntryPoint = "free")]
    internal static partial void free(void* pointer);

    [LibraryImport(C, EntryPoint = "access", SetLastError = true)]
    internal static partial int access(byte* path, int mode);

    [LibraryImport(C, EntryPoint = "mkdir", SetLastError = true)]
    internal static partial int mkdir(byte* path, uint mode);

    [LibraryImport(C, EntryPoint = "geteuid")]
    internal static partial uint geteuid();

    [StructLayout(LayoutKind.Sequential)]
    internal struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>struct statx, 256 bytes; only the fields we read are named.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    internal struct StatxBuffer
    {
        [FieldOffset(0)] public uint Mask;
        [FieldOffset(16)] public uint Nlink;
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Ino;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(48)] public ulong Blocks;
        [FieldOffset(64)] public long AtimeSec;
        [FieldOffset(72)] public uint AtimeNsec;
        [FieldOffset(96)] public long CtimeSec;
        [FieldOffset(104)] public uint CtimeNsec;
        [FieldOffset(112)] public long MtimeSec;
        [FieldOffset(120)] public uint MtimeNsec;
        [FieldOffset(128)] public uint RdevMajor;
        [FieldOffset(132)] public uint RdevMinor;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;
    }
}

/// <summary>Flag values of the Linux ABI; O_DIRECTORY and O_NOFOLLOW differ between x86-64 and arm64.</summary>
internal static class Flags
{
    private static readonly bool Arm = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;

    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2;
    public const int O_CREAT = 0x40, O_EXCL = 0x80, O_NOCTTY = 0x100, O_TRUNC = 0x200, O_NONBLOCK = 0x800;
    public const int O_NOATIME = 0x40000, O_CLOEXEC = 0x80000;
    public static readonly int O_DIRECT = Arm ? 0x10000 : 0x4000;
    public static readonly int O_DIRECTORY = Arm ? 0x4000 : 0x10000;
    public static readonly int O_NOFOLLOW = Arm ? 0x8000 : 0x20000;
    public static readonly int O_TMPFILE = 0x400000 | O_DIRECTORY;
    public const int O_PATH = 0x200000;

    public const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;
    public const uint STATX_BASIC_STATS = 0x7ff;
    public const int F_GETFL = 3, F_SETFL = 4;
    public const int SEEK_SET = 0, SEEK_DATA = 3, SEEK_HOLE = 4;
    public const ulong RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_NO_SYMLINKS = 0x04, RESOLVE_BENEATH = 0x08;
    public const long SYS_openat2 = 437; // same number on x86-64 and arm64
    public const long SYS_fchmodat2 = 452; // Linux 6.6; same number on x86-64 and arm64
    public const int XATTR_CREATE = 1;
}

/// <summary>errno values the engine reacts to.</summary>
public static class Errno
{
    public const int EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, EBADF = 9, EAGAIN = 11, EACCES = 13,
        EEXIST = 17, EXDEV = 18, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENOSPC = 28, EROFS = 30, ERANGE = 34,
        ENAMETOOLONG = 36, ENOSYS = 38, ENOTEMPTY = 39, ELOOP = 40, ENODATA = 61, EOPNOTSUPP = 95, EDQUOT = 122;
}
