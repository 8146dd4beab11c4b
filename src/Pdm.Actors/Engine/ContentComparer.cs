using System.Buffers;
using Pdm.Native;

namespace Pdm.Engine;

/// <summary>Whether two regular files hold the same bytes (copy --checksum, verify --checksum): read side by side, no hash needed.</summary>
public static class ContentComparer
{
    private const int Chunk = 1 << 20;

    public static bool Same(int sourceDir, int targetDir, ReadOnlySpan<byte> name)
    {
        int a = Sys.OpenAt(sourceDir, name, Flags.O_RDONLY | Flags.O_NONBLOCK | (Sys.IsRoot ? Flags.O_NOATIME : 0));
        int b = -1;
        var x = ArrayPool<byte>.Shared.Rent(Chunk);
        var y = ArrayPool<byte>.Shared.Rent(Chunk);
        try
        {
            b = Sys.OpenAt(targetDir, name, Flags.O_RDONLY | Flags.O_NONBLOCK | (Sys.IsRoot ? Flags.O_NOATIME : 0));
            for (long offset = 0; ; offset += Chunk)
            {
                int n = ReadFull(a, x, offset);
                int m = ReadFull(b, y, offset);
                if (n != m || !x.AsSpan(0, n).SequenceEqual(y.AsSpan(0, m))) return false;
                if (n < Chunk) return true;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(x);
            ArrayPool<byte>.Shared.Return(y);
            Sys.Close(a);
            Sys.Close(b);
        }
    }

    private static int ReadFull(int fd, byte[] buffer, long offset)
    {
        int total = 0;
        while (total < Chunk)
        {
            int n = Sys.Pread(fd, buffer.AsSpan(total, Chunk - total), offset + total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
