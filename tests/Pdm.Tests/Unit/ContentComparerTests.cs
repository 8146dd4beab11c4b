using Pdm.Engine;
using Pdm.Native;
using Pdm.Tests.Support;

namespace Pdm.Tests.Unit;

/// <summary>Content comparison on real files, sparse ones included.</summary>
public sealed class ContentComparerTests : IDisposable
{
    private const long Size = 64L << 20;
    private readonly TempTree _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>A file of Size bytes holding <paramref name="writes"/> and holes elsewhere (or zeros written, when dense).</summary>
    private void Make(string dir, (long Offset, byte Value)[] writes, bool dense = false)
    {
        Directory.CreateDirectory(_tmp[dir]);
        using var f = new FileStream(Path.Combine(_tmp[dir], "f"), FileMode.Create);
        if (dense) f.Write(new byte[Size]);
        f.SetLength(Size);
        foreach (var (offset, value) in writes)
        {
            f.Position = offset;
            f.Write(Enumerable.Repeat(value, 4096).ToArray());
        }
    }

    private bool Same(string a, string b)
    {
        int da = Sys.OpenAt(Flags.AT_FDCWD, System.Text.Encoding.UTF8.GetBytes(_tmp[a]), Flags.O_RDONLY | Flags.O_DIRECTORY);
        int db = Sys.OpenAt(Flags.AT_FDCWD, System.Text.Encoding.UTF8.GetBytes(_tmp[b]), Flags.O_RDONLY | Flags.O_DIRECTORY);
        try { return ContentComparer.Same(da, db, "f"u8); }
        finally { Sys.Close(da); Sys.Close(db); }
    }

    [Fact]
    public void SparseFilesWithTheSameDataAreTheSame()
    {
        Make("a", [(0, 1), (Size - 4096, 2)]);
        Make("b", [(0, 1), (Size - 4096, 2)]);
        Make("dense", [(0, 1), (Size - 4096, 2)], dense: true);
        Assert.True(Same("a", "b"));
        Assert.True(Same("a", "dense")); // holes read as zeros
    }

    [Fact]
    public void DataWhereTheSourceHasAHoleIsADifference()
    {
        Make("a", [(0, 1), (Size - 4096, 2)]);
        Make("b", [(0, 1), (Size / 2, 9), (Size - 4096, 2)]);
        Assert.False(Same("a", "b"));
    }

    [Fact]
    public void DifferentDataIsADifference()
    {
        Make("a", [(0, 1), (Size - 4096, 2)]);
        Make("b", [(0, 1), (Size - 4096, 3)]);
        Assert.False(Same("a", "b"));
    }
}
