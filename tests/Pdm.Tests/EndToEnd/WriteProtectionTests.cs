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
        var r = Pdm(args);
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Stderr}");
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(message, line);
        Assert.Equal(before, Tools.Listing(_tmp.Root));
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

    [Fact]
    public void AConfigThatDoesNotExistIsRefused() =>
        AssertRefused("does not exist", "copy", _tmp["panda/projects"], _tmp["badger/x"], "--config", _tmp["nope.conf"]);
}
