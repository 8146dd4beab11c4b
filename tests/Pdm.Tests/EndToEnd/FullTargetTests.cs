using System.Text.Json;
using Pdm.Ledger;
using Pdm.Tests.Support;

namespace Pdm.Tests.EndToEnd;

/// <summary>
/// A target whose filesystem fills up during a copy (a real tmpfs, too small in bytes or in inodes):
/// the pass stops itself at once instead of recording every remaining file as a failure, says why in
/// one line (exit 75), leaves no partial file under a real name, and carries on once there is room.
/// </summary>
public sealed class FullTargetTests : IDisposable
{
    private readonly TempTree _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Theory]
    [InlineData("size=3m", "size=256m", "sendfile", "resume")]          // no room for the data
    [InlineData("size=256m,nr_inodes=60", "nr_inodes=100000", "mkdir", "again")] // no inode for a directory the scan makes
    public void AFullTargetStopsThePassWhichCarriesOnOnceThereIsRoom(string mountOptions, string roomOptions, string operation, string how)
    {
        Assert.True(Tools.IsRoot, "this test runs as root, as CI does (it mounts a tmpfs)");
        string src = _tmp["src"], mount = _tmp.MountTmpfs("small", mountOptions), dst = Path.Combine(mount, "dst"), ledger = _tmp["l.db"];
        Tools.MakeTree("small", src, 0.02); // 2,000 files, 15 MiB

        var r = Tools.Pdm_("copy", src, dst, "--ledger", ledger);
        Assert.True(r.ExitCode == 75, $"pdm copy exited {r.ExitCode}:\n{r.Stdout}\n{r.Stderr}");
        string last = r.Stderr.TrimEnd().Split('\n')[^1];
        Assert.StartsWith("pdm: pass 1 stopped: the target's filesystem is full: ", last);
        Assert.Contains($": {operation}: No space left on device (errno 28); make room, then: pdm resume 1", last);
        var stopped = LedgerReader.State(ledger, 1);
        Assert.Equal(PassStatus.Interrupted, stopped.Status);
        Assert.Equal(0, stopped.Counters.Failed); // not one failure per file
        Assert.True(stopped.Counters.FilesCopied < 2000);
        Assert.Empty(Tools.Temporaries(dst));
        AssertEveryFileWhole(src, dst);
        using (var status = JsonDocument.Parse(Tools.Pdm_("status", "1", "--json", "--ledger", ledger).Stdout))
            Assert.Contains("No space left on device", status.RootElement.GetProperty("stop_reason").GetString());

        Assert.Equal(0, Tools.Run("mount", ["-o", $"remount,{roomOptions}", mount]).ExitCode);
        r = how == "resume" ? Tools.Pdm_("resume", "1", "--ledger", ledger) : Tools.Pdm_("copy", src, dst, "--ledger", ledger);
        Assert.True(r.ExitCode == 0, $"pdm {how} exited {r.ExitCode}:\n{r.Stdout}\n{r.Stderr}");
        Tools.AssertTreesEqual(src, dst);
        Assert.Empty(Tools.Temporaries(dst));
        var done = LedgerReader.State(ledger, 1);
        Assert.Equal(PassStatus.Completed, done.Status);
        Assert.Null(done.StopReason);
        Assert.Equal(0, done.Counters.Failed);
        Assert.Equal(Directory.EnumerateFileSystemEntries(src, "*", SearchOption.AllDirectories).Count(), done.Counters.EntriesSeen); // each once
    }

    /// <summary>Every regular file the stopped pass left in the target holds its source's bytes, whole.</summary>
    private static void AssertEveryFileWhole(string src, string dst)
    {
        foreach (var file in Directory.EnumerateFiles(dst, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(dst, file);
            Assert.True(File.ReadAllBytes(Path.Combine(src, relative)).AsSpan().SequenceEqual(File.ReadAllBytes(file)), $"{relative} is not whole");
        }
    }
}
