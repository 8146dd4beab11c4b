using Pdm.Engine;
using Pdm.Native;
using Pdm.Tests.Support;

namespace Pdm.Tests.Unit;

/// <summary>
/// The ways the copier moves a file's data (copy_file_range, sendfile, direct writes, read and
/// write), each forced in turn, on files whose sizes straddle the buffers and whose holes must stay holes.
/// </summary>
public sealed partial class FileDataTests : IDisposable
{
    private const int MiB = 1 << 20;
    private readonly TempTree _tmp = new();

    public void Dispose() => _tmp.Dispose();

    public static TheoryData<string> Ways => ["copy_file_range", "sendfile", "direct", "read and write"];

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
            f.Write(Bytes(1_200_000)); // long enough to be written direct
            f.SetLength(20 * MiB); // a trailing hole
        }
        var kernelCopy = way switch
        {
            "copy_file_range" => new KernelCopy(),
            "sendfile" => new KernelCopy { CopyFileRangeRefused = true },
            "direct" => new KernelCopy { CopyFileRangeRefused = true, DirectAlways = true },
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

    /// <summary>
    /// A direct copy bypasses the target's page cache (all but its buffered tail), a sendfile copy
    /// fills it: on a real block device, not the scratch directory's filesystem, which may be tmpfs.
    /// The sendfile copy is made first and both are measured after the direct one: the kernel reclaims
    /// the older pages first, so if the sendfile copy's pages are still resident, the direct copy's
    /// would be too had they been cached. Memory pressure from tests running beside this one can evict
    /// the control; then the pair is tried again. The control never writes direct (see below).
    /// </summary>
    [Fact]
    public void DirectWritesLeaveTheTargetOutOfThePageCache()
    {
        Directory.CreateDirectory(_tmp["src"]);
        File.WriteAllBytes(_tmp["src/odd"], Enumerable.Range(0, 3 * MiB + 12345).Select(i => (byte)(i * 7)).ToArray());
        string target = _tmp.MountExt4("ext4", 64);
        string Copy(string way, KernelCopy kernelCopy)
        {
            Directory.CreateDirectory(Path.Combine(target, way));
            int src = Sys.OpenAt(Flags.AT_FDCWD, ByteNames.FromString(_tmp["src"]), Flags.O_RDONLY | Flags.O_DIRECTORY);
            int dst = Sys.OpenAt(Flags.AT_FDCWD, ByteNames.FromString(Path.Combine(target, way)), Flags.O_RDONLY | Flags.O_DIRECTORY);
            try
            {
                new FileCopier().CopyEntry(src, dst, "odd"u8, ".pdm-tmp-odd"u8, replaceDirectory: false, [],
                    seenAsFile: true, targetMissing: true, kernelCopy);
            }
            finally
            {
                Sys.Close(src);
                Sys.Close(dst);
            }
            return Path.Combine(target, way, "odd");
        }
        int pages = (3 * MiB + 12345 + 4095) / 4096;

        var seen = new List<string>();
        for (int attempt = 1; attempt <= 5; attempt++)
        {
            // The control refuses direct writes: the copier would otherwise write it direct too whenever
            // the machine's writeback is backlogged (tests copying gigabytes beside this one), which is
            // what made it never resident in two CI runs.
            string buffered = Copy($"sendfile-{attempt}", new KernelCopy { CopyFileRangeRefused = true, DirectRefused = true });
            var direct = new KernelCopy { CopyFileRangeRefused = true, DirectAlways = true };
            string directCopy = Copy($"direct-{attempt}", direct);
            int directPages = ResidentPages(directCopy), bufferedPages = ResidentPages(buffered);
            Assert.False(direct.DirectRefused);
            Assert.Equal(File.ReadAllBytes(_tmp["src/odd"]), File.ReadAllBytes(directCopy));
            if (bufferedPages <= pages / 2)
            {
                seen.Add($"{bufferedPages} of {pages}");
                continue; // the control was evicted: this attempt cannot tell
            }
            Assert.True(directPages <= 1, $"the direct copy went through the page cache: {directPages} of {pages} pages resident");
            return;
        }
        Assert.Fail($"the sendfile copy never stayed in the page cache, so the test cannot tell (resident: {string.Join(", ", seen)})");
    }

    /// <summary>How many of a file's pages are in the page cache (mincore over a mapping of it).</summary>
    private static unsafe int ResidentPages(string path)
    {
        using var file = File.OpenHandle(path);
        long length = RandomAccess.GetLength(file);
        void* map = Native.mmap(null, (nuint)length, 1 /* PROT_READ */, 1 /* MAP_SHARED */, (int)file.DangerousGetHandle(), 0);
        Assert.True(map != (void*)-1, "mmap failed");
        try
        {
            var vector = new byte[(length + 4095) / 4096];
            fixed (byte* v = vector)
                Assert.Equal(0, Native.mincore(map, (nuint)length, v));
            return vector.Count(b => (b & 1) != 0);
        }
        finally
        {
            Native.munmap(map, (nuint)length);
        }
    }

    private static unsafe partial class Native
    {
        [System.Runtime.InteropServices.LibraryImport("libc")]
        internal static partial void* mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

        [System.Runtime.InteropServices.LibraryImport("libc")]
        internal static partial int mincore(void* address, nuint length, byte* vector);

        [System.Runtime.InteropServices.LibraryImport("libc")]
        internal static partial int munmap(void* address, nuint length);
    }
}
