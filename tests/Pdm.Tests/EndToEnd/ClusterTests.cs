using System.Text.Json;
using Pdm.Tests.Support;
using Xunit.Abstractions;

namespace Pdm.Tests.EndToEnd;

/// <summary>
/// Three real Pdm.Node processes in an Akka cluster over a real PostgreSQL ledger, driven by `pdm
/// --cluster`: nodes SIGKILLed, restarted in turn, frozen past their lease; PostgreSQL restarted; two
/// passes at once; a big file copied in ranges by several nodes. Each ends with treediff reporting no
/// difference and the counters equal to those of an embedded run on the same tree.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterTests(ITestOutputHelper log) : IDisposable
{
    private readonly TempTree _tmp = TempTree.OnTmpfs(); // trees of 10^5 files: see OnTmpfs

    public void Dispose() => _tmp.Dispose();

    private static readonly string[] Counters =
        ["entries_seen", "files_copied", "bytes_copied", "links_made", "metadata_fixed", "skipped_equal", "deleted", "failures"];

    /// <summary>A tree that keeps three nodes busy for some seconds: many small files, a mixed tail, every edge case.</summary>
    private string BuildSource(string name = "src")
    {
        string src = _tmp[name];
        Directory.CreateDirectory(src);
        Tools.MakeTree("small", Path.Combine(src, "small"), 0.3);
        Tools.MakeTree("mixed", Path.Combine(src, "mixed"), 0.05);
        Tools.MakeTree("nasty", Path.Combine(src, "nasty"), 1.0);
        return src;
    }

    /// <summary>The counters of an embedded run of the same copy (its own ledger and target).</summary>
    private Dictionary<string, long> EmbeddedCounts(string src, string? config = null)
    {
        string ledger = _tmp[$"embedded-{Guid.NewGuid():N}.db"], dst = _tmp[$"embedded-{Guid.NewGuid():N}"];
        string[] extra = config is null ? [] : ["--config", config];
        var copy = Tools.Run(Tools.Pdm, ["copy", src, dst, "--ledger", ledger, .. extra]);
        Assert.True(copy.ExitCode == 0, copy.Stderr);
        var status = Tools.Run(Tools.Pdm, ["status", "1", "--json", "--ledger", ledger]);
        Assert.True(status.ExitCode == 0, status.Stderr);
        using var doc = JsonDocument.Parse(status.Stdout);
        return Counters.ToDictionary(c => c, c => doc.RootElement.GetProperty(c).GetInt64());
    }

    private static void AssertSameCounts(Dictionary<string, long> expected, JsonElement actual)
    {
        foreach (var c in Counters) Assert.True(expected[c] == actual.GetProperty(c).GetInt64(), $"{c}: embedded {expected[c]}, cluster {actual.GetProperty(c).GetInt64()}");
        Assert.Equal("completed", actual.GetProperty("state").GetString());
    }

    /// <summary>Submits a copy without following it; its pass id.</summary>
    private static long Submit(TestCluster cluster, string src, string dst)
    {
        var r = cluster.Pdm("copy", src, dst, "--detach");
        Assert.True(r.ExitCode == 0, $"submit: {r.Stderr}\n{cluster.Logs()}");
        return long.Parse(r.Stdout.Trim());
    }

    /// <summary>`pdm status ID --follow` to the end: its exit status must be 0.</summary>
    private void FollowToTheEnd(TestCluster cluster, long passId)
    {
        var r = cluster.Pdm("status", passId.ToString(), "--follow", "--json");
        log.WriteLine(r.Stdout);
        Assert.True(r.ExitCode == 0, $"follow exited {r.ExitCode}: {r.Stdout}{r.Stderr}\n{cluster.Logs()}");
    }

    /// <summary>
    /// Submits a copy of a fresh tree to three nodes (started with <paramref name="nodeArgs"/>), disturbs
    /// them once <paramref name="progress"/> entries are done, and follows the pass to its end: byte-exact,
    /// with an embedded run's counts. The cluster is the caller's, to look at and dispose of.
    /// </summary>
    private TestCluster CopyThrough(int progress, Action<TestCluster> disturb, params string[] nodeArgs)
    {
        string src = BuildSource(), dst = _tmp["dst"];
        var expected = EmbeddedCounts(src);
        var cluster = new TestCluster(_tmp, 3, null, nodeArgs);
        try
        {
            cluster.StartAll();
            long pass = Submit(cluster, src, dst);
            cluster.WaitForProgress(pass, progress);
            disturb(cluster);
            FollowToTheEnd(cluster, pass);
            Tools.AssertTreesEqual(src, dst);
            AssertSameCounts(expected, cluster.Status(pass));
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    [Fact]
    public void ThreeNodesCopyATreeWithTheCountsOfAnEmbeddedRun()
    {
        string src = BuildSource(), dst = _tmp["dst"];
        var expected = EmbeddedCounts(src);
        using var cluster = new TestCluster(_tmp, 3);
        cluster.StartAll();
        var run = cluster.Pdm("copy", src, dst);
        Assert.True(run.ExitCode == 0, $"{run.Stdout}{run.Stderr}\n{cluster.Logs()}");
        Assert.Contains("completed", run.Stdout);
        Assert.Contains("on the cluster at", run.Stderr);
        Tools.AssertTreesEqual(src, dst);
        AssertSameCounts(expected, cluster.Status(1));
        // Every node took part (each heartbeat counts what it finished): pulling balances the work.
        var nodes = cluster.Pdm("nodes");
        Assert.True(nodes.ExitCode == 0, nodes.Stderr);
        log.WriteLine(nodes.Stdout);
    }

    [Fact]
    public void ANodeKilledMidPassLosesNothing()
    {
        // SIGKILL: its leases are released when the cluster removes it, not when they expire.
        using var cluster = CopyThrough(200, c => c.Kill(2));
        // The others remove it (if it held nothing at that moment, perhaps only after the pass has ended).
        Tools.WaitFor(() => (cluster.Log(0) + cluster.Log(1)).Contains("was removed"), "the killed node's removal");
    }

    [Fact]
    public void APassSurvivesRestartingEveryNodeInTurn()
    {
        using var cluster = CopyThrough(100, c =>
        {
            for (int i = 0; i < c.Count; i++)
            {
                Assert.Equal(0, c.Stop(i)); // drains: work in flight finishes or goes back, then it leaves
                Assert.Contains("draining", c.Log(i));
                c.Start(i);
            }
        });
    }

    [Fact]
    public void APassSurvivesARestartOfPostgres()
    {
        using var cluster = CopyThrough(100, _ => PostgresTestServer.Restart(down: TimeSpan.FromSeconds(3)));
        for (int i = 0; i < cluster.Count; i++) Assert.False(cluster.ProcessOf(i)!.HasExited, $"node {i} exited:\n{cluster.Log(i)}");
    }

    [Fact]
    public void ANodeFrozenPastItsLeaseCannotOverwriteWhatOthersFinished()
    {
        using var cluster = CopyThrough(100, c =>
        {
            c.Freeze(2); // SIGSTOP: its items are taken over by the others (lease expired, or it was downed)
            Thread.Sleep(TimeSpan.FromSeconds(12));
            c.Thaw(2); // SIGCONT: whatever it finishes now is refused by the ledger (its leases are gone)
        }, "--lease", "5");
    }

    [Fact]
    public void TwoPassesRunAtOnce()
    {
        string a = BuildSource("a"), b = BuildSource("b");
        var expected = EmbeddedCounts(a);
        using var cluster = new TestCluster(_tmp, 3);
        cluster.StartAll();
        long first = Submit(cluster, a, _tmp["a-copy"]), second = Submit(cluster, b, _tmp["b-copy"]);
        Assert.NotEqual(first, second);
        FollowToTheEnd(cluster, first);
        FollowToTheEnd(cluster, second);
        Tools.AssertTreesEqual(a, _tmp["a-copy"]);
        Tools.AssertTreesEqual(b, _tmp["b-copy"]);
        AssertSameCounts(expected, cluster.Status(first));
        AssertSameCounts(expected, cluster.Status(second));
    }

    [Fact]
    public void ABigFileIsCopiedInRangesByMoreThanOneNode()
    {
        string src = _tmp["src"], dst = _tmp["dst"];
        Directory.CreateDirectory(src);
        Tools.MakeTree("nasty", Path.Combine(src, "nasty"), 1.0);
        var data = new byte[96 << 20];
        new Random(7).NextBytes(data);
        File.WriteAllBytes(Path.Combine(src, "big.dat"), data);
        Tools.Run("touch", ["-d", "2020-01-02 03:04:05.123456789", Path.Combine(src, "big.dat")]);
        string config = _tmp["ranges.conf"];
        File.WriteAllText(config, "range-size = 1M\nallow-any-path = true\n");
        var expected = EmbeddedCounts(src, config);
        using var cluster = new TestCluster(_tmp, 3, _ => config);
        cluster.StartAll();
        var run = cluster.Pdm("copy", src, dst);
        Assert.True(run.ExitCode == 0, $"{run.Stdout}{run.Stderr}\n{cluster.Logs()}");
        Tools.AssertTreesEqual(src, dst);
        AssertSameCounts(expected, cluster.Status(1));
        int nodesWithRanges = Enumerable.Range(0, cluster.Count).Count(i => cluster.Log(i).Contains("of big.dat"));
        Assert.True(nodesWithRanges >= 2, $"the ranges of big.dat were copied by {nodesWithRanges} node(s):\n{cluster.Logs()}");
        Assert.Empty(Tools.Temporaries(dst));
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection
{
    /// <summary>Cluster tests run one at a time: each has three nodes of its own on two cores.</summary>
    public const string Name = "cluster";
}
