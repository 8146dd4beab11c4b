using Pdm.Tests.Support;

namespace Pdm.Tests.EndToEnd;

/// <summary>
/// A user who can write a target directory (a project directory copied from her own) plants her bytes
/// where root's are, or places a source file with the size and mtime of a root-only target file.
/// Size and mtime are no proof of content: root's copy must never give her bytes root's owner or a
/// setuid bit, nor give her root's bytes. Embedded and through a cluster: the engine is the same, the
/// way in is not.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class OwnerSwapTests : IDisposable
{
    private readonly TempTree _tmp = new();

    public OwnerSwapTests()
    {
        Assert.True(Tools.IsRoot, "these tests run as root, as CI does");
        Assert.Equal(0, Tools.Run("chmod", ["755", _tmp.Root]).ExitCode);
    }

    public void Dispose() => _tmp.Dispose();

    private static void Chown(string path, int uid) => Assert.Equal(0, Tools.Run("chown", [$"{uid}:{uid}", path]).ExitCode);

    private static void AsNobody(string python, params string[] args)
    {
        var r = Tools.Run("setpriv", Tools.AsNobody([Tools.SystemPython, "-c", python, .. args]));
        Assert.True(r.ExitCode == 0, "as nobody: " + r.Stderr);
    }

    private Func<string, string, Tools.Result> Embedded() => (src, dst) => Tools.Pdm_("copy", src, dst, "--ledger", _tmp["l.db"]);

    private static Func<string, string, Tools.Result> Through(TestCluster cluster) => (src, dst) => cluster.Pdm("copy", src, dst);

    [Fact]
    public void HerBytesNeverGetRootsSetuidBitEmbedded() => HerBytesNeverGetRootsSetuidBit(Embedded());

    [Fact]
    public void RootsBytesNeverGoToHerEmbedded() => RootsBytesNeverGoToHer(Embedded());

    [Fact]
    public void NeitherSwapWorksThroughACluster()
    {
        using var cluster = new TestCluster(_tmp, 1);
        cluster.StartAll();
        HerBytesNeverGetRootsSetuidBit(Through(cluster), "c-");
        RootsBytesNeverGoToHer(Through(cluster), "c-");
    }

    /// <summary>
    /// Root's setuid tool in her project directory: she swaps the target's copy for her own bytes of
    /// the same size and mtime. The next copy by root must put root's bytes back (a new inode), not
    /// chown and chmod hers into `-rwsr-xr-x root`.
    /// </summary>
    private void HerBytesNeverGetRootsSetuidBit(Func<string, string, Tools.Result> copy, string prefix = "")
    {
        string src = _tmp[prefix + "src"], dst = _tmp[prefix + "dst"];
        Directory.CreateDirectory(Path.Combine(src, "proj"));
        string tool = Path.Combine(src, "proj", "tool");
        File.WriteAllText(tool, "ROOT'S BINARY\n");
        Assert.Equal(0, Tools.Run("chmod", ["4755", tool]).ExitCode);
        Chown(Path.Combine(src, "proj"), Tools.Nobody); // her project; the tool in it is root's
        var first = copy(src, dst);
        Assert.True(first.ExitCode == 0, first.Stdout + first.Stderr);
        Assert.Equal($"4755 0:0", Tools.Run("stat", ["-c", "%a %u:%g", Path.Combine(dst, "proj", "tool")]).Stdout.Trim());

        AsNobody("""
            import os, sys
            path = sys.argv[1]
            st = os.stat(path)
            with open(path + ".hers", "w") as f: f.write("HER PAYLOAD!!\n")
            assert os.stat(path + ".hers").st_size == st.st_size
            os.chmod(path + ".hers", 0o755)
            os.utime(path + ".hers", ns=(st.st_atime_ns, st.st_mtime_ns))
            os.rename(path + ".hers", path)
            """, Path.Combine(dst, "proj", "tool"));

        var again = copy(src, dst);
        Assert.True(again.ExitCode == 0, again.Stdout + again.Stderr);
        string copied = Path.Combine(dst, "proj", "tool");
        Assert.Equal("ROOT'S BINARY\n", File.ReadAllText(copied));
        Assert.Equal("4755 0:0", Tools.Run("stat", ["-c", "%a %u:%g", copied]).Stdout.Trim());
        Tools.AssertTreesEqual(src, dst);
    }

    /// <summary>
    /// A root-only target file, and her source file of the same size and mtime in the same place: the
    /// copy must give the target her bytes (a new inode), not chown root's bytes to her.
    /// </summary>
    private void RootsBytesNeverGoToHer(Func<string, string, Tools.Result> copy, string prefix = "")
    {
        string src = _tmp[prefix + "src2"], dst = _tmp[prefix + "dst2"];
        Directory.CreateDirectory(src);
        Directory.CreateDirectory(dst);
        string secret = Path.Combine(dst, "secret");
        File.WriteAllText(secret, "ROOT'S SECRET\n");
        Assert.Equal(0, Tools.Run("chmod", ["600", secret]).ExitCode);
        Chown(src, Tools.Nobody);
        Chown(dst, Tools.Nobody);
        string mtime = Tools.Run("stat", ["-c", "%y", secret]).Stdout.Trim();
        AsNobody("""
            import os, sys
            path, mtime_of = sys.argv[1], sys.argv[2]
            with open(path, "w") as f: f.write("HER OWN FILE!\n")
            os.chmod(path, 0o600)
            os.utime(path, ns=(0, int(mtime_of)))
            """, Path.Combine(src, "secret"), Tools.Run("stat", ["-c", "%.9Y", secret]).Stdout.Trim().Replace(".", ""));
        Assert.Equal(mtime, Tools.Run("stat", ["-c", "%y", Path.Combine(src, "secret")]).Stdout.Trim());

        var r = copy(src, dst);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Equal("HER OWN FILE!\n", File.ReadAllText(secret));
        Assert.Equal($"600 {Tools.Nobody}:{Tools.Nobody}", Tools.Run("stat", ["-c", "%a %u:%g", secret]).Stdout.Trim());
    }
}
