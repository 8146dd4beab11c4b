using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Engine;

/// <summary>
/// The target takes no more writes: its filesystem has no room left (ENOSPC: blocks or inodes), a
/// quota on it is used up (EDQUOT), or it is read-only (EROFS: remounted so after an error, say).
/// That is not a fact of one file but of the target: every later write would fail the same way, and
/// a pass that went on would record each of millions of files as a failure. The item that met it is
/// not committed; its pass is interrupted with the reason, and resumed once the target can be written.
/// </summary>
public sealed class TargetUnwritableException(Failure failure) : Exception(Describe(failure))
{
    public Failure Failure { get; } = failure;

    private static string Describe(Failure f) =>
        $"{f.Errno switch
        {
            Errno.EDQUOT => "a quota on the target is used up",
            Errno.EROFS => "the target's filesystem is read-only",
            _ => "the target's filesystem is full",
        }}: {(f.Path.Length == 0 ? "." : ByteNames.Escape(f.Path))}: {f.Operation}: {f.Message} (errno {f.Errno})";

    /// <summary>Throws if the outcome holds a failure of the target as a whole.</summary>
    public static void ThrowIfIn(ItemOutcome outcome)
    {
        foreach (var f in outcome.Failures)
            if (IsOfTheTarget(f)) throw new TargetUnwritableException(f);
    }

    /// <summary>
    /// ENOSPC from an extended attribute is one file's: ext4 says so when a file's attributes do not
    /// fit in its inode and one block, however much room the filesystem has.
    /// </summary>
    public static bool IsOfTheTarget(Failure f) =>
        f.Errno is Errno.EDQUOT or Errno.EROFS || f.Errno == Errno.ENOSPC && !f.Operation.Contains("xattr", StringComparison.Ordinal);
}
