using Pdm.Native;

namespace Pdm.Engine;

/// <summary>
/// Whether the kernel's writeback is backlogged: the machine's dirty and under-writeback pages at
/// half its background writeback threshold or more (all three from /proc/vmstat). Below that, the
/// page cache takes a copy's writes for the price of a memory copy. From the threshold on the kernel
/// writes back alongside the copy, and a little further it stalls every writer until the disk catches
/// up; large files then go faster written direct (<see cref="DirectCopy"/>). Read at most every 20 ms,
/// by whichever thread asks; where /proc/vmstat cannot be read, never backlogged.
/// </summary>
public static class WritebackGauge
{
    private const long RereadMilliseconds = 20;
    private static long s_readAt = long.MinValue / 2;
    private static volatile bool s_backlogged;

    public static bool IsBacklogged()
    {
        long now = Environment.TickCount64;
        if (now - Volatile.Read(ref s_readAt) < RereadMilliseconds) return s_backlogged;
        Volatile.Write(ref s_readAt, now); // other threads keep the last answer meanwhile
        return s_backlogged = ReadBacklogged();
    }

    private static bool ReadBacklogged()
    {
        if (Sys.TryOpenAt(Flags.AT_FDCWD, "/proc/vmstat"u8, Flags.O_RDONLY, 0, out int fd) != 0) return false;
        try
        {
            Span<byte> text = stackalloc byte[16384]; // about 6 KB on Linux 6
            return IsBacklogged(text[..Sys.PreadFull(fd, text, 0)]);
        }
        catch (PosixException)
        {
            return false;
        }
        finally
        {
            Sys.Close(fd);
        }
    }

    /// <summary>The rule, on the text of /proc/vmstat; false where one of its figures is missing.</summary>
    public static bool IsBacklogged(ReadOnlySpan<byte> vmstat)
    {
        long dirty = -1, writeback = -1, threshold = -1;
        foreach (var range in vmstat.Split((byte)'\n'))
        {
            var line = vmstat[range];
            int space = line.IndexOf((byte)' ');
            if (space <= 0 || !long.TryParse(line[(space + 1)..], out long value)) continue;
            var name = line[..space];
            if (name.SequenceEqual("nr_dirty"u8)) dirty = value;
            else if (name.SequenceEqual("nr_writeback"u8)) writeback = value;
            else if (name.SequenceEqual("nr_dirty_background_threshold"u8)) threshold = value;
        }
        return dirty >= 0 && writeback >= 0 && threshold > 0 && 2 * (dirty + writeback) >= threshold;
    }
}
