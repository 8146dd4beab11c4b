using Pdm.Actors;
using Pdm.Actors.Planners;
using Pdm.Ledger;
using Pdm.Engine;
using Pdm.Native;
using Pdm.Tests.Support;

namespace Pdm.Tests.Unit;

/// <summary>
/// A copy or scan whose work item this node no longer holds (frozen past its lease, say: the item was
/// taken over and its directory maybe finalized by another node) must not touch the target directory
/// at all, not even with a temporary name it removes again: that would change the directory's mtime
/// and ctime after they were set, or undo what the other node did. The lease check is the copier's
/// beforePublish, and the scan's CheckLease.
/// </summary>
public sealed class LostItemTests : IDisposable
{
    private readonly TempTree _tmp = new();
    private int _src, _dst;

    public LostItemTests()
    {
        Directory.CreateDirectory(_tmp["src"]);
        Directory.CreateDirectory(_tmp["dst"]);
        File.WriteAllText(_tmp["src/f"], "the source's data");
        File.CreateSymbolicLink(_tmp["src/link"], "f");
        _src = Sys.OpenAt(Flags.AT_FDCWD, ByteNames.FromString(_tmp["src"]), Flags.O_RDONLY | Flags.O_DIRECTORY);
        _dst = Sys.OpenAt(Flags.AT_FDCWD, ByteNames.FromString(_tmp["dst"]), Flags.O_RDONLY | Flags.O_DIRECTORY);
    }

    public void Dispose()
    {
        Sys.Close(_src);
        Sys.Close(_dst);
        _tmp.Dispose();
    }

    private sealed class LeaseLost : Exception;

    /// <summary>The lease check: it holds for the first <paramref name="passes"/> calls, then the item is lost.</summary>
    private static Action LostAfter(int passes)
    {
        int calls = 0;
        return () =>
        {
            if (++calls > passes) throw new LeaseLost();
        };
    }

    /// <summary>The directory's mtime and ctime, which any name made or removed in it moves (its atime is moved by reading it).</summary>
    private string Times() => Tools.Run("stat", ["-c", "%y %z", _tmp["dst"]]).Stdout;

