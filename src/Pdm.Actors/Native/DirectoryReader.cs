using System.Buffers;
using System.Buffers.Binary;

namespace Pdm.Native;

/// <summary>
/// Streams a directory's entries with getdents64, a buffer at a time, so a directory of
/// millions of entries never sits in memory. <see cref="Position"/> is the kernel's cookie of
/// the next entry: a scan that stored it can resume there after a crash
/// (<see cref="Seek"/>; cookies are stable on ext4, XFS, Lustre, NFS and tmpfs).
/// </summary>
public sealed class DirectoryReader : IDisposable
{
    private readonly int _fd;
    private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _length, _offset;
    private bool _eof;

    public DirectoryReader(int directoryFd) => _fd = directoryFd;

    /// <summary>Cookie of the entry after the last one returned (0 before the first).</summary>
    public long Position { get; private set; }

    public void Seek(long position)
    {
        long r = Sys.Lseek(_fd, position, Flags.SEEK_SET);
        if (r < 0) throw new PosixException("seekdir", (int)-r);
        Position = position;
        _length = _offset = 0;
        _eof = false;
    }

    /// <summary>The next entry other than "." and "..", or false at the end. The name is only
    /// valid until the next call.</summary>
    public bool Next(out ReadOnlySpan<byte> name, out EntryKind kind)
    {
        while (true)
        {
            if (_offset >= _length)
            {
                if (_eof) break;
                nint n = Sys.Getdents(_fd, _buffer);
                if (n < 0) throw new PosixException("getdents", (int)-n);
                if (n == 0) { _eof = true; break; }
                _length = (int)n;
                _offset = 0;
            }
            var record = _buffer.AsSpan(_offset);
            long next = BinaryPrimitives.ReadInt64LittleEndian(record[8..]);
            int recordLength = BinaryPrimitives.ReadUInt16LittleEndian(record[16..]);
            byte type = record[18];
            var raw = record[19..recordLength];
            int nul = raw.IndexOf((byte)0);
            var entry = nul >= 0 ? raw[..nul] : raw;
            _offset += recordLength;
            Position = next;
            if (entry.SequenceEqual("."u8) || entry.SequenceEqual(".."u8)) continue;
            name = entry;
            kind = type switch
            {
                1 => EntryKind.Fifo, 2 => EntryKind.CharDevice, 4 => EntryKind.Directory, 6 => EntryKind.BlockDevice,
                8 => EntryKind.File, 10 => EntryKind.Symlink, 12 => EntryKind.Socket, _ => EntryKind.Unknown,
            };
            return true;
        }
        name = default;
        kind = EntryKind.Unknown;
        return false;
    }

    public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);

    /// <summary>Whether the directory has no entries but "." and ".." (reads from the descriptor's offset: use a fresh one).</summary>
    public static bool IsEmpty(int directoryFd)
    {
        using var reader = new DirectoryReader(directoryFd);
        return !reader.Next(out _, out _);
    }
}
