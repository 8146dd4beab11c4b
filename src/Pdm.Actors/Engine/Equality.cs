using Pdm.Native;

namespace Pdm.Engine;

/// <summary>What a copy pass must do about one source entry, given the target's entry.</summary>
public enum Verdict
{
    /// <summary>Same type, size, mtime (and link target or device): nothing to do.</summary>
    Equal,
    /// <summary>Same content and owner, but the mode differs (and no setuid or setgid bit is to be added): fix it in place, copy no data.</summary>
    MetadataDiffers,
    /// <summary>The target has no entry of this name.</summary>
    Missing,
    /// <summary>Different content or type (and the target is not a directory): copy over it.</summary>
    Differs,
    /// <summary>The source entry is not a directory but the target's is: remove that tree, then copy.</summary>
    ReplaceDirectory,
}

/// <summary>
/// The copy pass's equality, in one place (GUIDE §2): a target entry matches when type, size and
/// mtime agree (to the nanosecond, or to the step of a coarser target's timestamps), for symlinks
/// the link target too, for devices the device number.
/// Mode is metadata, fixed in place. Owner and group (compared only when running as root, who can set
/// them) are not: size and mtime are no proof of content, so a file of another owner is copied again
/// through a temporary rather than chowned, which would give one user's bytes another's name (a user
/// who can write the target directory plants her bytes where root's setuid binary was). A setuid or
/// setgid bit is likewise never added in place: only to an inode pdm writes.
/// Directories always "match"; their own metadata is applied when they are finalized.
/// </summary>
public static class Equality
{
    /// <param name="linkTargetsEqual">for two symlinks: whether readlink gives the same bytes (the caller reads them).</param>
    /// <param name="targetTimes">the step of the target's timestamps; default: exact</param>
    public static Verdict Compare(in FileStat source, in FileStat? target, bool compareOwner, bool linkTargetsEqual = true,
        TimeGranularity targetTimes = default)
    {
        if (target is not { } t) return Verdict.Missing;
        if (source.Kind == EntryKind.Directory)
            return t.Kind == EntryKind.Directory ? Verdict.Equal : Verdict.Differs;
        if (t.Kind == EntryKind.Directory) return Verdict.ReplaceDirectory;
        if (t.Kind != source.Kind) return Verdict.Differs;
        bool sameContent = source.Kind switch
        {
            EntryKind.File => source.Size == t.Size && targetTimes.Holds(source.Mtime, t.Mtime),
            EntryKind.Symlink => source.Size == t.Size && linkTargetsEqual,
            EntryKind.CharDevice or EntryKind.BlockDevice => source.RdevMajor == t.RdevMajor && source.RdevMinor == t.RdevMinor,
            _ => true,
        };
        if (!sameContent) return Verdict.Differs;
        bool sameOwner = SameOwner(source, t, compareOwner);
        bool sameMode = source.Kind == EntryKind.Symlink || source.Mode == t.Mode;
        if (sameOwner && sameMode) return Verdict.Equal;
        // Only a regular file has data worth sparing; anything else is cheaper to make anew.
        return source.Kind == EntryKind.File && MayFixInPlace(source, t, compareOwner) ? Verdict.MetadataDiffers : Verdict.Differs;
    }

    /// <summary>
    /// Whether the target's metadata may be set to the source's in place, its data kept: only if it has
    /// the source's owner and group already (when owners count) and would gain no setuid or setgid bit.
    /// The one rule for the scan's verdict, --checksum's, and the fix itself.
    /// </summary>
    public static bool MayFixInPlace(in FileStat source, in FileStat target, bool compareOwner) =>
        SameOwner(source, target, compareOwner) && (source.Mode & ~target.Mode & SpecialBits) == 0;

    private static bool SameOwner(in FileStat source, in FileStat target, bool compareOwner) =>
        !compareOwner || (source.Uid == target.Uid && source.Gid == target.Gid);

    /// <summary>setuid and setgid.</summary>
    private const uint SpecialBits = 0xC00;
}
