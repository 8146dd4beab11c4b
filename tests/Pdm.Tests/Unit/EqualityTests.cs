using Pdm.Engine;
using Pdm.Native;

namespace Pdm.Tests.Unit;

public class EqualityTests
{
    private static FileStat File(long size = 10, long mtimeSec = 1000, uint mtimeNs = 5, uint mode = 0x1A4, uint uid = 1, uint gid = 1) =>
        new(EntryKind.File, mode, uid, gid, size, 8, 1, 1, 1, 0, 0, new TimeNs(1, 0), new TimeNs(mtimeSec, mtimeNs), new TimeNs(1, 0));

    private static FileStat Of(EntryKind kind, long size = 10, uint major = 0, uint minor = 0) =>
        File(size) with { Kind = kind, RdevMajor = major, RdevMinor = minor };

    [Fact]
    public void MissingTargetIsMissing() => Assert.Equal(Verdict.Missing, Equality.Compare(File(), null, true));

    [Fact]
    public void SameTypeSizeAndMtimeIsEqual() => Assert.Equal(Verdict.Equal, Equality.Compare(File(), File(), true));

    [Fact]
    public void OneNanosecondOfMtimeDiffers() => Assert.Equal(Verdict.Differs, Equality.Compare(File(mtimeNs: 5), File(mtimeNs: 6), true));

    [Fact]
    public void SizeDiffers() => Assert.Equal(Verdict.Differs, Equality.Compare(File(size: 10), File(size: 11), true));

    [Fact]
    public void ModeOnlyIsMetadata()
    {
        Assert.Equal(Verdict.MetadataDiffers, Equality.Compare(File(mode: 0x1ED), File(mode: 0x1A4), true));
        Assert.Equal(Verdict.MetadataDiffers, Equality.Compare(File(mode: 0x1A4), File(mode: 0x9ED), true)); // setuid taken away
    }

    [Fact]
    public void AddingSetuidOrSetgidCopiesAgain()
    {
        Assert.Equal(Verdict.Differs, Equality.Compare(File(mode: 0x9ED), File(mode: 0x1ED), true)); // 4755 over 0755
        Assert.Equal(Verdict.Differs, Equality.Compare(File(mode: 0x5ED), File(mode: 0x1ED), true)); // 2755 over 0755
        Assert.Equal(Verdict.Differs, Equality.Compare(File(mode: 0x9ED), File(mode: 0x1ED), compareOwner: false));
    }

    [Fact]
    public void AnotherOwnerOrGroupCopiesAgainAsRoot()
    {
        Assert.Equal(Verdict.Differs, Equality.Compare(File(uid: 1), File(uid: 2), compareOwner: true));
        Assert.Equal(Verdict.Differs, Equality.Compare(File(gid: 1), File(gid: 2), compareOwner: true));
        Assert.Equal(Verdict.Differs, Equality.Compare(File(uid: 1, mode: 0x1ED), File(uid: 2, mode: 0x1A4), compareOwner: true));
        Assert.Equal(Verdict.Equal, Equality.Compare(File(uid: 1), File(uid: 2), compareOwner: false));
    }

    [Fact]
    public void FileOverDirectoryReplacesTheDirectory() =>
        Assert.Equal(Verdict.ReplaceDirectory, Equality.Compare(File(), Of(EntryKind.Directory), true));

    [Fact]
    public void DirectoryOverFileDiffers() => Assert.Equal(Verdict.Differs, Equality.Compare(Of(EntryKind.Directory), File(), true));

    [Fact]
    public void DirectoriesAlwaysMatch() =>
        Assert.Equal(Verdict.Equal, Equality.Compare(Of(EntryKind.Directory) with { Mode = 0x140 }, Of(EntryKind.Directory), true));

    [Fact]
    public void TypeChangeDiffers() => Assert.Equal(Verdict.Differs, Equality.Compare(Of(EntryKind.Symlink), File(), true));

    [Fact]
    public void SymlinksCompareTheirTargets()
    {
        Assert.Equal(Verdict.Equal, Equality.Compare(Of(EntryKind.Symlink), Of(EntryKind.Symlink), true, linkTargetsEqual: true));
        Assert.Equal(Verdict.Differs, Equality.Compare(Of(EntryKind.Symlink), Of(EntryKind.Symlink), true, linkTargetsEqual: false));
    }

    [Fact]
    public void SymlinkModeIsIgnoredButOwnerRecreatesIt()
    {
        Assert.Equal(Verdict.Equal, Equality.Compare(Of(EntryKind.Symlink) with { Mode = 0x1FF }, Of(EntryKind.Symlink) with { Mode = 0 }, true));
        Assert.Equal(Verdict.Differs, Equality.Compare(Of(EntryKind.Symlink) with { Uid = 5 }, Of(EntryKind.Symlink), true));
    }

    [Fact]
    public void DevicesCompareTheirNumbers()
    {
        Assert.Equal(Verdict.Equal, Equality.Compare(Of(EntryKind.CharDevice, major: 1, minor: 3), Of(EntryKind.CharDevice, major: 1, minor: 3), true));
        Assert.Equal(Verdict.Differs, Equality.Compare(Of(EntryKind.CharDevice, major: 1, minor: 3), Of(EntryKind.CharDevice, major: 1, minor: 5), true));
    }
}
