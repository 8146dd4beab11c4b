using Pdm.Tests.Support;

namespace Pdm.Tests.EndToEnd;

/// <summary>Named filesystems: pdm refuses, before any work, to write where the config does not allow it.</summary>
public sealed class WriteProtectionTests : IDisposable
{
    private readonly TempTree _tmp = new();
    private readonly string _config;

    public WriteProtectionTests()
    {
        Directory.CreateDirectory(_tmp["panda/projects/a"]);
        File.WriteAllText(_tmp["panda/projects/a/file"], "data");
        Directory.CreateDirectory(_tmp["badger"]);
        _config = _tmp["pdm.conf"];
        File.WriteAllText(_config, $$"""
            # panda is being retired: read only
            filesystems {
              panda  { mount = "{{_tmp["panda"]}}",  writable = false }
              badger { mount = "{{_tmp["badger"]}}", writable = true }
            }
            """);
    }

    public void Dispose() => _tmp.Dispose();

    /// <summary>pdm with this test's config and ledger, unless the arguments name their own.</summary>
    private Tools.Result Pdm(params string[] args) => Tools.Pdm_([
        .. args,
        .. args.Contains("--config") ? Array.Empty<string>() : ["--config", _config],
        .. args.Contains("--ledger") ? Array.Empty<string>() : ["--ledger", _tmp["l.db"]]]);

    private void AssertRefused(string message, params string[] args)
    {
        string before = Tools.Listing(_tmp.Root);
        AssertOneLineRefusal(Pdm(args), message);
        Assert.Equal(before, Tools.Listing(_tmp.Root));
    }

