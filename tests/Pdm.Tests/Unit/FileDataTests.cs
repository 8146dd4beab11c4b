using Pdm.Engine;
using Pdm.Native;
using Pdm.Tests.Support;

namespace Pdm.Tests.Unit;

/// <summary>
/// The three ways the copier moves a file's data (copy_file_range, sendfile, read and write), each
/// forced in turn, on files whose sizes straddle the buffer and whose holes must stay holes.
/// </summary>
public sealed class FileDataTests : IDisposable
{
    private const int MiB = 1 << 20;
    private readonly TempTree _tmp = new();

    public void Dispose() => _tmp.Dispose();

    public static TheoryData<string> Ways => ["copy_file_range", "sendfile", "read and write"];

    [Theory]
    [MemberData(nameof(Ways))]
    public void EveryWayCopiesDataExactlyAndKeepsHoles(string way)
    {
        Directory.CreateDirectory(_tmp["src"]);
        Directory.CreateDirectory(_tmp["dst"]);
        var random = new Random(7);
        byte[] Bytes(int n) { var b = new byte[n]; random.NextBytes(b); return b; }
        File.WriteAllBytes(_tmp["src/empty"], []);
        File.WriteAllBytes(_tmp["src/small"], Bytes(1000));
        File.WriteAllBytes(_tmp["src/odd"], Bytes(3 * MiB + 12345)); // not a multiple of any buffer
        using (var f = File.OpenWrite(_tmp["src/sparse"]))
        {
            f.Write(Bytes(70_000));
            f.Seek(8 * MiB, SeekOrigin.Begin);
            f.Write(Bytes(200_000));
            f.SetLength(20 * MiB); // a trailing hole
        }
        var kernelCopy = way switch
        {
            "copy_file_range" => new KernelCopy(),
            "sendfile" => new KernelCopy { CopyFileRangeRefused = true },
            _ => new KernelCopy { CopyFileRangeRefused = true, SendfileRefused = true },
        };
        int src = Sys.OpenAt(Flags.AT_FDCWD, ByteNames.FromString(_tmp["src"]), Flags.O_RDONLY | Flags.O_DIRECTORY);
        int dst = Sys.OpenAt(Flags.AT_FDCWD, ByteNames.FromString(_tmp["dst"]), Flags.O_RDONLY | Flags.O_DIRECTORY);
        try
        {
            var copier = new FileCopier();
            var warnings = new List<PosixException>();
            foreach (var name in new[] { "empty", "small", "odd", "sparse" })
            {
                long bytes = copier.CopyEntry(src, dst, ByteNames.FromString(name), ByteNames.FromString(".pdm-tmp-" + name),
                    replaceDirectory: false, warnings, seenAsFile: true, targetMissing: true, kernelCopy);
                Assert.Equal(new FileInfo(_tmp["src/" + name]).Length, bytes);
                Assert.Equal(File.ReadAllBytes(_tmp["src/" + name]), File.ReadAllBytes(_tmp["dst/" + name]));
            }
            Assert.Empty(warnings);
        }
        finally
        {
            Sys.Close(src);
            Sys.Close(dst);
        }
        var sparse = Sys.Stat(Flags.AT_FDCWD, ByteNames.FromString(_tmp["dst/sparse"]));
        Assert.True(sparse.Blocks * 512 < 2 * MiB, $"the copy's holes were filled: {sparse.Blocks * 512} bytes allocated of {sparse.Size}");
    }
}