    private void AssertTargetDirectoryUntouched(Action copy)
    {
        var entries = Directory.GetFileSystemEntries(_tmp["dst"]).Order().ToList();
        File.SetLastWriteTimeUtc(_tmp["dst"], new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc)); // as a finalizer set it
        Thread.Sleep(20); // a change after this shows in the ctime, even on a coarse clock
        string before = Times();
        Assert.Throws<LeaseLost>(copy);
        Assert.Equal(before, Times());
        Assert.Equal(entries, Directory.GetFileSystemEntries(_tmp["dst"]).Order().ToList());
    }

    [Fact]
    public void AnUnnamedCopyWhoseNameAppearedIsNotLinkedUnderItsTemporaryOnceTheItemIsLost()
    {
        Assert.True(Tools.IsRoot, "this test runs as root, as CI does: unnamed copies are linked into place with CAP_DAC_READ_SEARCH");
        // The node that took the item over published the file meanwhile; this one's check before its
        // own link still held, the next one does not.
        File.WriteAllText(_tmp["dst/f"], "the other node's copy");
        AssertTargetDirectoryUntouched(() => new FileCopier().CopyEntry(_src, _dst, "f"u8, ".pdm-tmp-f"u8, replaceDirectory: false, [],
            seenAsFile: true, targetMissing: true, beforePublish: LostAfter(1)));
        Assert.Equal("the other node's copy", File.ReadAllText(_tmp["dst/f"]));
    }

    [Fact]
    public void ACopyUnderATemporaryNameIsNotStartedOnceTheItemIsLost()
    {
        File.WriteAllText(_tmp["dst/f"], "an older copy"); // the target exists: the copy goes to a temporary and is renamed over it
        AssertTargetDirectoryUntouched(() => new FileCopier().CopyEntry(_src, _dst, "f"u8, ".pdm-tmp-f"u8, replaceDirectory: false, [],
            seenAsFile: true, targetMissing: false, beforePublish: LostAfter(0)));
        Assert.Equal("an older copy", File.ReadAllText(_tmp["dst/f"]));
    }

    [Fact]
    public void ASymlinkIsNotMadeUnderItsTemporaryNameOnceTheItemIsLost() =>
        AssertTargetDirectoryUntouched(() => new FileCopier().CopyEntry(_src, _dst, "link"u8, ".pdm-tmp-link"u8, replaceDirectory: false, [],
            beforePublish: LostAfter(0)));

    /// <summary>A copy pass's scan of the target root, as a node would run it, with this lease check.</summary>
    private void Scan(Action<IScanPlanner, ScanState> act, Action checkLease, PassKind kind = PassKind.Copy)
    {
        using var ledger = SqliteLedger.Open(_tmp["ledger.db"]);
        var pass = new PassInfo(1, kind, ByteNames.FromString(_tmp["src"]), ByteNames.FromString(_tmp["dst"]), PassStatus.Running, false,
            DateTimeOffset.UtcNow, PassOptions.None);
        var ctx = new PassContext(pass, _src, _dst);
        var item = new WorkItem(1, 1, WorkKind.Scan, null, 0, [], null, 0, 0);
        var scan = new ScanState(ctx, item, _src, _dst, ledger, new WorkLimits()) { CheckLease = checkLease };
        act(new PlannerSet(new FileCopier()).For(kind), scan);
    }

    [Fact]
    public void AScanMakesNoDirectoryOnceTheItemIsLost()
    {
        Directory.CreateDirectory(_tmp["src/sub"]);
        AssertTargetDirectoryUntouched(() => Scan((planner, scan) => planner.Plan(scan, ScanMode.Normal, "sub"u8), LostAfter(0)));
        Assert.False(Directory.Exists(_tmp["dst/sub"]));
    }

    [Fact]
    public void AScanRemovesNothingOnceTheItemIsLost()
    {
        Directory.CreateDirectory(_tmp["src/sub"]);
        File.WriteAllText(_tmp["dst/sub"], "a file where the source now has a directory");
        AssertTargetDirectoryUntouched(() => Scan((planner, scan) => planner.Plan(scan, ScanMode.Normal, "sub"u8), LostAfter(0)));
        Assert.Equal("a file where the source now has a directory", File.ReadAllText(_tmp["dst/sub"]));
    }

    /// <summary>
    /// A scan that saw a file where the source has a directory, and was frozen before it removed it: the
    /// node that took the item over has since replaced the file with the directory and copied into it.
    /// The removal leaves that directory and what is in it.
    /// </summary>
    [Fact]
    public void WhatStandsWhereTheSourceHasADirectoryIsRemovedOnlyIfItIsNotADirectory()
    {
        File.WriteAllText(_tmp["dst/file"], "x");
        CopyPlanner.RemoveNonDirectory(_dst, "file"u8);
        Assert.False(File.Exists(_tmp["dst/file"]));

        Directory.CreateDirectory(_tmp["dst/sub"]);
        File.WriteAllText(_tmp["dst/sub/copied"], "the other node's copy");
        CopyPlanner.RemoveNonDirectory(_dst, "sub"u8);
        Assert.Equal("the other node's copy", File.ReadAllText(_tmp["dst/sub/copied"]));

        CopyPlanner.RemoveNonDirectory(_dst, "gone"u8); // nothing there: nothing to do
    }

    [Theory]
    [InlineData(PassKind.Copy)]
    [InlineData(PassKind.Mtime)]
    public void ADirectorysMetadataIsNotSetOnceTheItemIsLost(PassKind kind)
    {
        File.SetLastWriteTimeUtc(_tmp["src"], new DateTime(2021, 6, 7, 8, 9, 10, DateTimeKind.Utc)); // differs from the target's
        AssertTargetDirectoryUntouched(() => Scan((planner, scan) => planner.Finalize(scan, ScanMode.Normal), LostAfter(0), kind));
    }
}
