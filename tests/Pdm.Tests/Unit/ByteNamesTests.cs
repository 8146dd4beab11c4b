using Pdm.Native;

namespace Pdm.Tests.Unit;

public class ByteNamesTests
{
    [Fact]
    public void PrintableUtf8IsKept() => Assert.Equal("caf\u00e9/emoji-\U0001F600", ByteNames.Escape("caf\u00e9/emoji-\U0001F600"u8));

    [Fact]
    public void InvalidBytesAndControlsAreEscaped() =>
        Assert.Equal(@"\xff\xfe-x\x0aline\\", ByteNames.Escape([0xff, 0xfe, (byte)'-', (byte)'x', (byte)'\n', .. "line\\"u8]));

    [Theory]
    [InlineData("", true)]
    [InlineData("a/b/c", true)]
    [InlineData("a/../b", false)]
    [InlineData("/abs", false)]
    [InlineData("a//b", false)]
    [InlineData("./a", false)]
    public void RelativePathsFromTheLedgerAreChecked(string path, bool valid) =>
        Assert.Equal(valid, ByteNames.IsValidRelativePath(System.Text.Encoding.UTF8.GetBytes(path)));
}
