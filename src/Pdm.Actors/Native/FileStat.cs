namespace Pdm.Native;

public enum EntryKind : byte { Unknown = 0, File, Directory, Symlink, Fifo, CharDevice, BlockDevice, Socket }

/// <summary>A point in time in nanoseconds since the epoch (negative before 1970).</summary>
public readonly record struct TimeNs(long Seconds, uint Nanoseconds)
{
    public long TotalNanoseconds => Seconds * 1_000_000_000L + Nanoseconds;
}

/// <summary>Which inode an entry is: its device and inode number.</summary>
public readonly record struct FileId(ulong Dev, ulong Ino);

/// <summary>What lstat tells of one entry (from statx, with nanosecond times). Mode holds the 07777 bits only.</summary>
public readonly record struct FileStat(
    EntryKind Kind, uint Mode, uint Uid, uint Gid, long Size, long Blocks, uint Nlink,
    ulong Dev, ulong Ino, uint RdevMajor, uint RdevMinor, TimeNs Atime, TimeNs Mtime, TimeNs Ctime)
{
    /// <summary>Whether the file has fewer allocated blocks than its size needs: it has holes.</summary>
    public bool IsSparse => Kind == EntryKind.File && Blocks * 512 < Size;

    public FileId Id => new(Dev, Ino);

    internal static EntryKind KindOf(uint mode) => (mode & 0xF000) switch
    {
        0x8000 => EntryKind.File,
        0x4000 => EntryKind.Directory,
        0xA000 => EntryKind.Symlink,
        0x1000 => EntryKind.Fifo,
        0x2000 => EntryKind.CharDevice,
        0x6000 => EntryKind.BlockDevice,
        0xC000 => EntryKind.Socket,
        _ => EntryKind.Unknown,
    };

    internal static uint TypeBits(EntryKind kind) => kind switch
    {
        EntryKind.File => 0x8000,
        EntryKind.Directory => 0x4000,
        EntryKind.Symlink => 0xA000,
        EntryKind.Fifo => 0x1000,
        EntryKind.CharDevice => 0x2000,
        EntryKind.BlockDevice => 0x6000,
        EntryKind.Socket => 0xC000,
        _ => 0,
    };

    internal static FileStat From(in Libc.StatxBuffer b) => new(
        KindOf(b.Mode), (uint)b.Mode & 0xFFF, b.Uid, b.Gid, (long)b.Size, (long)b.Blocks, b.Nlink,
        ((ulong)b.DevMajor << 32) | b.DevMinor, b.Ino, b.RdevMajor, b.RdevMinor,
        new TimeNs(b.AtimeSec, b.AtimeNsec), new TimeNs(b.MtimeSec, b.MtimeNsec), new TimeNs(b.CtimeSec, b.CtimeNsec));
}
