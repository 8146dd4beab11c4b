using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Pdm.Tests.Support;

/// <summary>
/// Real Pdm.Node processes forming an Akka cluster on 127.0.0.1 over one PostgreSQL ledger (a database
/// of its own), and `pdm --cluster` to talk to them. Nodes are started, stopped (SIGTERM), killed
/// (SIGKILL), frozen (SIGSTOP) and thawed like any process; each one's log is kept for the assertions.
/// </summary>
public sealed class TestCluster : IDisposable
{
    public static string NodePath { get; } = Path.Combine(Tools.RepoRoot, "src", "Pdm.Node", "bin",
        new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "Pdm.Node");

    private readonly TempTree _tmp;
    private readonly Node[] _nodes;
    private readonly string[] _extraArgs;

    public PostgresTestDatabase Database { get; }

    /// <summary>The address every node listens on (a port each): the IPv4 loopback unless a test says otherwise.</summary>
    public string BindHost { get; init; } = "127.0.0.1";

    private string HostInUri => BindHost.Contains(':') ? $"[{BindHost}]" : BindHost;

    /// <summary>HOST:PORT of the seed nodes (the first two): what `pdm --cluster` and every node is given.</summary>
    public string Contacts => string.Join(',', _nodes.Take(Math.Min(2, _nodes.Length)).Select(n => $"{HostInUri}:{n.Port}"));

    public int Count => _nodes.Length;

    /// <summary>The config `pdm --cluster` is given (a TLS cluster's, say), or none.</summary>
    public string? ClientConfig { get; init; }

    /// <summary>How nodes and `pdm` secure the cluster: the default is what the README says, mutual TLS made by `pdm cluster init`.</summary>
    public ClusterSecurity Security { get; init; } = ClusterSecurity.Init;

    /// <summary>The directory `pdm cluster init` made for this cluster (root's, 0700).</summary>
    public string TlsDir { get; }

    /// <summary>What `pdm --cluster` adds to reach this cluster: its TLS (or --insecure, or the client config).</summary>
    public string[] ClientArgs => ClientConfig is not null ? ["--config", ClientConfig]
        : Security == ClusterSecurity.Insecure ? ["--insecure"] : ["--tls", TlsDir];

    /// <summary>HOST:PORT of one node.</summary>
    public string Endpoint(int i) => $"{HostInUri}:{_nodes[i].Port}";

    /// <param name="config">a config file for every node (null: none), or one per node</param>
    public TestCluster(TempTree tmp, int nodes, Func<int, string?>? config = null, params string[] extraArgs)
    {
        _tmp = tmp;
        _extraArgs = extraArgs;
        Database = PostgresTestDatabase.Create();
        var ports = FreePorts(nodes);
        TlsDir = tmp["cluster-tls"];
        var init = Tools.Run(Tools.Pdm, ["cluster", "init", TlsDir]);
        Assert.True(init.ExitCode == 0, "pdm cluster init: " + init.Stderr);
        // A node with no named filesystems takes cluster passes only when its config allows any path.
        string anyPath = tmp["node-any-path.conf"];
        File.WriteAllText(anyPath, "allow-any-path = true\n");
        _nodes = Enumerable.Range(0, nodes).Select(i => new Node(i, ports[i], config is null ? anyPath : config(i), tmp[$"node-{i}.log"])).ToArray();
    }

    public string Address(int i) => $"{(Security == ClusterSecurity.Insecure ? "akka.tcp" : "akka.ssl.tcp")}://pdm@{HostInUri}:{_nodes[i].Port}";

    /// <summary>Starts every node, and waits until all are Up members of one cluster.</summary>
    public void StartAll()
    {
        foreach (var n in _nodes) Start(n.Index, wait: false);
        WaitForMembers(Count);
    }

    public void Start(int i, bool wait = true)
    {
        var n = _nodes[i];
        if (n.Process is { HasExited: false }) throw new InvalidOperationException($"node {i} runs already");
        var psi = new ProcessStartInfo(NodePath) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--ledger", Database.Uri, "--bind", $"{HostInUri}:{n.Port}", "--seeds", Contacts, "--threads", "4" }) psi.ArgumentList.Add(a);
        if (n.Config is not null) { psi.ArgumentList.Add("--config"); psi.ArgumentList.Add(n.Config); }
        if (Security == ClusterSecurity.Init) { psi.ArgumentList.Add("--tls"); psi.ArgumentList.Add(TlsDir); }
        if (Security == ClusterSecurity.Insecure) psi.ArgumentList.Add("--insecure");
        foreach (var a in _extraArgs) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        n.Process = p;
        n.Log.AppendLine($"---- start {DateTime.UtcNow:HH:mm:ss.fff}");
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) n.Append(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) n.Append(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (wait) WaitForMembers(_nodes.Count(x => x.Process is { HasExited: false }));
    }

