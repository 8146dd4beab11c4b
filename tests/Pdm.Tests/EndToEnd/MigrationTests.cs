using Pdm.Ledger;
using Pdm.Tests.Support;

namespace Pdm.Tests.EndToEnd;

/// <summary>The GUIDE's story: copy while users work, copy again, then delete, mtime and verify on downtime day.</summary>
public sealed class MigrationTests : IDisposable
{
    private readonly TempTree _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private PassCounters Counters() => LedgerReader.State(_tmp["l.db"], LedgerReader.LastPass(_tmp["l.db"]).Id).Counters;

    private Tools.Result Pdm(params string[] args) => Tools.Pdm_([.. args, "--ledger", _tmp["l.db"]]);

    [Fact]
    public void AMultiPassMigrationEndsIdenticalWithCountsThatMatchTheMutations()
    {
        Assert.True(Tools.IsRoot, "this test changes owners, as root does");
        string src = _tmp["src"], dst = _tmp["dst"];
        Tools.MakeTree("small", src, 0.01); // 1,000 files in 100-file directories
        Assert.Equal(0, Pdm("copy", src, dst).ExitCode);

        // what users do between the passes
        string S(string p) => Path.Combine(src, p);
        int movedFiles = Directory.GetFiles(S("d01"), "*", SearchOption.AllDirectories).Length;
        int movedDirs = Directory.GetDirectories(S("d01"), "*", SearchOption.AllDirectories).Length + 1;
        File.WriteAllText(S("new-file"), "new");                                        // copied
        File.AppendAllText(S("f00005.dat"), "changed");                                  // copied
        File.Delete(S("f00003.dat"));                                                     // deleted
        File.Move(S("f00007.dat"), S("renamed.dat"));                                    // copied + deleted
        Directory.Move(S("d01"), S("d01-renamed"));                                      // its files copied, old tree deleted
        File.SetUnixFileMode(S("f00004.dat"), UnixFileMode.UserRead | UnixFileMode.UserWrite); // metadata fixed
        Assert.Equal(0, Tools.Run("chown", ["1234:5678", S("f00008.dat")]).ExitCode);     // another owner: copied again
        Assert.Equal(0, Tools.Run("ln", [S("f00006.dat"), S("hard-new")]).ExitCode);      // hard link made
        File.CreateSymbolicLink(S("sym-new"), "f00006.dat");                              // copied
        Directory.CreateDirectory(S("new-dir"));
        File.WriteAllText(S("new-dir/inner"), "inner");                                   // copied

        var copy = Pdm("copy", src, dst);
        Assert.True(copy.ExitCode == 0, copy.Stderr);
        var c = Counters();
        // new-file, changed, renamed, sym-new, new-dir/inner, f00008 (chowned) + the moved tree; and hard-new
        // too if the listing (an order of the filesystem's) shows it before f00006.dat: the first name seen is copied.
        Assert.InRange(c.FilesCopied, 6 + movedFiles, 7 + movedFiles);
        Assert.Equal(1, c.MetadataFixed);
        Assert.Equal(1, c.HardLinks);
        Assert.Equal(0, c.Failed);

        var delete = Pdm("delete", src, dst);
        Assert.True(delete.ExitCode == 0, delete.Stderr);
        Assert.Equal(2 + movedFiles + movedDirs, Counters().Deleted); // f00003, f00007, the old d01 tree and d01 itself

        var mtime = Pdm("mtime", src, dst);
        Assert.True(mtime.ExitCode == 0, mtime.Stderr);
        Assert.Equal(Directory.GetDirectories(src, "*", SearchOption.AllDirectories).Length + 1, Counters().MetadataFixed);

        var verify = Pdm("verify", src, dst, "--checksum");
        Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
        Assert.Equal(0, Counters().Differences);
        Tools.AssertTreesEqual(src, dst);
    }

    [Fact]
    public void VerifyListsEveryDifferenceAsAFailure()
    {
        string src = _tmp["src"], dst = _tmp["dst"];
        Tools.MakeTree("small", src, 0.005);
        File.WriteAllText(Path.Combine(src, "same-size"), "aaaa");
        Assert.Equal(0, Pdm("copy", src, dst).ExitCode);
        File.WriteAllText(Path.Combine(dst, "f00001.dat"), "other size");
        File.Delete(Path.Combine(dst, "f00002.dat"));
        File.WriteAllText(Path.Combine(dst, "extra"), "x");
        File.WriteAllText(Path.Combine(dst, "same-size"), "bbbb"); // same size and mtime, other content:
        Assert.Equal(0, Tools.Run("touch", ["-r", Path.Combine(src, "same-size"), Path.Combine(dst, "same-size")]).ExitCode);
        Assert.Equal(0, Tools.Run("touch", ["-r", Path.Combine(src, "f00001.dat"), Path.Combine(dst, "f00001.dat")]).ExitCode);
        Assert.Equal(0, Tools.Run("touch", ["-r", src, dst]).ExitCode); // our edits changed the root's mtime

        var plain = Pdm("verify", src, dst);
        Assert.Equal(1, plain.ExitCode);
        var failures = Tools.Pdm_("failures", LedgerReader.LastPass(_tmp["l.db"]).Id.ToString(), "--ledger", _tmp["l.db"]).Stdout;
        Assert.Contains("f00001.dat: verify: size", failures);
        Assert.Contains("f00002.dat: verify: missing in target", failures);
        Assert.Contains("extra: verify: extra in target", failures);
        Assert.DoesNotContain("same-size", failures); // only --checksum sees it
        Assert.Equal(3, Counters().Differences);

        var checksum = Pdm("verify", src, dst, "--checksum");
        Assert.Equal(1, checksum.ExitCode);
        Assert.Equal(4, Counters().Differences);
        Assert.Contains("same-size: verify: content differs", checksum.Stderr);
    }

