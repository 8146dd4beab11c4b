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
        string op = "open source directory";
        try
        {
            src = Sys.OpenDirectoryBeneath(ctx.SourceRoot, item.Dir);
            op = "open target directory";
            dst = Sys.OpenDirectoryBeneath(ctx.TargetRoot, item.Dir);
            if (ledger.GetPass(item.PassId)?.SweepTemporaries == true)
            {
                op = "remove temporaries";
                SweepTemporaries(dst);
            }
            op = "set directory metadata";
            var warnings = new List<PosixException>();
            copier.ApplyDirectoryMetadata(src, dst, warnings);
            foreach (var w in warnings) outcome.Fail(item.Dir, w.Operation, w.Errno, w.Reason);
        }
        catch (PosixException e)
        {
            outcome.Fail(item.Dir, e.Operation.StartsWith("open", StringComparison.Ordinal) ? op : e.Operation, e.Errno, e.Reason);
        }
        finally
        {
            Sys.Close(src);
            Sys.Close(dst);
        }
        return outcome;
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
