namespace Pdm.Cluster;

/// <summary>
/// How a node joins its cluster: the address its remoting listens on (and is known by), and the seed
/// nodes every node contacts first. The remoting port listens on that address only; the default is
/// the loopback, so nothing outside the machine can talk to a node not told otherwise.
/// </summary>
/// <param name="Tls">when set, Akka.Remote speaks TLS, with this certificate</param>
public sealed record ClusterSettings(string Host, int Port, IReadOnlyList<(string Host, int Port)> Seeds, TlsSettings? Tls = null)
{
    /// <summary>The ActorSystem name every node and client shares: an address is akka.tcp://pdm@HOST:PORT (akka.ssl.tcp:// with TLS).</summary>
    public const string SystemName = "pdm";

    public const int DefaultPort = 4053;

    public string Address => AddressOf(Host, Port, Tls);

    /// <summary>The address of the node at HOST:PORT: its protocol says whether it speaks TLS.</summary>
    public static string AddressOf(string host, int port, TlsSettings? tls) => $"{(tls is null ? "akka.tcp" : "akka.ssl.tcp")}://{SystemName}@{host}:{port}";

    /// <summary>
    /// How the ledger knows a member's node: its address and its incarnation (a node restarted on the
    /// same address is another member, and the removal of the old one must not give back the new one's work).
    /// </summary>
    public static string MemberKey(Akka.Cluster.UniqueAddress member) => $"{member.Address}#{member.Uid}";

    public IEnumerable<string> SeedAddresses => Seeds.Select(s => AddressOf(s.Host, s.Port, Tls));

    /// <summary>HOST:PORT (or HOST, with the default port).</summary>
    public static (string Host, int Port) ParseEndpoint(string text, string what)
    {
        text = text.Trim();
        int colon = text.LastIndexOf(':');
        if (colon < 0) return Check(text, DefaultPort, what);
        if (!int.TryParse(text[(colon + 1)..], out int port) || port is < 1 or > 65535)
            throw new UsageException($"{what} {text}: the port must be a number from 1 to 65535");
        return Check(text[..colon], port, what);
    }

    /// <summary>HOST:PORT[,HOST:PORT...].</summary>
    public static IReadOnlyList<(string Host, int Port)> ParseEndpoints(string text, string what) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(e => ParseEndpoint(e, what)).ToList() is { Count: > 0 } list
            ? list
            : throw new UsageException($"{what}: no HOST:PORT given");

    private static (string, int) Check(string host, int port, string what) =>
        host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || c is '/' or '@')
            ? throw new UsageException($"{what} '{host}': not a host name or address")
            : (host, port);
}

/// <summary>TLS for Akka.Remote: a PKCS#12 (.pfx) certificate with its private key, the same on every node and client.</summary>
/// <param name="SuppressValidation">accept a peer's certificate without checking its chain (a self-signed one)</param>
public sealed record TlsSettings(string CertificatePath, string? Password, bool SuppressValidation);

/// <summary>A `pdm` reaching a cluster: the nodes it contacts first, and its own address (one the nodes can reach back).</summary>
public sealed record ApiClientSettings(IReadOnlyList<(string Host, int Port)> Contacts, string Host, TlsSettings? Tls = null)
{
    /// <summary>
    /// The address of this machine that the first contact would see us from: the loopback when the
    /// cluster is local, else the interface the route to it goes out of (no packet is sent).
    /// </summary>
    public static string LocalAddressToward(string host, int port)
    {
        try
        {
            using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork,
                System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
            probe.Connect(host, port);
            return ((System.Net.IPEndPoint)probe.LocalEndPoint!).Address.ToString();
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ArgumentException)
        {
            return "127.0.0.1";
        }
    }
}

/// <summary>The key of the cluster client in Akka.Hosting's actor registry.</summary>
public sealed class PdmApiClient;
