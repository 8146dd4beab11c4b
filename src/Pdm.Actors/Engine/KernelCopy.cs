namespace Pdm.Engine;

/// <summary>
/// Whether copy_file_range works between the two directories of a batch. Between two filesystems it
/// mostly does not (EXDEV: ext4 to ext4, Lustre to GPFS): the first refusal is remembered, so a batch
/// of small files pays one refused call, not one per file, and reads and writes the rest directly.
/// </summary>
public sealed class KernelCopy
{
    public bool Refused { get; set; }
}
