using Pdm.Tests.Support;

namespace Pdm.Tests.EndToEnd;

/// <summary>Bad input: one clear line on stderr, exit status 2, and nothing written (no target, no ledger).</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly TempTree _tmp = new();

    public BadInputTests()
    {
        Directory.CreateDirectory(_tmp["src/inner"]);
        File.WriteAllText(_tmp["src/file"], "x");
    }

    public void Dispose() => _tmp.Dispose();

    private void AssertRefused(string expectedMessage, params string[] args)
    {
        var before = Snapshot();
        var r = Tools.Pdm_(args);
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}, stderr: {r.Stderr}");
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("pdm: ", line);
        Assert.Contains(expectedMessage, line);
        Assert.Equal(before, Snapshot());
    }

    private string Snapshot() => Tools.Run("find", [_tmp.Root]).Stdout;

    [Fact]
    public void AMissingSourceIsRefused() =>
        AssertRefused("does not exist", "copy", _tmp["nope"], _tmp["dst"], "--ledger", _tmp["l.db"]);

    [Fact]
    public void ASourceThatIsAFileIsRefused() =>
        AssertRefused("is not a directory", "copy", _tmp["src/file"], _tmp["dst"], "--ledger", _tmp["l.db"]);

    [Fact]
    public void TheSameDirectoryIsRefused() =>
        AssertRefused("the same directory", "copy", _tmp["src"], _tmp["src"] + "/", "--ledger", _tmp["l.db"]);

    [Fact]
    public void TheSameDirectoryThroughASymlinkIsRefused()
    {
        File.CreateSymbolicLink(_tmp["alias"], _tmp["src"]);
        AssertRefused("the same directory", "copy", _tmp["src"], _tmp["alias"], "--ledger", _tmp["l.db"]);
    }

    [Fact]
    public void ATargetInsideTheSourceIsRefused() =>
        AssertRefused("inside the source", "copy", _tmp["src"], _tmp["src/inner/copy"], "--ledger", _tmp["l.db"]);

    [Fact]
    public void ASourceInsideTheTargetIsRefused() =>
        AssertRefused("inside the target", "copy", _tmp["src/inner"], _tmp["src"], "--ledger", _tmp["l.db"]);

    // The same directory under another name, through bind mounts: decided by identity, not by the paths' text.

    [Fact]
    public void ATargetInsideTheSourceThroughABindMountIsRefused()
    {
        string alias = _tmp.BindMount(_tmp["src"], "alias");
        AssertRefused("inside the source", "copy", _tmp["src"], Path.Combine(alias, "inner", "copy"), "--ledger", _tmp["l.db"]);
    }

    [Fact]
    public void TheSourceAndItsBindMountAreTheSameDirectory()
    {
        string alias = _tmp.BindMount(_tmp["src"], "alias");
        AssertRefused("the same directory", "copy", _tmp["src"], alias, "--ledger", _tmp["l.db"]);
    }

    [Fact]
    public void ASourceInsideTheTargetThroughABindMountIsRefused()
    {
        string alias = _tmp.BindMount(_tmp["src"], "alias");
        AssertRefused("inside the target", "copy", Path.Combine(alias, "inner"), _tmp["src"], "--ledger", _tmp["l.db"]);
    }

    [Fact]
    public void ATargetInABindMountOfASubdirectoryOfTheSourceIsRefused()
    {
        // No ".." leads from the mount back into the source: its place in the filesystem does.
        string sub = _tmp.BindMount(_tmp["src/inner"], "sub");
        AssertRefused("inside the source", "copy", _tmp["src"], Path.Combine(sub, "copy"), "--ledger", _tmp["l.db"]);
    }

    [Fact]
    public void ATargetWhoseParentIsMissingIsRefused() =>
        AssertRefused("parent directory", "copy", _tmp["src"], _tmp["no/such/dst"], "--ledger", _tmp["l.db"]);

    [Fact]
    public void ATargetThatIsAFileIsRefused() =>
        AssertRefused("not a directory", "copy", _tmp["src"], _tmp["src/file"], "--ledger", _tmp["l.db"]);

    // The ledger inside a tree: in the source it changed the source and was copied, half-written, with
    // it; in the target, a delete pass removed the ledger it was running on (and its journal with it).

    [Theory]
    [InlineData("copy", "src/l.db", "inside the source")]
    [InlineData("copy", "src/inner/l.db", "inside the source")]
    [InlineData("copy", "src/not/yet/l.db", "inside the source")]
    [InlineData("copy", "dst/l.db", "inside the target")]
    [InlineData("delete", "dst/l.db", "inside the target")]
    [InlineData("verify", "dst/deeper/l.db", "inside the target")]
    [InlineData("mtime", "src/l.db", "inside the source")]
    public void ALedgerInsideTheSourceOrTheTargetIsRefused(string kind, string ledger, string message)
    {
        Directory.CreateDirectory(_tmp["dst/deeper"]);
        AssertRefused(message, kind, _tmp["src"], _tmp["dst"], "--ledger", _tmp[ledger]);
    }

    [Fact]
    public void ALedgerInsideTheTargetThroughABindMountIsRefused()
    {
        Directory.CreateDirectory(_tmp["dst"]);
        string alias = _tmp.BindMount(_tmp["dst"], "alias");
        AssertRefused("inside the target", "delete", _tmp["src"], _tmp["dst"], "--ledger", Path.Combine(alias, "l.db"));
    }

    [Fact]
    public void ResumingFromALedgerMovedIntoTheTargetIsRefused()
    {
        // A pass admitted with its ledger beside the trees, whose ledger is then moved into the target.
        Directory.CreateDirectory(_tmp["dst"]);
        var r = Tools.Pdm_("delete", _tmp["src"], _tmp["dst"], "--ledger", _tmp["l.db"], "--detach");
        Assert.True(r.ExitCode == 0, r.Stderr);
        File.Move(_tmp["l.db"], _tmp["dst/l.db"]);
        AssertRefused("inside the target", "resume", r.Stdout.Trim(), "--ledger", _tmp["dst/l.db"]);
        Assert.True(File.Exists(_tmp["dst/l.db"]));
    }

    [Fact]
    public void ALedgerBesideTheTreesIsFine()
    {
        var r = Tools.Pdm_("copy", _tmp["src"], _tmp["dst"], "--ledger", _tmp["l.db"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Tools.AssertTreesEqual(_tmp["src"], _tmp["dst"]);
    }

    [Fact]
    public void ALedgerInAMissingDirectoryIsRefused() =>
        AssertRefused("cannot create ledger", "copy", _tmp["src"], _tmp["dst"], "--ledger", _tmp["nodir/l.db"]);

    [Fact]
    public void ALedgerWhereNoneCanBeCreatedIsRefused() =>
        AssertRefused("cannot create ledger", "copy", _tmp["src"], _tmp["dst"], "--ledger", "/proc/pdm-ledger.db");

    [Fact]
    public void ALedgerPathThatIsADirectoryIsRefused()
    {
        Directory.CreateDirectory(_tmp["state"]); // beside the trees: one inside them is refused for that
        AssertRefused("is a directory", "copy", _tmp["src"], _tmp["dst"], "--ledger", _tmp["state"]);
    }

    [Fact]
    public void ALedgerOnAReadOnlyFilesystemIsRefused()
    {
        Assert.True(Tools.IsRoot, "this test runs as root, as CI does (it mounts a read-only tmpfs)");
        _tmp.MountTmpfs("ro", "ro,size=1m");
        AssertRefused("Read-only file system", "copy", _tmp["src"], _tmp["dst"], "--ledger", _tmp["ro/l.db"]);
    }

    [Fact]
    public void ATargetOnAReadOnlyFilesystemIsRefusedForWritesOnly()
    {
        Assert.True(Tools.IsRoot, "this test runs as root, as CI does (it mounts a read-only tmpfs)");
        string mount = _tmp.MountTmpfs("ro-target", "size=1m");
        Directory.CreateDirectory(Path.Combine(mount, "dst"));
        Assert.Equal(0, Tools.Run("mount", ["-o", "remount,ro", mount]).ExitCode);
        string dst = Path.Combine(mount, "dst");
        AssertRefused("is on a read-only filesystem", "copy", _tmp["src"], dst, "--ledger", _tmp["l.db"]);
        AssertRefused("is on a read-only filesystem", "delete", _tmp["src"], dst, "--ledger", _tmp["l.db"]);
        var verify = Tools.Pdm_("verify", _tmp["src"], dst, "--ledger", _tmp["l.db"]); // reads only
        Assert.True(verify.ExitCode == 1, $"verify: exit {verify.ExitCode}: {verify.Stderr}"); // it differs
        var dryRun = Tools.Pdm_("copy", _tmp["src"], dst, "--ledger", _tmp["l.db"], "--dry-run");
        Assert.True(dryRun.ExitCode == 0, $"dry run: exit {dryRun.ExitCode}: {dryRun.Stderr}");
    }

    [Fact]
    public void BadThreadCountsAreRefused() =>
        AssertRefused("--threads", "copy", _tmp["src"], _tmp["dst"], "--ledger", _tmp["l.db"], "--threads", "0");

    [Fact]
    public void UnknownCommandsAndMissingArgumentsAreRefused()
    {
        AssertRefused("", "frobnicate");
        AssertRefused("", "copy", _tmp["src"]);
    }

    [Fact]
    public void ResumingAPassThatDoesNotExistIsRefused()
    {
        Assert.Equal(0, Tools.Pdm_("copy", _tmp["src"], _tmp["dst"], "--ledger", _tmp["l.db"]).ExitCode);
        AssertRefused("no pass 42", "resume", "42", "--ledger", _tmp["l.db"]);
        AssertRefused("already completed", "resume", "1", "--ledger", _tmp["l.db"]);
    }

    [Fact]
    public void HelpListsTheExitCodes()
    {
        var r = Tools.Pdm_("--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("130 interrupted", r.Stdout);
        Assert.Contains("copy", r.Stdout);
    }
}
