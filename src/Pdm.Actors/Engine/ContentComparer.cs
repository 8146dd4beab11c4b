using System.Buffers;
using Pdm.Native;

namespace Pdm.Engine;

/// <summary>
/// Whether two regular files of the same size hold the same bytes (copy --checksum, verify --checksum):
/// read side by side, no hash needed. The holes of a sparse source are not read: there the target
/// must read as zeros, which its own holes do without reading them either.
/// </summary>
public static class ContentComparer
{
    private const int Chunk = 1 << 20;

    public static bool Same(int sourceDir, int targetDir, ReadOnlySpan<byte> name)
    {
        int flags = FileCopier.SourceOpenFlags;
        int a = Sys.OpenAt(sourceDir, name, flags);
        int b = -1;
        var x = ArrayPool<byte>.Shared.Rent(Chunk);
        var y = ArrayPool<byte>.Shared.Rent(Chunk);
        try
        {
            b = OpenTargetFile(targetDir, name, flags);
            var st = Sys.Fstat(a);
            if (b < 0 || Sys.Fstat(b).Size != st.Size) return false;
            if (!st.IsSparse) return SameRange(a, b, 0, st.Size, x, y);
            for (long offset = 0; offset < st.Size;)
            {
                long data = Sys.Lseek(a, offset, Flags.SEEK_DATA);
                if (data < 0) data = st.Size; // -ENXIO: a hole to the end
                if (data > offset && !ReadsAsZeros(b, offset, data, y)) return false;
                if (data >= st.Size) break;
                long hole = Math.Min(Sys.Lseek(a, data, Flags.SEEK_HOLE) is var h && h < 0 ? st.Size : h, st.Size);
                if (!SameRange(a, b, data, hole, x, y)) return false;
                offset = hole;
            }
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(x);
            ArrayPool<byte>.Shared.Return(y);
            Sys.Close(a);
            Sys.Close(b);
        }
    }

    /// <summary>
    /// Opens the target entry for reading only if it is a regular file (checked on a handle first, then
    /// that inode reopened): a device a user put in its place is never opened. -1 if it is not a file.
    /// </summary>
    private static int OpenTargetFile(int targetDir, ReadOnlySpan<byte> name, int flags)
    {
        int handle = Sys.OpenHandle(targetDir, name);
        try
        {
            return Sys.Fstat(handle).Kind == EntryKind.File ? Sys.ReopenHandle(handle, flags) : -1;
        }
        finally
        {
            Sys.Close(handle);
        }
    }

    private static bool SameRange(int a, int b, long from, long to, byte[] x, byte[] y)
    {
        for (long offset = from; offset < to; offset += Chunk)
        {
            int want = (int)Math.Min(Chunk, to - offset);
            int n = Sys.PreadFull(a, x.AsSpan(0, want), offset);
            int m = Sys.PreadFull(b, y.AsSpan(0, want), offset);
            if (n != m || !x.AsSpan(0, n).SequenceEqual(y.AsSpan(0, m))) return false;
            if (n < want) return true; // both ended early (changed meanwhile): the caller's size checks decide
        }
        return true;
    }

    /// <summary>Whether [from, to) of fd is all zeros, reading only where fd has data.</summary>
    private static bool ReadsAsZeros(int fd, long from, long to, byte[] buffer)
    {
        for (long offset = from; offset < to;)
        {
            long data = Sys.Lseek(fd, offset, Flags.SEEK_DATA);
            if (data < 0 || data >= to) return true;
            long hole = Sys.Lseek(fd, data, Flags.SEEK_HOLE) is var h && h < 0 ? to : Math.Min(h, to);
            for (long o = data; o < hole; o += Chunk)
            {
                int n = Sys.PreadFull(fd, buffer.AsSpan(0, (int)Math.Min(Chunk, hole - o)), o);
                if (buffer.AsSpan(0, n).ContainsAnyExcept((byte)0)) return false;
                if (n == 0) break;
            }
            offset = hole;
        }
        return true;
    }
}
