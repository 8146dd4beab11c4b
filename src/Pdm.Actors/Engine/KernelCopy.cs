namespace Pdm.Engine;

/// <summary>
/// Which way of copying data works between the two directories of a batch, learnt from the first
/// refusal: copy_file_range (in the kernel, a server-side copy or a clone where the filesystem can),
/// else sendfile (one copy in the kernel, from the source's page cache into the target's), else read
/// and write. Between two filesystems copy_file_range mostly fails (EXDEV: ext4 to ext4, Lustre to
/// GPFS), and a filesystem without splice support refuses sendfile: a batch of small files pays one
/// refused call for each, not one per file. Where copy_file_range is refused, large ranges are
/// written direct instead while writeback is backlogged, if the target takes O_DIRECT
/// (<see cref="DirectCopy"/>).
/// </summary>
public sealed class KernelCopy
{
    public bool CopyFileRangeRefused { get; set; }

    public bool SendfileRefused { get; set; }

    public bool DirectRefused { get; set; }

    /// <summary>Writes large ranges direct whether or not writeback is backlogged (tests force the way with it).</summary>
    public bool DirectAlways { get; init; }

    /// <summary>Whether a large range is now better written direct.</summary>
    internal bool WritesDirect => !DirectRefused && (DirectAlways || WritebackGauge.IsBacklogged());
}
