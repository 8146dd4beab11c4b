using System.Text;
using Pdm.Engine;

namespace Pdm.Tests.Unit;

/// <summary>
/// A copy's temporary name is formatted in place for every file. It must be the same on every
/// attempt of a work item (a retry finds what a dead attempt left), start with the prefix the scan
/// sweeps, and fit the room callers reserve for it.
/// </summary>
public sealed class TemporaryNameTests
{
    private static string Name(long itemId, int index, int room = FileCopier.TemporaryNameMax) =>
        Encoding.ASCII.GetString(FileCopier.TemporaryName(itemId, index, new byte[room]));

    [Fact]
    public void NamesTheItemAndTheEntry()
    {
        Assert.Equal(".pdm-tmp.123.4", Name(123, 4));
        Assert.Equal(Name(123, 4), Name(123, 4));
        Assert.NotEqual(Name(123, 4), Name(12, 34));
        Assert.StartsWith(FileCopier.TemporaryPrefix, Name(1, 0));
    }

    [Fact]
    public void TheLongestNamesFitTheirRoom()
    {
        Assert.Equal(".pdm-tmp.9223372036854775807.2147483647", Name(long.MaxValue, int.MaxValue));
        Assert.Equal(FileCopier.TemporaryNameMax, Name(long.MinValue, int.MinValue).Length);
    }

    [Fact]
    public void TooLittleRoomIsRefused() =>
        Assert.Throws<ArgumentException>(() => Name(123, 4, room: 8));
}
