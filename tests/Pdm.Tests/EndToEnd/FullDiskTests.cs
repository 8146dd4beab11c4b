using System.Text.Json;
using Pdm.Ledger;
using Pdm.Tests.Support;

namespace Pdm.Tests.EndToEnd;

/// <summary>
/// Full disks, on real tmpfs mounts too small in bytes or in inodes. A target that fills up during a
/// copy: the pass stops itself at once instead of recording every remaining file as a failure, says
/// why in one line (exit 75), leaves no partial file under a real name, and carries on once there is
/// room. A ledger whose filesystem fills up: refused if it was to be created (exit 2, nothing left of
/// it), and mid-pass the pass ends with one line (exit 3), keeping what it committed, and resumes.
/// </summary>
public sealed class FullDiskTests : IDisposable
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
        Assert.Contains($": {operation}: No space left on device (errno 28); resume it once the target can be written: pdm resume 1", last);
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

    [Fact]
    public void ALedgerThatCannotBeCreatedForWantOfRoomIsRefusedAndLeavesNothing()
    {
        Assert.True(Tools.IsRoot, "this test runs as root, as CI does (it mounts a tmpfs)");
        string src = _tmp["src"], full = _tmp.MountTmpfs("ledger-fs", "size=64k");
        Tools.MakeTree("small", src, 0.001);
        var r = Tools.Pdm_("copy", src, _tmp["dst"], "--ledger", Path.Combine(full, "l.db"));
        Assert.True(r.ExitCode == 2, $"pdm copy exited {r.ExitCode}:\n{r.Stdout}\n{r.Stderr}");
        Assert.Equal($"pdm: cannot create ledger {Path.Combine(full, "l.db")}: database or disk is full", r.Stderr.Trim());
        Assert.Empty(Directory.EnumerateFileSystemEntries(full));
        Assert.False(Directory.Exists(_tmp["dst"]));
    }

    [Fact]
    public void ALedgerWhoseDiskFillsMidPassEndsItInOneLineAndItResumesOnceThereIsRoom()
    {
        Assert.True(Tools.IsRoot, "this test runs as root, as CI does (it mounts a tmpfs)");
        string src = _tmp["src"], dst = _tmp["dst"], mount = _tmp.MountTmpfs("ledger-fs", "size=64m"), ledger = Path.Combine(mount, "l.db");
        Directory.CreateDirectory(_tmp["one"]);
        File.WriteAllText(_tmp["one/file"], "one");
        Assert.Equal(0, Tools.Pdm_("copy", _tmp["one"], _tmp["one-copy"], "--ledger", ledger).ExitCode); // the ledger, made
        Tools.MakeTree("small", src, 0.02);
        long usedKiB = long.Parse(Tools.Run("df", ["--output=used", "-k", mount]).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Trim());
        Assert.Equal(0, Tools.Run("mount", ["-o", $"remount,size={usedKiB + 128}k", mount]).ExitCode);

        var r = Tools.Pdm_("copy", src, dst, "--ledger", ledger);
        Assert.True(r.ExitCode == 3, $"pdm copy exited {r.ExitCode}:\n{r.Stdout}\n{r.Stderr}");
        Assert.Equal("pdm: the ledger failed: database or disk is full; pass 2 keeps what it committed: once the ledger can be written, resume with: pdm resume 2",
            r.Stderr.TrimEnd().Split('\n')[^1]);
        Assert.DoesNotContain("   at ", r.Stderr); // no stack trace: warnings and one line
        Assert.DoesNotContain("internal error", r.Stderr);

        Assert.Equal(0, Tools.Run("mount", ["-o", "remount,size=64m", mount]).ExitCode);
        r = Tools.Pdm_("resume", "2", "--ledger", ledger);
        Assert.True(r.ExitCode == 0, $"pdm resume exited {r.ExitCode}:\n{r.Stdout}\n{r.Stderr}");
        Tools.AssertTreesEqual(src, dst);
        Assert.Empty(Tools.Temporaries(dst));
        var done = LedgerReader.State(ledger, 2);
        Assert.Equal(0, done.Counters.Failed);
        Assert.Equal(Directory.EnumerateFileSystemEntries(src, "*", SearchOption.AllDirectories).Count(), done.Counters.EntriesSeen);
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
