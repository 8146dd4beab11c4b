using System.Text.Json;
using Pdm.Tests.Support;

namespace Pdm.Tests.EndToEnd;

/// <summary>
/// Only the admin commands the cluster (issue 23). Nodes run as root, over mutual TLS made by `pdm
/// cluster init`; an unprivileged local user (nobody) tries every command, every way: without TLS, over
/// plain TCP, with root's TLS directory, with a CA of her own, and with her own certificate beside the
/// cluster's public CA certificate. Nothing she asks is done, and nothing is written.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterSecurityTests : IDisposable
{
    private readonly TempTree _tmp = TempTree.OnTmpfs();

    public ClusterSecurityTests()
    {
        Assert.True(Tools.IsRoot, "these tests run as root, as CI does");
        Assert.Equal(0, Tools.Run("chmod", ["755", _tmp.Root]).ExitCode);
    }

    public void Dispose() => _tmp.Dispose();

    /// <summary>`pdm ARGS` as nobody, with a home of her own.</summary>
    private Tools.Result AsNobody(params string[] args) =>
        Tools.Run("setpriv", Tools.AsNobody(["env", "-u", "PDM_CONFIG", "-u", "PDM_TLS", $"HOME={_tmp["home"]}", Tools.Pdm, .. args]), TimeSpan.FromMinutes(2));

    [Fact]
    public async Task AnUnprivilegedUserCommandsNothing()
    {
        // What root has: a finished pass, a paused one, a root-only directory and a root-owned target.
        string src = _tmp["src"], secret = _tmp["secret"], rootTarget = _tmp["root-target"];
        Tools.MakeTree("small", src, 0.3); // 30,000 files: the second pass is paused long before it ends
        Directory.CreateDirectory(Path.Combine(secret, "names-nobody-may-see"));
        Assert.Equal(0, Tools.Run("chmod", ["700", secret]).ExitCode);
        Directory.CreateDirectory(rootTarget);
        File.WriteAllText(Path.Combine(rootTarget, "keep"), "root's\n");
        using var cluster = new TestCluster(_tmp, 2);
        cluster.StartAll();
        var first = cluster.Pdm("copy", src, _tmp["dst"]);
        Assert.True(first.ExitCode == 0, first.Stdout + first.Stderr);
        var second = cluster.Pdm("copy", src, _tmp["dst2"], "--detach");
        Assert.True(second.ExitCode == 0, second.Stderr);
        var pause = cluster.Pdm("pause", "2"); // paused mid-way, mostly; on a fast day it has ended already
        Assert.True(pause.ExitCode == 0 || pause.Stderr.Contains("is completed"), pause.Stderr);

        // Hers: a tree, a home, a CA of her own, and her certificate beside the cluster's CA certificate
        // (public: an admin may well leave it readable).
        string home = _tmp["home"], mine = Path.Combine(home, "mine");
        Directory.CreateDirectory(mine);
        File.WriteAllText(Path.Combine(mine, "hers"), "her file\n");
        Assert.Equal(0, Tools.Run("chown", ["-R", $"{Tools.Nobody}:{Tools.Nobody}", home]).ExitCode);
        var init = AsNobody("cluster", "init", Path.Combine(home, "tls"));
        Assert.True(init.ExitCode == 0, init.Stderr);
        File.Copy(Path.Combine(cluster.TlsDir, "ca.crt"), Path.Combine(home, "cluster-ca.crt"));
        Assert.Equal(0, Tools.Run("chmod", ["644", Path.Combine(home, "cluster-ca.crt")]).ExitCode);
        string mixed = Path.Combine(home, "mixed.conf");
        File.WriteAllText(mixed, $"cluster {{ tls {{ certificate = \"{home}/tls/admin.pfx\", ca = \"{home}/cluster-ca.crt\" }} }}\n");
        Assert.Equal(0, Tools.Run("chown", ["-R", $"{Tools.Nobody}:{Tools.Nobody}", home]).ExitCode);

        Thread.Sleep(2000); // work in flight when it was paused ends
        string before = Tools.Listing(rootTarget) + Tools.Listing(src) + Tools.Listing(_tmp["dst2"]);
        string pass2 = StateAndCounts(cluster.Status(2));
        string[][] commands =
        [
            ["copy", mine, rootTarget],
            ["delete", mine, rootTarget],
            ["copy", secret, Path.Combine(home, "out"), "--dry-run"],
            ["pause", "1"], ["resume", "2"], ["cancel", "2"],
            ["passes"], ["status", "1"], ["failures", "1"], ["nodes"],
            ["cluster", "show"], ["cluster", "leave", cluster.Address(0)], ["cluster", "down", cluster.Address(1)],
        ];
        // Every command, every way, at once (each attempt is a process of its own).
        var attempts = commands.Select(command => Task.Run(() =>
        {
            string what = string.Join(' ', command);
            // No TLS given: refused before anything is sent.
            var plain = AsNobody([.. command, "--cluster", cluster.Contacts]);
            Assert.True(plain.ExitCode == 2 && plain.Stderr.Contains("mutual TLS"), $"{what} without TLS: exit {plain.ExitCode}: {plain.Stdout}{plain.Stderr}");
            // Root's TLS directory: she cannot read it.
            var roots = AsNobody([.. command, "--cluster", cluster.Contacts, "--tls", cluster.TlsDir]);
            Assert.True(roots.ExitCode == 2 && roots.Stderr.Contains("TLS certificate"), $"{what} with root's TLS: exit {roots.ExitCode}: {roots.Stdout}{roots.Stderr}");
            // A CA of her own: the nodes show a certificate of another CA, and would refuse hers.
            var own = AsNobody([.. command, "--cluster", cluster.Contacts, "--tls", Path.Combine(home, "tls")]);
            Assert.True(own.ExitCode == 2 && own.Stderr.Contains("not of this cluster's CA"), $"{what} with her own CA: exit {own.ExitCode}: {own.Stdout}{own.Stderr}");
            Assert.Empty(own.Stdout);
        })).ToArray();
        await Task.WhenAll(attempts);
        // Plain TCP, and her certificate with the cluster's CA certificate: the nodes refuse her.
        var insecure = AsNobody("copy", mine, rootTarget, "--cluster", cluster.Contacts, "--insecure");
        Assert.True(insecure.ExitCode == 2 && insecure.Stderr.Contains("requires TLS"), insecure.Stdout + insecure.Stderr);
        await Task.WhenAll(new[] { new[] { "copy", mine, rootTarget }, ["passes"], ["cluster", "down", cluster.Address(1)] }.Select(command => Task.Run(() =>
        {
            var refused = AsNobody([.. command, "--cluster", cluster.Contacts, "--config", mixed]);
            Assert.True(refused.ExitCode == 2 && refused.Stderr.Contains("refused this client's certificate"), $"{string.Join(' ', command)}: {refused.Stdout}{refused.Stderr}");
        })));

        // Nothing she asked was done.
        Assert.Equal(before, Tools.Listing(rootTarget) + Tools.Listing(src) + Tools.Listing(_tmp["dst2"]));
        Assert.False(Directory.Exists(Path.Combine(home, "out")));
        var passes = cluster.Pdm("passes", "--json");
        Assert.True(passes.ExitCode == 0, passes.Stderr);
        using var doc = JsonDocument.Parse(passes.Stdout);
        Assert.Equal(2, doc.RootElement.GetProperty("passes").GetArrayLength());
        Assert.Equal(pass2, StateAndCounts(cluster.Status(2))); // still paused (or completed), counts unchanged
        cluster.WaitForMembers(2, seconds: 5); // both nodes still up
        Assert.Contains("refused a connection from", cluster.Logs()); // said, once a minute per host
    }

    /// <summary>A node refuses a cluster without TLS unless told --insecure, and a key others may read, in one line each.</summary>
    [Fact]
    public void ANodeRefusesPlainTcpAndAKeyOthersMayRead()
    {
        using var db = PostgresTestDatabase.Create();
        string[] cluster = ["--ledger", db.Uri, "--bind", "127.0.0.1:4999", "--seeds", "127.0.0.1:4999"];
        var plain = Tools.Run(TestCluster.NodePath, cluster);
        Assert.Equal(2, plain.ExitCode);
        Assert.Contains("pdm cluster init", Assert.Single(plain.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));

        string dir = _tmp["tls"];
        Assert.Equal(0, Tools.Run(Tools.Pdm, ["cluster", "init", dir]).ExitCode);
        Assert.Equal("700", Tools.Run("stat", ["-c", "%a", dir]).Stdout.Trim());
        foreach (var f in Directory.GetFiles(dir)) Assert.Equal("600", Tools.Run("stat", ["-c", "%a", f]).Stdout.Trim());
        Assert.Equal(0, Tools.Run("chmod", ["640", Path.Combine(dir, "node.pfx")]).ExitCode);
        var readable = Tools.Run(TestCluster.NodePath, [.. cluster, "--tls", dir]);
        Assert.Equal(2, readable.ExitCode);
        Assert.Contains("chmod 600", Assert.Single(readable.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal(0, Tools.Run("chmod", ["640", Path.Combine(dir, "admin.pfx")]).ExitCode);
        var client = Tools.Run(Tools.Pdm, ["passes", "--cluster", "127.0.0.1:4999", "--tls", dir]);
        Assert.Equal(2, client.ExitCode);
        Assert.Contains("chmod 600", client.Stderr);

        var again = Tools.Run(Tools.Pdm, ["cluster", "init", dir]);
        Assert.Equal(2, again.ExitCode); // never overwrites a CA
        Assert.Contains("exists", again.Stderr);
    }

    /// <summary>A second node on an address in use exits 2 in one line instead of sharing the port (SO_REUSEPORT) and splitting the cluster.</summary>
    [Fact]
    public void ASecondNodeOnAnAddressInUseIsRefused()
    {
        using var cluster = new TestCluster(_tmp, 1);
        cluster.StartAll();
        var second = Tools.Run(TestCluster.NodePath, ["--ledger", cluster.Database.Uri, "--bind", cluster.Endpoint(0), "--seeds", cluster.Endpoint(0),
            "--tls", cluster.TlsDir, "--config", _tmp["node-any-path.conf"]]);
        Assert.Equal(2, second.ExitCode);
        Assert.Contains("in use", Assert.Single(second.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        var bad = Tools.Run(TestCluster.NodePath, ["--ledger", cluster.Database.Uri, "--bind", "192.0.2.1:4053", "--seeds", "192.0.2.1:4053", "--tls", cluster.TlsDir]);
        Assert.Equal(2, bad.ExitCode);
        Assert.Single(bad.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>A node reached by IPv6 ([::1]:PORT), and empty cluster addresses refused.</summary>
    [Fact]
    public void IPv6ContactsWorkAndEmptyOnesAreRefused()
    {
        using var cluster = new TestCluster(_tmp, 1) { BindHost = "::1" };
        cluster.StartAll();
        var nodes = Tools.Run(Tools.Pdm, ["nodes", "--cluster", cluster.Endpoint(0), "--tls", cluster.TlsDir]);
        Assert.True(nodes.ExitCode == 0, nodes.Stderr);
        Assert.Contains("akka.ssl.tcp://pdm@[::1]:", nodes.Stdout);
        var empty = Tools.Run(Tools.Pdm, ["passes", "--cluster", ""]);
        Assert.Equal(2, empty.ExitCode);
        var emptyEnv = Tools.Run(Tools.Pdm, ["passes"], env: new Dictionary<string, string> { ["PDM_CLUSTER"] = "" });
        Assert.Equal(2, emptyEnv.ExitCode);
        Assert.Contains("PDM_CLUSTER", emptyEnv.Stderr);
    }
    /// <summary>
    /// One ledger, one cluster: a node whose seeds name only itself, started beside a running cluster on
    /// the same ledger, forms a cluster of its own: it exits 2 in one line, having claimed nothing. A node
    /// whose first seed is down never becomes a member: it claims nothing, and says why once.
    /// </summary>
    [Fact]
    public void ANodeOutsideTheLedgersClusterClaimsNothing()
    {
        string src = _tmp["src"];
        Tools.MakeTree("small", src, 0.05);
        using var cluster = new TestCluster(_tmp, 2);
        cluster.StartAll();
        int port = TestCluster.FreePorts(1)[0];
        var alone = Tools.Run("timeout", ["-s", "TERM", "60", TestCluster.NodePath, "--ledger", cluster.Database.Uri, "--bind", $"127.0.0.1:{port}", "--seeds", $"127.0.0.1:{port}",
            "--tls", cluster.TlsDir, "--config", _tmp["node-any-path.conf"]], TimeSpan.FromMinutes(2)); // its output is kept if it does not stop
        Assert.True(alone.ExitCode == 2, $"exit {alone.ExitCode}: {alone.Stderr}");
        Assert.Single(alone.Stderr.Split('\n'), l => l.StartsWith("Pdm.Node: this node formed a cluster of its own"));
        Assert.DoesNotContain("claiming work", alone.Stderr);

        // The cluster stopped; a node whose first seed is down, and a pass waiting in the ledger.
        cluster.Stop(0);
        cluster.Stop(1);
        var submit = Tools.Run(Tools.Pdm, ["copy", src, _tmp["dst"], "--ledger", cluster.Database.Uri, "--detach"]);
        Assert.True(submit.ExitCode == 0, submit.Stderr);
        var ports = TestCluster.FreePorts(2);
        int own = ports[0], dead = ports[1];
        var psi = new System.Diagnostics.ProcessStartInfo(TestCluster.NodePath) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "--ledger", cluster.Database.Uri, "--bind", $"127.0.0.1:{own}", "--seeds", $"127.0.0.1:{dead},127.0.0.1:{own}",
            "--tls", cluster.TlsDir, "--config", _tmp["node-any-path.conf"] }) psi.ArgumentList.Add(a);
        using var waiting = System.Diagnostics.Process.Start(psi)!;
        var said = new System.Text.StringBuilder();
        waiting.ErrorDataReceived += (_, e) => { lock (said) said.AppendLine(e.Data); };
        waiting.BeginErrorReadLine();
        _ = waiting.StandardOutput.ReadToEndAsync();
        // It says why it claims nothing once that has lasted 10 s; by then it would long have claimed.
        Tools.WaitFor(() => { lock (said) return said.ToString().Contains("claiming nothing"); }, "the node to say it claims nothing", 60);
        var status = Tools.Run(Tools.Pdm, ["status", "1", "--json", "--ledger", cluster.Database.Uri]);
        Tools.Run("kill", ["-TERM", waiting.Id.ToString()]);
        Assert.True(waiting.WaitForExit(60_000));
        using var doc = JsonDocument.Parse(status.Stdout);
        Assert.Equal(0, doc.RootElement.GetProperty("entries_seen").GetInt64());
        Assert.False(Directory.Exists(_tmp["dst"]) && Directory.EnumerateFileSystemEntries(_tmp["dst"]).Any());
        string log;
        lock (said) log = said.ToString();
        Assert.Single(log.Split('\n'), l => l.Contains("claiming nothing: not yet an Up member of the cluster"));
    }

    /// <summary>
    /// 20,000 unauthenticated connections in 15 s against one of three nodes while a pass runs: the node
    /// stays up and a member, its memory and its log stay small (a refused host is said once a minute),
    /// and the pass ends exact.
    /// </summary>
    [Fact]
    public async Task AConnectionFloodCostsLittleAndThePassEndsExact()
    {
        string src = _tmp["src"], dst = _tmp["dst"];
        Tools.MakeTree("small", src, 0.6); // 60,000 files: the pass runs through most of the flood
        long entries = Tools.Run("find", [src, "-mindepth", "1"]).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LongLength;
        using var cluster = new TestCluster(_tmp, 3);
        cluster.StartAll();
        var flooded = cluster.ProcessOf(1)!;
        long rssBefore = Rss(flooded.Id);
        int logBefore = cluster.Log(1).Length;
        var submit = cluster.Pdm("copy", src, dst, "--detach");
        Assert.True(submit.ExitCode == 0, submit.Stderr);
        long pass = long.Parse(submit.Stdout.Trim());
        string port = cluster.Endpoint(1).Split(':')[1];
        var flood = await Task.Run(() => Tools.Run("python3", [Path.Combine(Tools.RepoRoot, "tests", "Pdm.Tests", "Support", "flood.py"),
            "127.0.0.1", port, "--connections", "20000", "--seconds", "15"], TimeSpan.FromMinutes(2)));
        Assert.True(flood.ExitCode == 0, flood.Stderr);
        Assert.Contains("\"made\": 20000", flood.Stdout);
        long rssAfter = Rss(flooded.Id);
        int logGrowth = cluster.Log(1).Length - logBefore;

        var follow = cluster.Pdm("status", pass.ToString(), "--follow");
        Assert.True(follow.ExitCode == 0, follow.Stdout + follow.Stderr + cluster.Logs());
        Tools.AssertTreesEqual(src, dst);
        var status = cluster.Status(pass);
        Assert.Equal(entries, status.GetProperty("entries_seen").GetInt64());
        Assert.Equal(0, status.GetProperty("failures").GetInt64());
        Assert.False(flooded.HasExited, "the flooded node died:\n" + cluster.Log(1));
        cluster.WaitForMembers(3, seconds: 10);
        // Before: about 1.1 KB of log for each connection (23 MB for this flood).
        Assert.True(logGrowth < 200_000, $"the flooded node logged {logGrowth} bytes during the flood");
        Assert.True(rssAfter - rssBefore < 400L << 20, $"the flooded node grew from {rssBefore >> 20} MiB to {rssAfter >> 20} MiB");
    }

    /// <summary>
    /// A node writes only inside its named filesystems: a pass outside them is refused by the node `pdm`
    /// reaches (exit 2, nothing written), and a node whose config names none takes no cluster pass.
    /// </summary>
    [Fact]
    public void ANodeRefusesAPassOutsideItsNamedFilesystems()
    {
        string src = _tmp["fs/src"], outside = _tmp["outside"];
        Directory.CreateDirectory(src);
        File.WriteAllText(Path.Combine(src, "f"), "x");
        Directory.CreateDirectory(outside);
        string named = _tmp["named.conf"], none = _tmp["none.conf"];
        File.WriteAllText(named, $"filesystems {{ fs {{ mount = \"{_tmp["fs"]}\", writable = true }} }}\n");
        File.WriteAllText(none, "threads = 2\n");
        using var cluster = new TestCluster(_tmp, 2, i => i == 0 ? named : none);
        cluster.StartAll();
        string before = Tools.Listing(outside);
        var refused = Tools.Run(Tools.Pdm, ["copy", src, Path.Combine(outside, "dst"), "--cluster", cluster.Endpoint(0), .. cluster.ClientArgs]);
        Assert.True(refused.ExitCode == 2, refused.Stdout + refused.Stderr);
        Assert.Contains("lies outside every filesystem named in", Assert.Single(refused.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal(before, Tools.Listing(outside));
        var none0 = Tools.Run(Tools.Pdm, ["copy", src, Path.Combine(outside, "dst"), "--cluster", cluster.Endpoint(1), .. cluster.ClientArgs]);
        Assert.True(none0.ExitCode == 2, none0.Stdout + none0.Stderr);
        Assert.Contains("names no filesystems", none0.Stderr);
        Assert.Equal(before, Tools.Listing(outside));

        // Inside: node 0 takes it, node 1 (no named filesystems) refuses it and leaves it to node 0.
        var inside = Tools.Run(Tools.Pdm, ["copy", src, _tmp["fs/dst"], "--cluster", cluster.Endpoint(0), .. cluster.ClientArgs]);
        Assert.True(inside.ExitCode == 0, inside.Stdout + inside.Stderr + cluster.Logs());
        Tools.AssertTreesEqual(src, _tmp["fs/dst"]);
    }

    private static string StateAndCounts(JsonElement status) =>
        string.Join(' ', new[] { "state", "entries_seen", "files_copied", "bytes_copied", "deleted", "failures" }.Select(k => $"{k}={status.GetProperty(k)}"));

    /// <summary>Resident memory of a process, in bytes.</summary>
    private static long Rss(int pid) =>
        long.Parse(File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
}