    /// <summary>SIGKILL: the node is gone at once, handing nothing back.</summary>
    public void Kill(int i)
    {
        var p = _nodes[i].Process!;
        Signal(p, "KILL");
        p.WaitForExit();
    }

    /// <summary>SIGTERM, and waits for the node to drain and exit; its exit status.</summary>
    public int Stop(int i, int seconds = 120)
    {
        var p = _nodes[i].Process!;
        Signal(p, "TERM");
        Assert.True(p.WaitForExit(seconds * 1000), $"node {i} did not stop within {seconds} s after SIGTERM:\n{Log(i)}");
        p.WaitForExit();
        return p.ExitCode;
    }

    public void Freeze(int i) => Signal(_nodes[i].Process!, "STOP");

    public void Thaw(int i) => Signal(_nodes[i].Process!, "CONT");

    public Process? ProcessOf(int i) => _nodes[i].Process;

    public string Log(int i) => _nodes[i].Text;

    public string Logs() => string.Join("\n", _nodes.Select(n => $"==== node {n.Index}\n{n.Text}"));

    private static void Signal(Process p, string signal) => Tools.Run("kill", [$"-{signal}", p.Id.ToString()]);

    /// <summary>Runs `pdm ARGS --cluster CONTACTS`.</summary>
    public Tools.Result Pdm(params string[] args) =>
        Tools.Run(Tools.Pdm, [.. args, "--cluster", Contacts, .. ClientArgs], TimeSpan.FromMinutes(10));

    /// <summary>`pdm nodes --json` until <paramref name="count"/> members are up.</summary>
    public void WaitForMembers(int count, int seconds = 90)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        string last = "";
        while (DateTime.UtcNow < until)
        {
            var r = Pdm("nodes", "--json");
            last = r.Stdout + r.Stderr;
            if (r.ExitCode == 0)
            {
                using var doc = JsonDocument.Parse(r.Stdout);
                int up = doc.RootElement.GetProperty("nodes").EnumerateArray()
                    .Count(n => n.GetProperty("status").GetString() == "up" && n.GetProperty("reachable").GetBoolean() && n.GetProperty("node_id").ValueKind == JsonValueKind.String);
                if (up == count) return;
            }
            Thread.Sleep(500);
        }
        Assert.Fail($"the cluster did not reach {count} up members within {seconds} s; last: {last}\n{Logs()}");
    }

    /// <summary>`pdm status ID --json` through the cluster.</summary>
    public JsonElement Status(long passId)
    {
        var r = Pdm("status", passId.ToString(), "--json");
        Assert.True(r.ExitCode == 0, $"status: {r.Stderr}");
        return JsonDocument.Parse(r.Stdout).RootElement.Clone();
    }

    /// <summary>Waits until the pass has copied at least <paramref name="files"/> files.</summary>
    public void WaitForProgress(long passId, long files, int seconds = 120) =>
        Tools.WaitFor(() => Status(passId).GetProperty("files_copied").GetInt64() >= files, $"pass {passId} to copy {files} files", seconds);

    /// <summary>Ports free on the loopback now (for a node of a test's own).</summary>
    public static int[] FreePorts(int n)
    {
        var listeners = Enumerable.Range(0, n).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }

    public void Dispose()
    {
        foreach (var n in _nodes)
            if (n.Process is { HasExited: false } p)
            {
                Signal(p, "CONT");
                p.Kill();
                p.WaitForExit();
            }
        File.WriteAllText(_tmp["cluster.log"], Logs());
        Database.Dispose();
    }

    private sealed class Node(int index, int port, string? config, string logFile)
    {
        public int Index { get; } = index;
        public int Port { get; } = port;
        public string? Config { get; } = config;
        public Process? Process { get; set; }
        public StringBuilder Log { get; } = new();
        private readonly Lock _gate = new();

        public void Append(string line)
        {
            lock (_gate)
            {
                Log.AppendLine(line);
                File.AppendAllText(logFile, line + "\n");
            }
        }

        public string Text
        {
            get { lock (_gate) return Log.ToString(); }
        }
    }
}

/// <summary>How a test cluster is secured: TLS made by `pdm cluster init` (the default), TLS of the nodes' and client's own configs, or none (--insecure).</summary>
public enum ClusterSecurity { Init, Config, Insecure }
