using Pdm.Ledger;
using Pdm.Tests.Support;

namespace Pdm.Tests.EndToEnd;

/// <summary>`pdm copy` on real trees from mktree.py, checked byte-exact with treediff.py.</summary>
public sealed class CopyTreeTests : IDisposable
{
    private readonly TempTree _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Theory]
    [InlineData("small", 0.03)]
    [InlineData("mixed", 0.05)]
    [InlineData("large", 0.01)]
    [InlineData("wide", 0.04)]
    [InlineData("nasty", 1.0)]
    public void EveryProfileIsCopiedExactlyAndASecondPassCopiesNothing(string profile, double scale)
    {
        string src = _tmp["src"], dst = _tmp["dst"], ledger = _tmp["ledger.db"];
        Tools.MakeTree(profile, src, scale);

        var first = Tools.Pdm_("copy", src, dst, "--ledger", ledger);
        Assert.True(first.ExitCode == 0, $"pdm copy exited {first.ExitCode}:\n{first.Stdout}\n{first.Stderr}");
        Tools.AssertTreesEqual(src, dst);
        Assert.Empty(Tools.Temporaries(dst));
        var pass1 = LedgerReader.LastPass(ledger);
        var c1 = LedgerReader.State(ledger, pass1.Id).Counters;
        Assert.Equal(PassStatus.Completed, LedgerReader.State(ledger, pass1.Id).Status);
        Assert.True(c1.FilesCopied > 0);
        Assert.Equal(0, c1.Failed);
        Assert.Equal(0, c1.SkippedEqual);

        var second = Tools.Pdm_("copy", src, dst, "--ledger", ledger);
        Assert.True(second.ExitCode == 0, second.Stderr);
        var pass2 = LedgerReader.LastPass(ledger);
        Assert.NotEqual(pass1.Id, pass2.Id);
        var c2 = LedgerReader.State(ledger, pass2.Id).Counters;
        Assert.Equal(0, c2.FilesCopied);
        Assert.Equal(0, c2.BytesCopied);
        Assert.Equal(0, c2.HardLinks);
        Assert.Equal(0, c2.MetadataFixed);
        Assert.Equal(c1.EntriesSeen, c2.EntriesSeen);
        Assert.Equal(c1.FilesCopied + c1.HardLinks, c2.SkippedEqual);
        Tools.AssertTreesEqual(src, dst);
    }

    /// <summary>
    /// A pass reads the source without moving its atimes (as root: O_NOATIME, directories too), and a
    /// second pass over an unchanged tree changes nothing on the target, not even a ctime. Symlinks
    /// are left out of the atime check: the kernel has no O_NOATIME for readlink.
    /// </summary>
    [Fact]
    public void PassesLeaveTheSourceAsItWasAndASecondPassChangesNothing()
    {
        Assert.True(Tools.IsRoot, "O_NOATIME needs root (or the owner)");
        string src = _tmp["src"], dst = _tmp["dst"], ledger = _tmp["ledger.db"];
        Tools.MakeTree("nasty", src, 1.0);
        Tools.MakeTree("small", Path.Combine(src, "small"), 0.01);
        // Listed with O_NOATIME: find would itself move the atimes it reports.
        string times = Path.Combine(Tools.RepoRoot, "tests", "Pdm.Tests", "Support", "times.py");
        string Atimes() => Tools.Run("python3", [times, "atime", src, "--no-symlinks"]).Stdout;
        string Ctimes() => Tools.Run("python3", [times, "ctime", dst]).Stdout;
        string sourceBefore = Atimes();
        Assert.Equal(0, Tools.Pdm_("copy", src, dst, "--ledger", ledger).ExitCode);
        string targetBefore = Ctimes();
        var again = Tools.Pdm_("copy", src, dst, "--ledger", ledger);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(targetBefore, Ctimes());
        Assert.Equal(sourceBefore, Atimes());
        Tools.AssertTreesEqual(src, dst);
    }

    /// <summary>
    /// Reading the source between passes moves its directories' atimes and nothing else (users keep
    /// working): the next copy leaves the target as it is, as it does for a file read since; `pdm mtime`
    /// then gives the directories their source's atimes exactly.
    /// </summary>
    [Fact]
    public void ADirectoryWhoseAtimeAloneMovedIsNotRewrittenByTheNextCopy()
    {
        Assert.True(Tools.IsRoot, "O_NOATIME needs root (or the owner)");
        string src = _tmp["src"], dst = _tmp["dst"], ledger = _tmp["ledger.db"];
        Tools.MakeTree("small", src, 0.01);
        Assert.Equal(0, Tools.Pdm_("copy", src, dst, "--ledger", ledger).ExitCode);
        // What a reader's `ls` does under relatime, made certain: every source directory's atime moves.
        Assert.Equal(0, Tools.Run("find", [src, "-type", "d", "-exec", "touch", "-a", "-d", "2001-02-03 04:05:06", "{}", "+"]).ExitCode);
        string times = Path.Combine(Tools.RepoRoot, "tests", "Pdm.Tests", "Support", "times.py");
        string Times(string field, string root) => Tools.Run("python3", [times, field, root, "--no-symlinks"]).Stdout.Replace(root, "");
        string targetCtimes = Times("ctime", dst);

        var again = Tools.Pdm_("copy", src, dst, "--ledger", ledger);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(targetCtimes, Times("ctime", dst));

        var mtime = Tools.Pdm_("mtime", src, dst, "--ledger", ledger);
        Assert.True(mtime.ExitCode == 0, mtime.Stderr);
        Assert.Equal(Times("atime", src), Times("atime", dst));
    }

    [Theory]
    [InlineData("mixed", 0.05)]
    [InlineData("large", 0.02)]
    public void ACopyToAnotherFilesystemIsExact(string profile, double scale)
    {
        // Between two filesystems copy_file_range is refused (EXDEV) and the data goes by sendfile.
        Assert.True(Tools.IsRoot, "this test runs as root, as CI does (it mounts a tmpfs)");
        string src = _tmp["src"], dst = Path.Combine(_tmp.MountTmpfs("other", "size=512m"), "dst");
        Tools.MakeTree(profile, src, scale);
        var r = Tools.Pdm_("copy", src, dst, "--ledger", _tmp["ledger.db"]);
        Assert.True(r.ExitCode == 0, $"pdm copy exited {r.ExitCode}:\n{r.Stdout}\n{r.Stderr}");
        Tools.AssertTreesEqual(src, dst);
        Assert.Empty(Tools.Temporaries(dst));
    }

    [Fact]
    public void ChangesAreCopiedAndMetadataOnlyChangesAreFixedInPlace()
    {
        string src = _tmp["src"], dst = _tmp["dst"], ledger = _tmp["ledger.db"];
        Tools.MakeTree("small", src, 0.01);
        Assert.Equal(0, Tools.Pdm_("copy", src, dst, "--ledger", ledger).ExitCode);

        File.WriteAllText(Path.Combine(src, "f00000.dat"), "changed content");            // data: copied
        File.SetUnixFileMode(Path.Combine(src, "f00001.dat"), UnixFileMode.UserRead);       // mode only: fixed in place
        File.WriteAllText(Path.Combine(src, "d00", "brand-new"), "new");                    // new
        Directory.CreateDirectory(Path.Combine(src, "new-dir", "deeper"));                  // new dirs
        var inode = new FileInfo(Path.Combine(dst, "f00001.dat"));
        long inodeBefore = Inode(inode.FullName);

        var r = Tools.Pdm_("copy", src, dst, "--ledger", ledger);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Tools.AssertTreesEqual(src, dst);
        var c = LedgerReader.State(ledger, LedgerReader.LastPass(ledger).Id).Counters;
        Assert.Equal(2, c.FilesCopied);
        Assert.Equal(1, c.MetadataFixed);
        Assert.Equal(inodeBefore, Inode(inode.FullName)); // fixed in place, not rewritten
    }

    [Fact]
    public void ADirectoryReplacedByAFileAndAFileReplacedByADirectoryAreCopied()
    {
        string src = _tmp["src"], dst = _tmp["dst"], ledger = _tmp["ledger.db"];
        Directory.CreateDirectory(Path.Combine(src, "was-dir", "inner"));
        File.WriteAllText(Path.Combine(src, "was-dir", "inner", "x"), "x");
        File.WriteAllText(Path.Combine(src, "was-file"), "y");
        Assert.Equal(0, Tools.Pdm_("copy", src, dst, "--ledger", ledger).ExitCode);

        Directory.Delete(Path.Combine(src, "was-dir"), recursive: true);
        File.WriteAllText(Path.Combine(src, "was-dir"), "now a file");
        File.Delete(Path.Combine(src, "was-file"));
        Directory.CreateDirectory(Path.Combine(src, "was-file"));
        File.WriteAllText(Path.Combine(src, "was-file", "z"), "z");
        var r = Tools.Pdm_("copy", src, dst, "--ledger", ledger);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Tools.AssertTreesEqual(src, dst);
    }

    [Fact]
    public void AFileThatCannotBeWrittenIsAFailureThatDoesNotStopThePass()
    {
        Assert.True(Tools.IsRoot, "this test runs as root, as CI does (chattr +i needs it)");
        string src = _tmp["src"], dst = _tmp["dst"], ledger = _tmp["ledger.db"];
        Directory.CreateDirectory(Path.Combine(src, "locked"));
        File.WriteAllText(Path.Combine(src, "locked", "blocked-file"), "data");
        File.WriteAllText(Path.Combine(src, "fine"), "data");
        Directory.CreateDirectory(Path.Combine(dst, "locked"));
        var chattr = Tools.Run("chattr", ["+i", Path.Combine(dst, "locked")]);
        Assert.True(chattr.ExitCode == 0, "chattr +i: " + chattr.Stderr);

        var r = Tools.Pdm_("copy", src, dst, "--ledger", ledger);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("locked/blocked-file", r.Stderr);
        Assert.True(File.Exists(Path.Combine(dst, "fine")));
        var pass = LedgerReader.LastPass(ledger);
        var failures = Tools.Pdm_("failures", pass.Id.ToString(), "--ledger", ledger);
        Assert.Equal(0, failures.ExitCode);
        Assert.Contains("locked/blocked-file: create temporary: Operation not permitted (errno 1)", failures.Stdout);
        Assert.True(LedgerReader.State(ledger, pass.Id).Counters.Failed >= 1);
    }

    [Fact]
    public void ADirectoryOfManyEntriesIsCheckpointedAndBatchedWithoutLosingAnEntry()
    {
        string src = _tmp["src"], dst = _tmp["dst"], ledger = _tmp["ledger.db"];
        Tools.MakeTree("wide", src, 0.2); // 10,000 entries in one directory: several checkpoints and batches
        var r = Tools.Pdm_("copy", src, dst, "--ledger", ledger, "--threads", "3");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Tools.AssertTreesEqual(src, dst);
        using var l = SqliteLedger.Open(ledger);
        var pass = l.ListPasses().Single();
        var progress = l.EventsSince(pass.Id, 0, 100_000).Where(e => e.Type == PassEventType.Progressed).ToList();
        Assert.True(progress.Count(e => e.Delta.EntriesSeen > 0) >= 2, "the wide directory's scan checkpointed");
        Assert.Equal(10_000 + 64 * 2 + 1, progress.Sum(e => e.Delta.EntriesSeen));
    }

    private static long Inode(string path)
    {
        var r = Tools.Run("stat", ["-c", "%i", path]);
        return long.Parse(r.Stdout.Trim());
    }
}
