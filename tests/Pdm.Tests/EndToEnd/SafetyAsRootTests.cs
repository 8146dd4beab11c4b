using System.Diagnostics;
using Pdm.Ledger;
using Pdm.Tests.Support;
using Xunit.Abstractions;

namespace Pdm.Tests.EndToEnd;

/// <summary>
/// pdm runs as root in directories its users can write. What a hostile user does there must not
/// make root change anything outside the target, copy into its own source, or write its ledger
/// where it runs.
/// </summary>
[Collection(TimingCollection.Name)]
public sealed class SafetyAsRootTests : IDisposable
{
    private readonly TempTree _tmp = new();
    private readonly ITestOutputHelper _log;

    public SafetyAsRootTests(ITestOutputHelper log)
    {
        _log = log;
        Assert.True(Tools.IsRoot, "these tests run as root, as CI does");
        // The unprivileged user must reach the scratch directory (it is created owner-only).
        Assert.Equal(0, Tools.Run("chmod", ["755", _tmp.Root]).ExitCode);
    }

    public void Dispose() => _tmp.Dispose();

    private static void Chown(string path, int uid) =>
        Assert.Equal(0, Tools.Run("chown", ["-h", $"{uid}:{uid}", path]).ExitCode);

    /// <summary>
    /// The attack of issue 13: the owner of a target directory swaps each temporary pdm makes there
    /// for a symlink to a root-owned file, hoping root then gives that file the entry's owner, mode
    /// (setuid, world-writable) or times. Every kind of entry pdm makes under a temporary name is in
    /// the source: fifos, sockets, character and block devices, symlinks, and regular files that
    /// replace an older copy.
    /// </summary>
    [Fact]
    public async Task SwappingTemporariesForSymlinksNeverChangesAFileOutsideTheTarget()
    {
        string src = _tmp["src"], dst = _tmp["dst"], outside = _tmp["outside"];
        Directory.CreateDirectory(src);
        Directory.CreateDirectory(dst);
        Chown(dst, Tools.Nobody); // as a first pass leaves it: the source directory's owner's
        File.WriteAllText(outside, "root's own file\n");
        Assert.Equal(0, Tools.Run("chmod", ["644", outside]).ExitCode);
        Assert.Equal(0, Tools.Run("touch", ["-d", "2001-02-03 04:05:06.123456789", outside]).ExitCode);
        // 3000 special files and 500 each of symlinks and replaced files, owned by another user, mode 4777
        // (setuid and world-writable: what a chmod through the symlink would give the outside file).
        var make = Tools.Run("python3", ["-c", """
            import os, stat, sys
            src, dst = sys.argv[1], sys.argv[2]
            kinds = [stat.S_IFIFO, stat.S_IFSOCK, stat.S_IFCHR, stat.S_IFBLK, stat.S_IFIFO, stat.S_IFSOCK, "symlink", "file"]
            for i in range(4000):
                kind, name = kinds[i % len(kinds)], f"e{i:05}"
                path = os.path.join(src, name)
                if kind == "symlink":
                    os.symlink("somewhere", path)
                elif kind == "file":
                    with open(path, "w") as f: f.write("new content")
                    with open(os.path.join(dst, name), "w") as f: f.write("old")  # replaced through a named temporary
                    os.chown(os.path.join(dst, name), 65534, 65534)
                else:
                    os.mknod(path, kind, os.makedev(1, 3) if kind == stat.S_IFCHR else os.makedev(7, 200))
                os.lchown(path, 1234, 1234)
                if kind != "symlink":
                    os.chmod(path, 0o4777)
            """, src, dst]);
        Assert.True(make.ExitCode == 0, make.Stderr);
        string before = Tools.StatLine(outside);

        string script = Path.Combine(Tools.RepoRoot, "tests", "Pdm.Tests", "Support", "swap_temporaries.py");
        var psi = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in Tools.AsNobody(Tools.SystemPython, script, dst, outside, Path.Combine(dst, ".ready"))) psi.ArgumentList.Add(a);
        using var attacker = Process.Start(psi)!;
        var swappedText = attacker.StandardOutput.ReadToEndAsync();
        var attackerErrors = attacker.StandardError.ReadToEndAsync();
        Tools.WaitFor(() => File.Exists(Path.Combine(dst, ".ready")) || attacker.HasExited, "the attacker to watch the target");
        Assert.False(attacker.HasExited, "the attacker could not start: " + (attacker.HasExited ? await attackerErrors : ""));

