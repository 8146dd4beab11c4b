using System.Diagnostics;
using System.Text.Json;
using Pdm.Tests.Support;

namespace Pdm.Tests.EndToEnd;

/// <summary>
/// `pdm` against a cluster: pause, resume and cancel reach every node; a node refuses a pass its own
/// config does not let it write; a pass submitted with no node up waits and `status` says so; with no
/// node reachable at all pdm says so (exit 3); `cluster show|leave`; the ledger's schema is pdm's to
/// create, and its password is never printed; a TLS cluster forms and runs a pass.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterControlTests : IDisposable
{
    private readonly TempTree _tmp = TempTree.OnTmpfs(); // trees of 10^5 files: see OnTmpfs

    public void Dispose() => _tmp.Dispose();

    private string BuildSource(double scale = 0.3)
    {
        string src = _tmp["src"];
        Directory.CreateDirectory(src);
        Tools.MakeTree("small", Path.Combine(src, "small"), scale);
        return src;
    }

    private static long Submit(TestCluster cluster, params string[] args)
    {
        var r = cluster.Pdm(["copy", .. args, "--detach"]);
        Assert.True(r.ExitCode == 0, $"submit: {r.Stderr}\n{cluster.Logs()}");
        return long.Parse(r.Stdout.Trim());
    }

    [Fact]
    public void PauseResumeAndCancelReachEveryNode()
    {
        string src = BuildSource(scale: 1.0); // 100,000 files: long enough to be paused mid-way
        using var cluster = new TestCluster(_tmp, 2);
        cluster.StartAll();
        long pass = Submit(cluster, src, _tmp["dst"]);
        var pause = cluster.Pdm("pause", pass.ToString());
        Assert.True(pause.ExitCode == 0, pause.Stderr);
        Thread.Sleep(1500); // work in flight finishes
        long copied = cluster.Status(pass).GetProperty("files_copied").GetInt64();
        Thread.Sleep(2000);
        var paused = cluster.Status(pass);
        Assert.Equal("paused", paused.GetProperty("state").GetString());
        Assert.Equal(copied, paused.GetProperty("files_copied").GetInt64()); // no node claims a paused pass's work
        var resume = cluster.Pdm("resume", pass.ToString());
        Assert.True(resume.ExitCode == 0, resume.Stderr);
        var follow = cluster.Pdm("status", pass.ToString(), "--follow");
        Assert.True(follow.ExitCode == 0, follow.Stdout + follow.Stderr);
        Tools.AssertTreesEqual(src, _tmp["dst"]);

        long second = Submit(cluster, src, _tmp["dst2"]);
        var cancel = cluster.Pdm("cancel", second.ToString());
        Assert.True(cancel.ExitCode == 0, cancel.Stderr);
        var ended = cluster.Pdm("status", second.ToString(), "--follow");
        Assert.Equal(130, ended.ExitCode); // what the cancelled pass's own command gives
        Assert.Equal("cancelled", cluster.Status(second).GetProperty("state").GetString());
    }

    [Fact]
    public void AFullTargetStopsThePassOnEveryNodeAndItCarriesOnOnceThereIsRoom()
    {
        Assert.True(Tools.IsRoot, "this test runs as root, as CI does (it mounts a tmpfs)");
        string src = BuildSource(scale: 0.02); // 2,000 files, 15 MiB
        string mount = _tmp.MountTmpfs("small-target", "size=3m"), dst = Path.Combine(mount, "dst");
        using var cluster = new TestCluster(_tmp, 2);
        cluster.StartAll();
        var copy = cluster.Pdm("copy", src, dst);
        Assert.True(copy.ExitCode == 75, $"copy: exit {copy.ExitCode}\n{copy.Stdout}{copy.Stderr}\n{cluster.Logs()}");
        Assert.Matches(@"pdm: pass 1 stopped: the target's filesystem is full: .*No space left on device \(errno 28\); resume it once the target can be written: pdm resume 1\n*$", copy.Stderr);
        Assert.Contains("pass 1 interrupted: the target's filesystem is full", cluster.Logs()); // said by the node that met it
        Thread.Sleep(1500); // nothing more is claimed of it on any node
        var stopped = cluster.Status(1);
        Assert.Equal("interrupted", stopped.GetProperty("state").GetString());
        Assert.Equal(0, stopped.GetProperty("failures").GetInt64());
        Assert.Empty(Tools.Temporaries(dst));

        Assert.Equal(0, Tools.Run("mount", ["-o", "remount,size=256m", mount]).ExitCode);
        var resume = cluster.Pdm("resume", "1");
        Assert.True(resume.ExitCode == 0, resume.Stderr);
        var follow = cluster.Pdm("status", "1", "--follow");
        Assert.True(follow.ExitCode == 0, follow.Stdout + follow.Stderr + cluster.Logs());
        Tools.AssertTreesEqual(src, dst);
        Assert.Equal(JsonValueKind.Null, cluster.Status(1).GetProperty("stop_reason").ValueKind);
    }

    [Fact]
    public void ANodeRefusesAPassItsOwnConfigDoesNotLetItWrite()
    {
        string src = BuildSource(), dst = _tmp["dst"];
        Directory.CreateDirectory(dst);
        string writable = _tmp["writable.conf"], readOnly = _tmp["readonly.conf"];
        File.WriteAllText(writable, $"filesystems {{ source {{ mount = \"{src}\", writable = false }}\n target {{ mount = \"{dst}\", writable = true }} }}\n");
        File.WriteAllText(readOnly, $"filesystems {{ source {{ mount = \"{src}\", writable = false }}\n target {{ mount = \"{dst}\", writable = false }} }}\n");
        using var cluster = new TestCluster(_tmp, 2, i => i == 0 ? writable : readOnly);
        cluster.StartAll();
        // Submitted through node 0, whose config allows it; node 1 must not touch it.
        var run = Tools.Run(Tools.Pdm, ["copy", src, dst, "--cluster", cluster.Endpoint(0), .. cluster.ClientArgs]);
        Assert.True(run.ExitCode == 0, $"{run.Stdout}{run.Stderr}\n{cluster.Logs()}");
        Tools.AssertTreesEqual(src, dst);
        Assert.Contains("refusing pass 1", cluster.Log(1));
        Assert.Contains("does not mark writable", cluster.Log(1));
        Assert.DoesNotContain("refusing", cluster.Log(0));
    }

    [Fact]
    public void APassSubmittedWithNoNodeUpWaitsAndStatusSaysSo()
    {
        string src = BuildSource(), dst = _tmp["dst"];
        using var cluster = new TestCluster(_tmp, 1);
        string ledger = cluster.Database.Uri;
        var submit = Tools.Run(Tools.Pdm, ["copy", src, dst, "--ledger", ledger, "--detach"]);
        Assert.True(submit.ExitCode == 0, submit.Stderr);
        Assert.Equal("1", submit.Stdout.Trim());
        var status = Tools.Run(Tools.Pdm, ["status", "1", "--ledger", ledger]);
        Assert.Contains("waiting: no node works on pass 1 yet", status.Stdout);
        using (var doc = JsonDocument.Parse(Tools.Run(Tools.Pdm, ["passes", "--json", "--ledger", ledger]).Stdout))
            Assert.StartsWith("waiting", doc.RootElement.GetProperty("passes")[0].GetProperty("waiting").GetString());
        cluster.StartAll();
        var follow = Tools.Run(Tools.Pdm, ["status", "1", "--follow", "--ledger", ledger]);
        Assert.True(follow.ExitCode == 0, follow.Stdout + follow.Stderr + cluster.Logs());
        Tools.AssertTreesEqual(src, dst);
    }

    [Fact]
    public void WithNoNodeReachablePdmSaysSoAndExitsThree()
    {
        var clock = Stopwatch.StartNew();
        var r = Tools.Run(Tools.Pdm, ["passes", "--cluster", "127.0.0.1:9", "--insecure"]);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("no node of the cluster at 127.0.0.1:9 answered", r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
    }

    [Fact]
    public void ClusterShowListsTheMembersAndLeaveDrainsOne()
    {
        using var cluster = new TestCluster(_tmp, 3);
        cluster.StartAll();
        var show = cluster.Pdm("cluster", "show");
        Assert.True(show.ExitCode == 0, show.Stderr);
        for (int i = 0; i < 3; i++) Assert.Contains(cluster.Address(i), show.Stdout);
        Assert.Contains("leader: akka.ssl.tcp://pdm@127.0.0.1:", show.Stdout);
        var leave = cluster.Pdm("cluster", "leave", cluster.Address(2));
        Assert.True(leave.ExitCode == 0, leave.Stderr);
        Assert.True(cluster.ProcessOf(2)!.WaitForExit(60_000), "the node that left did not exit:\n" + cluster.Log(2));
        Assert.Equal(0, cluster.ProcessOf(2)!.ExitCode);
        cluster.WaitForMembers(2);
        var unknown = cluster.Pdm("cluster", "down", "127.0.0.1:1");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("is not a member of the cluster", unknown.Stderr);
    }

    [Fact]
    public void TheSchemaIsCreatedByLedgerMigrateAndANodeRefusesADatabaseWithout()
    {
        using var empty = PostgresTestDatabase.Create(migrate: false);
        string uri = empty.Uri.Replace("postgresql://pdm@", "postgresql://pdm:Hush-42@");
        var node = Tools.Run(TestCluster.NodePath, ["--ledger", uri]);
        Assert.Equal(3, node.ExitCode);
        Assert.Contains("has no pdm schema yet", node.Stderr);
        Assert.DoesNotContain("Hush-42", node.Stderr + node.Stdout);
        var migrate = Tools.Run(Tools.Pdm, ["ledger", "migrate", "--ledger", uri]);
        Assert.True(migrate.ExitCode == 0, migrate.Stderr);
        Assert.DoesNotContain("Hush-42", migrate.Stderr + migrate.Stdout);
        var passes = Tools.Run(Tools.Pdm, ["passes", "--ledger", uri]);
        Assert.True(passes.ExitCode == 0, passes.Stderr);
        var down = Tools.Run(Tools.Pdm, ["passes", "--ledger", "postgresql://pdm:Hush-42@127.0.0.1:1/none?connect_timeout=2"]);
        Assert.Equal(3, down.ExitCode);
        Assert.DoesNotContain("Hush-42", down.Stderr + down.Stdout);
        Assert.Single(down.Stderr.Trim().Split('\n'));
    }

    /// <summary>
    /// One self-signed certificate on every node and client, pinned (cluster.tls with suppress-validation):
    /// the cluster forms and runs a pass; a client with another self-signed certificate, or none, gets nothing.
    /// </summary>
    [Fact]
    public void APinnedCertificateClusterFormsAndRunsAPassAndRefusesAStranger()
    {
        string pfx = MakeCertificate("cluster"), stranger = MakeCertificate("stranger");
        string config = _tmp["tls.conf"], strangerConfig = _tmp["stranger.conf"];
        File.WriteAllText(config, $"allow-any-path = true\ncluster {{ tls {{ certificate = \"{pfx}\", password = \"pw\", suppress-validation = true }} }}\n");
        File.WriteAllText(strangerConfig, $"cluster {{ tls {{ certificate = \"{stranger}\", password = \"pw\", suppress-validation = true }} }}\n");
        string src = BuildSource(), dst = _tmp["dst"];
        using var cluster = new TestCluster(_tmp, 2, _ => config) { ClientConfig = config, Security = ClusterSecurity.Config };
        cluster.StartAll();
        var run = cluster.Pdm("copy", src, dst);
        Assert.True(run.ExitCode == 0, $"{run.Stdout}{run.Stderr}\n{cluster.Logs()}");
        Tools.AssertTreesEqual(src, dst);
        // Without TLS, or with another certificate, nothing gets through, and pdm says why.
        var plain = Tools.Run(Tools.Pdm, ["passes", "--cluster", cluster.Contacts, "--insecure"]);
        Assert.True(plain.ExitCode == 2, plain.Stdout + plain.Stderr);
        Assert.Contains("requires TLS", plain.Stderr);
        var other = Tools.Run(Tools.Pdm, ["passes", "--cluster", cluster.Contacts, "--config", strangerConfig]);
        Assert.True(other.ExitCode == 2, other.Stdout + other.Stderr);
        Assert.Contains("another certificate than this client's pinned one", other.Stderr);
    }

    /// <summary>
    /// Certificates from a site CA (cluster.tls with ca): the nodes trust that CA alone, so a client whose
    /// certificate another CA signed is refused (before issue 23, any CA of the system's store was trusted).
    /// </summary>
    [Fact]
    public void ASiteCaClusterTrustsThatCaAloneAndRefusesACertificateOfAnother()
    {
        var (siteCa, siteNode) = MakeCaAndCertificate("site");
        var (_, otherNode) = MakeCaAndCertificate("other");
        string config = _tmp["site.conf"], otherConfig = _tmp["other.conf"];
        File.WriteAllText(config, $"allow-any-path = true\ncluster {{ tls {{ certificate = \"{siteNode}\", password = \"pw\", ca = \"{siteCa}\" }} }}\n");
        File.WriteAllText(otherConfig, $"cluster {{ tls {{ certificate = \"{otherNode}\", password = \"pw\", ca = \"{siteCa}\" }} }}\n");
        string src = BuildSource(scale: 0.01), dst = _tmp["dst"];
        using var cluster = new TestCluster(_tmp, 2, _ => config) { ClientConfig = config, Security = ClusterSecurity.Config };
        cluster.StartAll();
        var run = cluster.Pdm("copy", src, dst);
        Assert.True(run.ExitCode == 0, $"{run.Stdout}{run.Stderr}\n{cluster.Logs()}");
        Tools.AssertTreesEqual(src, dst);
        var other = Tools.Run(Tools.Pdm, ["copy", src, _tmp["dst-other"], "--cluster", cluster.Contacts, "--config", otherConfig]);
        Assert.True(other.ExitCode == 2, other.Stdout + other.Stderr);
        Assert.Contains("refused this client's certificate", other.Stderr);
        Assert.False(Directory.Exists(_tmp["dst-other"]));
        using var passes = JsonDocument.Parse(cluster.Pdm("passes", "--json").Stdout);
        Assert.Single(passes.RootElement.GetProperty("passes").EnumerateArray()); // the other's copy was never admitted
    }

    private string MakeCertificate(string name)
    {
        string key = _tmp[$"{name}.key"], cert = _tmp[$"{name}.crt"], pfx = _tmp[$"{name}.pfx"];
        var req = Tools.Run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", $"/CN=pdm-{name}", "-keyout", key, "-out", cert]);
        Assert.True(req.ExitCode == 0, req.Stderr);
        var export = Tools.Run("openssl", ["pkcs12", "-export", "-inkey", key, "-in", cert, "-out", pfx, "-passout", "pass:pw"]);
        Assert.True(export.ExitCode == 0, export.Stderr);
        Assert.Equal(0, Tools.Run("chmod", ["600", pfx]).ExitCode);
        return pfx;
    }

    /// <summary>A CA made with openssl, as a site's would be, and one certificate it signed (a .pfx with its key).</summary>
    private (string Ca, string Pfx) MakeCaAndCertificate(string name)
    {
        string caKey = _tmp[$"{name}-ca.key"], ca = _tmp[$"{name}-ca.crt"], key = _tmp[$"{name}.key"], csr = _tmp[$"{name}.csr"],
            cert = _tmp[$"{name}.crt"], pfx = _tmp[$"{name}.pfx"], ext = _tmp[$"{name}.ext"];
        void Openssl(params string[] args)
        {
            var r = Tools.Run("openssl", args);
            Assert.True(r.ExitCode == 0, r.Stderr);
        }
        Openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", $"/CN={name} CA", "-keyout", caKey, "-out", ca,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        Openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", $"/CN={name} node", "-keyout", key, "-out", csr);
        File.WriteAllText(ext, "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n");
        Openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-days", "2", "-out", cert, "-extfile", ext);
        Openssl("pkcs12", "-export", "-inkey", key, "-in", cert, "-out", pfx, "-passout", "pass:pw");
        Assert.Equal(0, Tools.Run("chmod", ["600", pfx]).ExitCode);
        return (ca, pfx);
    }
}