    /// <summary>Exit 2 and one line on stderr that says <paramref name="message"/>.</summary>
    private static void AssertOneLineRefusal(Tools.Result r, string message)
    {
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Contains(message, Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void CopyingBetweenNamedFilesystemsWorksInBothForms()
    {
        var r = Pdm("copy", "panda:/projects", "badger:/projects");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Tools.AssertTreesEqual(_tmp["panda/projects"], _tmp["badger/projects"]);
        var again = Pdm("copy", "panda", "badger", "/projects");
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("copy pass 2", again.Stderr);
    }

    [Fact]
    public void WritingToAReadOnlyFilesystemIsRefusedInEveryForm()
    {
        Directory.CreateDirectory(_tmp["badger/src"]);
        AssertRefused("filesystem 'panda'", "copy", "badger:/src", "panda:/copy");
        AssertRefused("filesystem 'panda'", "copy", "badger", "panda", "/src");
        AssertRefused("filesystem 'panda'", "copy", _tmp["badger/src"], _tmp["panda/copy"]); // a plain path under its mount
        AssertRefused("filesystem 'panda'", "delete", "badger:/src", "panda:/projects");
        AssertRefused("filesystem 'panda'", "mtime", "badger:/src", "panda:/projects");
        AssertRefused("filesystem 'panda'", "copy", "badger:/src", "badger:/other", "--ledger", _tmp["panda/l.db"]);
    }

    [Fact]
    public void ReadingFromAReadOnlyFilesystemAndDryRunsAreAllowed()
    {
        Assert.Equal(0, Pdm("copy", "panda:/projects", "badger:/projects").ExitCode);
        Assert.Equal(0, Pdm("verify", "badger:/projects", "panda:/projects").ExitCode);
        string before = Tools.Listing(_tmp["panda"]);
        Assert.Equal(0, Pdm("copy", "badger:/projects", "panda:/elsewhere", "--dry-run").ExitCode);
        Assert.Equal(before, Tools.Listing(_tmp["panda"]));
    }

    [Fact]
    public void AnUnknownFilesystemInTheThreeArgumentFormIsRefused() =>
        AssertRefused("'otter' is not a filesystem named in", "copy", "panda", "otter", "/projects");

    [Theory]
    [InlineData("filesystems { x { mount = relative } }", "filesystems.x.mount: must be an absolute path")]
    [InlineData("filesystems.x { mount = /m, writable = yes }", "filesystems.x.writable: must be true or false")]
    [InlineData("filesystems { x { mountpoint = /m } }", "filesystems.x.mountpoint: unknown key")]
    [InlineData("filesystem {}", "filesystem: unknown key")]
    [InlineData("filesystems { x { writable = true } }", "filesystems.x.mount: is missing")]
    [InlineData("threads = many", "threads: must be a whole number")]
    [InlineData("filesystems { ", "not valid HOCON: line 1: the '{' opened here is never closed")]
    [InlineData("filesystems { x { mount = [ /a, /b } }", "not valid HOCON: line 1: '}' closes the '['")]
    [InlineData("ledger = ${PDM_TEST_NOT_SET}", "not valid HOCON: line 1: ${PDM_TEST_NOT_SET}: the environment variable PDM_TEST_NOT_SET is not set")]
    // JSON is HOCON too: a config written as JSON reads the same, and its errors are reported the same.
    [InlineData("{ \"filesystems\": { \"x\": { \"mount\": \"/m\", \"writable\": \"yes\" } } }", "filesystems.x.writable: must be true or false")]
    public void AConfigErrorNamesTheFileTheKeyAndTheProblem(string hocon, string message)
    {
        File.WriteAllText(_config, hocon);
        AssertRefused($"config {_config}: {message}", "copy", _tmp["panda/projects"], _tmp["badger/x"]);
    }

    /// <summary>
    /// Akka reads its own settings only when the actor system starts, after pdm has read the file: a
    /// value it refuses is still a config error (exit 2, one line, the key named), and the pass, its
    /// target are made only after that start. It was an internal error (exit 70, a stack trace on
    /// stdout, the pass admitted); a bad dispatcher setting hung the copy for good. A new ledger is
    /// created while the actor system starts (its schema costs as long), and removed again: all that
    /// stays is its directory's mtime.
    /// </summary>
    [Theory]
    [InlineData("akka.loglevel = LOUD", "akka.loglevel: Unknown LogLevel: \"LOUD\"")]
    [InlineData("akka.scheduler.tick-duration = 0ms", "akka.scheduler.tick-duration: ")]
    [InlineData("akka.actor.pdm-io.throughput = abc", "akka.actor.pdm-io.throughput: The input string 'abc' was not in a correct format")]
    [InlineData("akka { coordinated-shutdown.phases.service-unbind.timeout = soon }", "akka.coordinated-shutdown.phases.service-unbind.timeout: The input string 'soon'")]
    [InlineData("akka.actor.pdm-ledger.type = Nonsense", "akka: Could not resolve dispatcher type Nonsense for path akka.actor.pdm-ledger")]
    public void ASettingAkkaRefusesIsAConfigErrorAndLeavesNothing(string hocon, string message)
    {
        File.WriteAllText(_config, hocon);
        string panda = Tools.Listing(_tmp["panda"]), badger = Tools.Listing(_tmp["badger"]);
        var r = Pdm("copy", _tmp["panda/projects"], _tmp["badger/x"]);
        AssertOneLineRefusal(r, $"config {_config}: {message}");
        Assert.Empty(r.Stdout);
        Assert.Equal(panda, Tools.Listing(_tmp["panda"]));
        Assert.Equal(badger, Tools.Listing(_tmp["badger"]));
        Assert.Empty(Directory.GetFiles(_tmp.Root, "l.db*"));
    }

    [Fact]
    public void ASettingAkkaRefusesAdmitsNoPassToALedgerInUse()
    {
        Assert.Equal(0, Pdm("copy", "panda:/projects", "badger:/projects").ExitCode);
        File.AppendAllText(_config, "\nakka.loglevel = LOUD\n");
        AssertOneLineRefusal(Pdm("copy", "panda:/projects", "badger:/again"), "akka.loglevel: Unknown LogLevel");
        Assert.False(Directory.Exists(_tmp["badger/again"]), "the refused pass's target was made");
        var passes = Pdm("passes"); // reads the ledger only: the config's akka { } does not matter
        Assert.Equal(0, passes.ExitCode);
        Assert.DoesNotContain("again", passes.Stdout);
    }

    [Fact]
    public void AConfigThatDoesNotExistIsRefused() =>
        AssertRefused("does not exist", "copy", _tmp["panda/projects"], _tmp["badger/x"], "--config", _tmp["nope.conf"]);
    /// <summary>A config that names filesystems keeps pdm inside them: a source or target outside all of them is refused, nothing written.</summary>
    [Fact]
    public void APathOutsideEveryNamedFilesystemIsRefused()
    {
        Directory.CreateDirectory(_tmp["elsewhere/src"]);
        File.WriteAllText(_tmp["elsewhere/src/f"], "x");
        AssertRefused("lies outside every filesystem named in", "copy", _tmp["elsewhere/src"], "badger:/copy");
        AssertRefused("lies outside every filesystem named in", "copy", "panda:/projects", _tmp["elsewhere/dst"]);
        AssertRefused("lies outside every filesystem named in", "delete", _tmp["elsewhere/src"], "badger:/");
        // allow-any-path = true lets it out again.
        File.AppendAllText(_config, "allow-any-path = true\n");
        var r = Pdm("copy", _tmp["elsewhere/src"], "badger:/copy");
        Assert.True(r.ExitCode == 0, r.Stderr);
    }
}