        // One thread leaves the attacker a core: against pdm before issue 13 it then won the race every time.
        var copy = Tools.Pdm_("copy", src, dst, "--ledger", _tmp["l.db"], "--threads", "1");
        Tools.Run("kill", ["-TERM", attacker.Id.ToString()]);
        Assert.True(attacker.WaitForExit(10_000));
        string swapped = (await swappedText).Trim();
        _log.WriteLine($"swapped {swapped} temporaries; pdm: {copy.ExitCode}\n{copy.Stdout}\nattacker: {await attackerErrors}");

        Assert.True(copy.ExitCode is 0 or 1, copy.Stderr);
        Assert.True(int.Parse(swapped) > 0, "the attacker never swapped a temporary: the test proves nothing");
        Assert.Equal(before, Tools.StatLine(outside));
        Assert.Equal("root's own file\n", File.ReadAllText(outside));
    }

    /// <summary>A mount made after the pass began (here: the target bind-mounted inside the source) is not copied into itself.</summary>
    [Fact]
    public void TheTargetMountedInsideTheSourceIsNotDescendedInto()
    {
        string src = _tmp["src"], dst = _tmp["dst"];
        Directory.CreateDirectory(Path.Combine(src, "loop"));
        File.WriteAllText(Path.Combine(src, "file"), "x");
        Assert.Equal(0, Tools.Pdm_("copy", src, dst, "--ledger", _tmp["l.db"]).ExitCode);
        _tmp.BindMount(dst, "src/loop");

        var again = Tools.Pdm_("copy", src, dst, "--ledger", _tmp["l.db"]);
        Assert.True(again.ExitCode == 1, $"{again.ExitCode}: {again.Stdout}\n{again.Stderr}");
        using var ledger = SqliteLedger.Open(_tmp["l.db"]);
        var failure = Assert.Single(ledger.Failures(2, 0, 100));
        Assert.Equal("loop"u8.ToArray(), failure.Path);
        Assert.Contains("target directory", failure.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(dst, "loop")));
    }

    /// <summary>Without a home (a service account), the ledger never lands in the current directory.</summary>
    [Fact]
    public void WithoutAHomeTheLedgerIsNeverWrittenWhereTheCommandRuns()
    {
        string src = _tmp["src"];
        Tools.MakeTree("small", src, 0.01);
        Assert.Equal(0, Tools.Run("chmod", ["-R", "a+rwX", src]).ExitCode); // nobody could write here
        string before = Tools.Listing(src);
        var psi = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = src };
        foreach (var a in Tools.AsNobody("env", "-u", "HOME", "-u", "XDG_STATE_HOME", "-u", "PDM_LEDGER", Tools.Pdm, "copy", src, _tmp["dst"]))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 2, $"exit {p.ExitCode}: {stderr}");
        Assert.Contains("--ledger", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal(before, Tools.Listing(src));
        Assert.False(Directory.Exists(_tmp["dst"]));
    }

    /// <summary>
    /// A directory removed while it is scanned is one failure with a plain message, not an internal
    /// error with a stack trace and a second failure for the same directory. Its entries are
    /// hardlinks, so that its scan (which records each inode in the ledger) lasts long enough to be
    /// caught, and fewer than a scan's checkpoint: pdm is stopped as soon as the directory's copy
    /// appears, the directory is removed, and pdm carries on.
    /// </summary>
    [Fact]
    public async Task ADirectoryRemovedWhileItIsScannedIsOneFailure()
    {
        string src = _tmp["src"], big = Path.Combine(src, "big");
        Directory.CreateDirectory(big);
        File.WriteAllText(Path.Combine(src, "first"), "x");
        File.WriteAllText(Path.Combine(big, "f"), "shared");
        Assert.Equal(0, Tools.Run("python3", ["-c", "import os,sys\nfor i in range(5000): os.link(sys.argv[1] + '/f', f'{sys.argv[1]}/h{i}')", big]).ExitCode);

        var psi = new ProcessStartInfo(Tools.Pdm) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "copy", src, _tmp["dst"], "--ledger", _tmp["l.db"], "--threads", "1" }) psi.ArgumentList.Add(a);
        using var pdm = Process.Start(psi)!;
        var stdout = pdm.StandardOutput.ReadToEndAsync();
        var stderr = pdm.StandardError.ReadToEndAsync();
        Tools.WaitFor(() => Directory.Exists(Path.Combine(_tmp["dst"], "big")) || pdm.HasExited, "the copy of big to be made");
        Assert.Equal(0, Tools.Run("kill", ["-STOP", pdm.Id.ToString()]).ExitCode);
        Assert.Equal(0, Tools.Run("rm", ["-rf", big]).ExitCode);
        Assert.Equal(0, Tools.Run("kill", ["-CONT", pdm.Id.ToString()]).ExitCode);
        Assert.True(pdm.WaitForExit(120_000));
        string output = await stdout, errors = await stderr;

        Assert.True(pdm.ExitCode == 1, $"{pdm.ExitCode}: {output}\n{errors}");
        Assert.DoesNotContain("internal error", errors);
        Assert.DoesNotContain("   at ", errors); // no stack trace
        using var ledger = SqliteLedger.Open(_tmp["l.db"]);
        var failure = Assert.Single(ledger.Failures(1, 0, 100));
        Assert.Equal("big"u8.ToArray(), failure.Path);
        Assert.Equal(2, failure.Errno);
        Assert.Contains("vanished", failure.Message);
        Assert.Equal(1, LedgerReader.State(_tmp["l.db"], 1).Counters.Failed);
    }

    /// <summary>A directory its user cannot read (pdm run by that user) is one failure, not one for its scan and one for its finalize.</summary>
    [Fact]
    public void AnUnreadableDirectoryIsOneFailure()
    {
        string work = _tmp["work"];
        Directory.CreateDirectory(Path.Combine(work, "src", "locked"));
        Directory.CreateDirectory(Path.Combine(work, "src", "open"));
        File.WriteAllText(Path.Combine(work, "src", "locked", "secret"), "x");
        File.WriteAllText(Path.Combine(work, "src", "open", "f"), "y");
        Assert.Equal(0, Tools.Run("chown", ["-R", $"{Tools.Nobody}:{Tools.Nobody}", work]).ExitCode);
        Assert.Equal(0, Tools.Run("chmod", ["000", Path.Combine(work, "src", "locked")]).ExitCode);

        var r = Tools.Run("setpriv", Tools.AsNobody(Tools.Pdm, "copy", Path.Combine(work, "src"), Path.Combine(work, "dst"),
            "--ledger", Path.Combine(work, "l.db")));
        Assert.True(r.ExitCode == 1, $"{r.ExitCode}: {r.Stdout}\n{r.Stderr}");
        using var ledger = SqliteLedger.Open(Path.Combine(work, "l.db"));
        var failure = Assert.Single(ledger.Failures(1, 0, 100));
        Assert.Equal("locked"u8.ToArray(), failure.Path);
        Assert.Equal(13, failure.Errno); // EACCES
        Assert.True(File.Exists(Path.Combine(work, "dst", "open", "f")));
    }
}
