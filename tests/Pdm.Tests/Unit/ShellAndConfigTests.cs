using Pdm.Configuration;
using Pdm.Shell;
using Pdm.Shell.Commands;
using Pdm.Tests.Support;

namespace Pdm.Tests.Unit;

public sealed class ShellAndConfigTests : IDisposable
{
    private readonly TempTree _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Theory]
    [InlineData("copy a b", new[] { "copy", "a", "b" })]
    [InlineData("  copy   'with space'  \"dq \\\"x\\\"\" ", new[] { "copy", "with space", "dq \"x\"" })]
    [InlineData("a\\ b c", new[] { "a b", "c" })]
    [InlineData("''", new[] { "" })]
    public void ShellLinesSplitLikeAShell(string line, string[] expected) => Assert.Equal(expected, ShellCommand.Split(line));

    [Theory]
    [InlineData("/home/ann", null, false, "/home/ann/.local/state/pdm")]
    [InlineData("/home/ann", "/xdg", false, "/xdg/pdm")]
    [InlineData(null, null, true, "/var/lib/pdm")]     // root without a home: the system's place
    [InlineData(null, null, false, null)]              // anyone else: none (pdm then asks for --ledger)
    [InlineData("", "", false, null)]
    [InlineData("relative/home", "rel", true, "/var/lib/pdm")] // relative paths would land where pdm runs
    public void TheStateDirectoryIsNeverRelative(string? home, string? xdg, bool root, string? expected)
    {
        var env = new Dictionary<string, string?> { ["HOME"] = home, ["XDG_STATE_HOME"] = xdg };
        Assert.Equal(expected, LedgerLocation.StateDirectory(name => env.GetValueOrDefault(name), root));
    }

    [Fact]
    public void AnUnterminatedQuoteIsAnError() => Assert.Throws<FormatException>(() => ShellCommand.Split("copy 'a b"));

    private PdmConfig Load(string hocon)
    {
        File.WriteAllText(_tmp["c.conf"], hocon);
        return PdmConfig.Load(_tmp["c.conf"]);
    }

    [Fact]
    public void NamedPathsResolveUnderTheirMountAndOthersStayPlain()
    {
        Directory.CreateDirectory(_tmp["mnt/panda"]);
        var config = Load($$"""filesystems.panda.mount = "{{_tmp["mnt/panda"]}}" """);
        Assert.Equal(_tmp["mnt/panda"] + "/projects", config.Resolve("panda:/projects"));
        Assert.Equal(_tmp["mnt/panda"] + "/projects", config.Resolve("panda:projects"));
        Assert.Equal("otter:/projects", config.Resolve("otter:/projects")); // not a named filesystem: a plain path
        Assert.Equal("/plain", config.Resolve("/plain"));
        Assert.False(config.Filesystems["panda"].Writable); // writable defaults to false
    }

    [Fact]
    public void TheInnermostMountHoldsAPath()
    {
        Directory.CreateDirectory(_tmp["a/b"]);
        var config = Load($$"""
            filesystems {
              outer { mount = "{{_tmp["a"]}}", writable = true }
              inner { mount = "{{_tmp["a/b"]}}", writable = false }
            }
            """);
        Assert.Equal("inner", config.Containing(Pdm.Native.ByteNames.FromString(_tmp["a/b/c"]))!.Name);
        Assert.Equal("outer", config.Containing(Pdm.Native.ByteNames.FromString(_tmp["a/bc"]))!.Name);
        Assert.Null(config.Containing(Pdm.Native.ByteNames.FromString(_tmp["z"])));
        Assert.Throws<ConfigException>(() => config.CheckWritable(Pdm.Native.ByteNames.FromString(_tmp["a/b"]), "to target"));
        config.CheckWritable(Pdm.Native.ByteNames.FromString(_tmp["a/x"]), "to target");
    }
}
