using Pdm.Engine;
using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Tests.Unit;

/// <summary>Which failures say the target takes no more writes (the pass stops) and which are one file's (recorded, the pass goes on).</summary>
public sealed class TargetUnwritableTests
{
    [Theory]
    [InlineData("sendfile", Errno.ENOSPC, true)]
    [InlineData("mkdir", Errno.ENOSPC, true)]
    [InlineData("create temporary", Errno.ENOSPC, true)]
    [InlineData("write", Errno.EDQUOT, true)]
    [InlineData("setxattr", Errno.EDQUOT, true)]
    [InlineData("create temporary", Errno.EROFS, true)]
    [InlineData("unlink", Errno.EROFS, true)]
    [InlineData("setxattr", Errno.ENOSPC, false)] // ext4: this file's attributes do not fit, whatever room there is
    [InlineData("sendfile", Errno.EIO, false)]
    [InlineData("open", Errno.EACCES, false)]
    public void OnlyNoRoomOnTheTargetStopsThePass(string operation, int errno, bool stops)
    {
        var outcome = new ItemOutcome();
        outcome.Fail("d/f"u8.ToArray(), "open", Errno.EACCES, "Permission denied");
        outcome.Fail("d/g"u8.ToArray(), operation, errno, Sys.ErrorMessage(errno));
        var e = Record.Exception(() => TargetUnwritableException.ThrowIfIn(outcome));
        if (!stops)
        {
            Assert.Null(e);
            return;
        }
        var full = Assert.IsType<TargetUnwritableException>(e);
        Assert.Equal("d/g"u8.ToArray(), full.Failure.Path);
        Assert.Contains($"d/g: {operation}: ", full.Message);
        Assert.StartsWith(errno switch
        {
            Errno.EDQUOT => "a quota on the target is used up",
            Errno.EROFS => "the target's filesystem is read-only",
            _ => "the target's filesystem is full",
        }, full.Message);
    }
}
