using Pdm.Engine;
using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Actors;

/// <summary>
/// What a node holds open for one pass it works on: the roots of source and target, opened once
/// by the absolute paths the admin gave; every path below them is resolved from these descriptors.
/// </summary>
public sealed class PassContext : IDisposable
{
    public PassInfo Pass { get; }
    public int SourceRoot { get; }
    /// <summary>The target's root; -1 when a dry run finds none.</summary>
    public int TargetRoot { get; }
    /// <summary>The source root's inode: found again below either root, it is not descended into.</summary>
    public FileId SourceRootId { get; }
    /// <summary>The target root's inode (default when there is none yet): never scanned as part of the source.</summary>
    public FileId TargetRootId { get; }
    /// <summary>The step of the target's timestamps: times are compared to it (<see cref="TimeGranularity"/>).</summary>
    public TimeGranularity TargetTimes { get; }

    internal PassContext(PassInfo pass, int sourceRoot, int targetRoot)
    {
        Pass = pass;
        SourceRoot = sourceRoot;
        TargetRoot = targetRoot;
        TargetTimes = targetRoot >= 0 ? TimeGranularity.OfDirectory(targetRoot) : TimeGranularity.Nanosecond;
        SourceRootId = Sys.Fstat(sourceRoot).Id;
        TargetRootId = targetRoot >= 0 ? Sys.Fstat(targetRoot).Id : default;
    }

    /// <summary>
    /// Whether a directory met during a scan is one of the pass's roots, reached again through a mount
    /// (a bind mount of the target inside the source, say, perhaps made after the pass began). Such a
    /// directory is never descended into: a copy into its own source would never end, and a delete
    /// pass would remove the source.
    /// </summary>
    public string? RootReachedAgain(in FileStat directory)
    {
        if (directory.Kind != EntryKind.Directory) return null;
        if (directory.Id == TargetRootId) return "is the pass's target directory, reached again through a mount: not descended into";
        if (directory.Id == SourceRootId) return "is the pass's source directory, reached again through a mount: not descended into";
        return null;
    }

    public static PassContext Open(PassInfo pass)
    {
        int src = Sys.OpenAt(Flags.AT_FDCWD, pass.Source, Sys.DirectoryOpenFlags);
        try
        {
            // A dry run does not create the target: there may be none (-1), and then everything is missing.
            int e = Sys.TryOpenAt(Flags.AT_FDCWD, pass.Target, Sys.DirectoryOpenFlags, 0, out int dst);
            if (e != 0 && !(e == Errno.ENOENT && pass.Options.DryRun)) throw new PosixException("open target", e);
            return new PassContext(pass, src, e == 0 ? dst : -1);
        }
        catch
        {
            Sys.Close(src);
            throw;
        }
    }

    public void Dispose()
    {
        Sys.Close(SourceRoot);
        Sys.Close(TargetRoot);
    }
}

/// <summary>Tuning of how work is cut into items.</summary>
/// <param name="InlineEntries">entries a scan may take in below its directory to finish small unchanged
/// subtrees itself (see <see cref="DirectoryActor"/>); 0 turns that off</param>
/// <param name="InlineDirectoryBytes">a subdirectory larger than this (st_size) is never taken in</param>
/// <param name="InlineDepth">how deep below its directory a scan may take subtrees in</param>
/// <param name="RangeBytes">a regular file of at least twice this size is copied in ranges of this size (<see cref="Engine.SplitFile"/>)</param>
public sealed record WorkLimits(int BatchEntries = 512, long BatchBytes = 64L << 20, int CheckpointEntries = 8192,
    int InlineEntries = 2048, long InlineDirectoryBytes = 32768, int InlineDepth = 16, long RangeBytes = WorkLimits.DefaultRangeBytes)
{
    /// <summary>1 GiB: a 100 GB file is a hundred ranges, each minutes of work for one thread, seconds of ledger for all.</summary>
    public const long DefaultRangeBytes = 1L << 30;

    public bool Splits(long size) => size >= 2 * RangeBytes;

    public static readonly WorkLimits Default = new();
}