    [Fact]
    public void CopyWithChecksumRecopiesContentThatSizeAndMtimeDoNotShow()
    {
        string src = _tmp["src"], dst = _tmp["dst"];
        Directory.CreateDirectory(src);
        File.WriteAllText(Path.Combine(src, "f"), "aaaa");
        Assert.Equal(0, Pdm("copy", src, dst).ExitCode);
        File.WriteAllText(Path.Combine(dst, "f"), "bbbb");
        Assert.Equal(0, Tools.Run("touch", ["-r", Path.Combine(src, "f"), Path.Combine(dst, "f")]).ExitCode);

        Assert.Equal(0, Pdm("copy", src, dst).ExitCode);
        Assert.Equal("bbbb", File.ReadAllText(Path.Combine(dst, "f"))); // size and mtime equal: skipped
        Assert.Equal(0, Pdm("copy", src, dst, "--checksum").ExitCode);
        Assert.Equal("aaaa", File.ReadAllText(Path.Combine(dst, "f")));
        Assert.Equal(1, Counters().FilesCopied);
    }

    [Fact]
    public void DryRunsWriteNothingAndListWhatTheyWouldDo()
    {
        string src = _tmp["src"], dst = _tmp["dst"];
        Tools.MakeTree("small", src, 0.005);
        var first = Pdm("copy", src, dst, "--dry-run");
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.False(Directory.Exists(dst));
        Assert.Contains("would copy: f00000.dat", first.Stdout);
        Assert.Equal(500, Counters().FilesCopied);

        Assert.Equal(0, Pdm("copy", src, dst).ExitCode);
        File.WriteAllText(Path.Combine(src, "new"), "new");
        File.Delete(Path.Combine(src, "f00001.dat"));
        string before = Tools.Listing(dst);
        var copy = Pdm("copy", src, dst, "--dry-run");
        Assert.Equal(0, copy.ExitCode);
        Assert.Contains("would copy: new", copy.Stdout);
        var delete = Pdm("delete", src, dst, "--dry-run");
        Assert.Equal(0, delete.ExitCode);
        Assert.Contains("would delete: f00001.dat", delete.Stdout);
        Assert.Equal(1, Counters().Deleted);
        Assert.Equal(before, Tools.Listing(dst));
    }

    [Fact]
    public void MaxDeleteFailsThePassAndRemovesNothingBeyondIt()
    {
        string src = _tmp["src"], dst = _tmp["dst"];
        Tools.MakeTree("small", src, 0.005);
        Assert.Equal(0, Pdm("copy", src, dst).ExitCode);
        for (int i = 0; i < 50; i++) File.Delete(Path.Combine(src, $"f{i:00000}.dat"));
        string before = Tools.Listing(dst);

        var refused = Pdm("delete", src, dst, "--max-delete", "10");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--max-delete", refused.Stderr);
        var pass = LedgerReader.LastPass(_tmp["l.db"]);
        Assert.Equal(PassStatus.Failed, pass.Status);
        Assert.Equal(before, Tools.Listing(dst)); // the directory's 50 deletions exceeded 10 before any was committed as work

        var allowed = Pdm("delete", src, dst, "--max-delete", "50");
        Assert.True(allowed.ExitCode == 0, allowed.Stderr);
        Assert.Equal(50, Counters().Deleted);
        Tools.AssertTreesEqual(src, dst, "dirmtime");
    }

    [Fact]
    public void TheDeletePassNeverTouchesTheSource()
    {
        string src = _tmp["src"], dst = _tmp["dst"];
        Tools.MakeTree("nasty", src, 1.0);
        Assert.Equal(0, Pdm("copy", src, dst).ExitCode);
        Directory.CreateDirectory(Path.Combine(dst, "only-in-target", "deep"));
        File.WriteAllText(Path.Combine(dst, "only-in-target", "deep", "x"), "x");
        string source = Tools.Listing(src);
        var r = Pdm("delete", src, dst);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(3, Counters().Deleted);
        Assert.Equal(source, Tools.Listing(src));
        Tools.AssertTreesEqual(src, dst, "dirmtime");
    }
}
