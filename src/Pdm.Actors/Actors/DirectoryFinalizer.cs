using Pdm.Engine;
using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Actors;

/// <summary>
/// Applies a directory's own mode, owner, xattrs and times once everything inside it is done, so
/// a 0500 directory still received its files and no later write disturbs its mtime. When the pass
/// has recovered from a crash, it first removes temporaries a dead attempt left in the directory.
/// </summary>
public sealed class DirectoryFinalizer(ILedger ledger, FileCopier copier)
{
    public ItemOutcome Finalize(PassContext ctx, WorkItem item)
    {
        var outcome = new ItemOutcome();
        int src = -1, dst = -1;
        string opening = "open source directory";
        try
        {
            src = Sys.OpenDirectoryBeneath(ctx.SourceRoot, item.Dir);
            opening = "open target directory";
            dst = Sys.OpenDirectoryBeneath(ctx.TargetRoot, item.Dir);
        }
        catch (PosixException e)
        {
            Sys.Close(src);
            outcome.Fail(item.Dir, opening, e.Errno, e.Reason);
            return outcome;
        }
        try
        {
            Apply(item, src, dst, outcome);
        }
        finally
        {
            Sys.Close(src);
            Sys.Close(dst);
        }
        return outcome;
    }

    /// <summary>Finalizes the directory open as <paramref name="src"/> and <paramref name="dst"/>; failures go to the outcome.</summary>
    public void Apply(WorkItem item, int src, int dst, ItemOutcome outcome)
    {
        try
        {
            if (ledger.GetPass(item.PassId)?.SweepTemporaries == true) SweepTemporaries(dst);
            var warnings = new List<PosixException>();
            copier.ApplyDirectoryMetadata(src, dst, warnings);
            foreach (var w in warnings) outcome.Fail(item.Dir, w.Operation, w.Errno, w.Reason);
        }
        catch (PosixException e)
        {
            outcome.Fail(item.Dir, e.Operation, e.Errno, e.Reason);
        }
    }

    private static void SweepTemporaries(int dirFd)
    {
        var prefix = System.Text.Encoding.ASCII.GetBytes(FileCopier.TemporaryPrefix);
        using var reader = new DirectoryReader(dirFd);
        var found = new List<byte[]>();
        while (reader.Next(out var name, out _))
        {
            // Few: at most the entries that were in flight when a node died.
            if (name.StartsWith(prefix)) found.Add(name.ToArray());
        }
        foreach (var name in found)
        {
            int e = Sys.TryUnlinkAt(dirFd, name, directory: false);
            if (e != 0 && e != Errno.ENOENT) throw new PosixException("unlink temporary", e);
        }
    }
}
