using Pdm.Native;

namespace Pdm.Engine;

/// <summary>
/// The step of a filesystem's timestamps: 1 ns on ext4, XFS or GPFS, 1 s on Lustre or an ext4 of
/// 128-byte inodes. A target coarser than its source cannot hold the source's times: it truncates
/// them, and an exact comparison would find every copied file changed on every later pass. So
/// times are compared "to the coarser precision of the two filesystems" (GUIDE §2): a target time
/// matches if it is the source's, or the source's truncated to the target's step.
/// </summary>
public readonly record struct TimeGranularity
{
    public static readonly TimeGranularity Nanosecond = new(1);
    public static readonly TimeGranularity Second = new(NanosPerSecond);

    private const long NanosPerSecond = 1_000_000_000;

    /// <summary>A power of ten from 1 to 10^9.</summary>
    public long Nanoseconds { get; }

    private TimeGranularity(long nanoseconds) => Nanoseconds = nanoseconds;

    /// <summary>Whether <paramref name="target"/> is <paramref name="source"/> as a filesystem of this step holds it.</summary>
    public bool Holds(TimeNs source, TimeNs target) =>
        source == target || (Nanoseconds > 1 && target == Truncated(source));

    /// <summary>As the kernel stores a time on such a filesystem: rounded down (nanoseconds are never negative).</summary>
    private TimeNs Truncated(TimeNs t) => new(t.Seconds, t.Nanoseconds - (uint)(t.Nanoseconds % Nanoseconds));

    /// <summary>
    /// The step of a filesystem, read off times its kernel set (ctimes: no program can choose
    /// them): the largest power of ten, up to a second, that divides every one's nanoseconds. On a
    /// nanosecond filesystem one ctime in ten ends in 0 by chance, so take several; a step guessed
    /// too coarse only lets a target time that is the source's truncated to it count as the same.
    /// </summary>
    public static TimeGranularity Infer(IEnumerable<TimeNs> kernelTimes)
    {
        long step = NanosPerSecond;
        foreach (var t in kernelTimes)
            while (step > 1 && t.Nanoseconds % step != 0) step /= 10;
        return new TimeGranularity(step);
    }

    /// <summary>
    /// The step of the filesystem holding directory <paramref name="dirFd"/>, from the ctimes of
    /// the directory and of up to <paramref name="samples"/> entries in it. Only reads; an entry
    /// that cannot be read is not a sample.
    /// </summary>
    public static TimeGranularity OfDirectory(int dirFd, int samples = 16)
    {
        var dir = Sys.Fstat(dirFd);
        var ctimes = new List<TimeNs> { dir.Ctime };
        int fd = -1;
        try
        {
            fd = Sys.OpenAt(dirFd, "."u8, Sys.DirectoryOpenFlags); // its own position for getdents
            using var reader = new DirectoryReader(fd);
            while (ctimes.Count <= samples && reader.Next(out var name, out _))
                if (Sys.TryStat(fd, name, out var st) == 0 && st.Dev == dir.Dev) ctimes.Add(st.Ctime); // not a mount inside
        }
        catch (PosixException) { } // the samples so far decide
        finally
        {
            Sys.Close(fd);
        }
        return Infer(ctimes);
    }
}
