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
    public static string AddressOf(string host, int port, TlsSettings? tls) => $"{(tls is null ? "akka.tcp" : "akka.ssl.tcp")}://{SystemName}@{Bracketed(host)}:{port}";

    /// <summary>An IPv6 address in brackets, as in a URI; anything else as it is.</summary>
    public static string Bracketed(string host) => host.Contains(':') ? $"[{host}]" : host;

    /// <summary>
    /// Refuses (exit 2, one line) an address this node cannot listen on: not one of this machine's, or
    /// one another process listens on. Akka's listener shares a port with another that allows it
    /// (SO_REUSEPORT, which .NET sets with SO_REUSEADDR): a second node on the same address would come
    /// up and split the cluster. This probe asks for SO_REUSEADDR alone (a port in TIME_WAIT after a
    /// restart stays usable), so any listener there, shared or not, makes it fail.
    /// </summary>
    public static void CheckBindable(string host, int port)
    {
        System.Net.IPAddress[] addresses;
        try { addresses = System.Net.IPAddress.TryParse(host, out var ip) ? [ip] : System.Net.Dns.GetHostAddresses(host); }
        catch (System.Net.Sockets.SocketException e) { throw new UsageException($"--bind {host}: {e.Message}"); }
        if (addresses.Length == 0) throw new UsageException($"--bind {host}: the name has no address");
        using var probe = new System.Net.Sockets.Socket(addresses[0].AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        const int SOL_SOCKET = 1, SO_REUSEADDR = 2;
        probe.SetRawSocketOption(SOL_SOCKET, SO_REUSEADDR, BitConverter.GetBytes(1));
        try
        {
            probe.Bind(new System.Net.IPEndPoint(addresses[0], port));
            probe.Listen(1);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            string why = e.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse
                ? "the address is in use (another node, or another program, listens there)" : e.Message;
            throw new UsageException($"--bind {Bracketed(host)}:{port}: {why}");
        }
    }

    /// <summary>
    /// How the ledger knows a member's node: its address and its incarnation (a node restarted on the
    /// same address is another member, and the removal of the old one must not give back the new one's work).
    /// </summary>
    public static string MemberKey(Akka.Cluster.UniqueAddress member) => $"{member.Address}#{member.Uid}";

    public IEnumerable<string> SeedAddresses => Seeds.Select(s => AddressOf(s.Host, s.Port, Tls));

    /// <summary>HOST:PORT (or HOST, with the default port); an IPv6 address in brackets, [::1]:4053.</summary>
    public static (string Host, int Port) ParseEndpoint(string text, string what)
    {
        text = text.Trim();
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']');
            if (close < 0 || !System.Net.IPAddress.TryParse(text[1..close], out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
                throw new UsageException($"{what} {text}: not an IPv6 address in brackets ([::1]:4053)");
            string rest = text[(close + 1)..];
            if (rest.Length == 0) return (text[1..close], DefaultPort);
            if (rest[0] != ':' || !int.TryParse(rest[1..], out int p6) || p6 is < 1 or > 65535)
                throw new UsageException($"{what} {text}: the port must be a number from 1 to 65535");
            return (text[1..close], p6);
        }
        int colon = text.LastIndexOf(':');
        if (colon < 0) return Check(text, DefaultPort, what);
        if (text.IndexOf(':') != colon) throw new UsageException($"{what} {text}: an IPv6 address goes in brackets ([::1]:4053)");
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

/// <summary>
/// TLS for Akka.Remote: this process's PKCS#12 (.pfx) certificate with its private key, and whom it
/// trusts: the certificates of one CA (<paramref name="CaPath"/>: the cluster's own, or a site CA), or,
/// with <paramref name="SuppressValidation"/>, only a peer showing this very certificate (one self-signed
/// certificate shared by every node and client, pinned by thumbprint).
/// </summary>
public sealed record TlsSettings(string CertificatePath, string? Password, bool SuppressValidation, string? CaPath = null)
{
    /// <summary>What `pdm cluster init DIR` made: DIR/ca.crt, and DIR/node.pfx or DIR/admin.pfx.</summary>
    public static TlsSettings InDirectory(string dir, TlsRole role) =>
        new(Path.Combine(dir, role == TlsRole.Node ? ClusterTls.NodeFile : ClusterTls.AdminFile), null, false, Path.Combine(dir, ClusterTls.CaCertificateFile));
}

/// <summary>A `pdm` reaching a cluster: the nodes it contacts first, and its own address (one the nodes can reach back).</summary>
public sealed record ApiClientSettings(IReadOnlyList<(string Host, int Port)> Contacts, string Host, TlsSettings? Tls = null)
{
    /// <summary>
    /// The address of this machine that the first contact would see us from: the loopback when the
    /// cluster is local, else the interface the route to it goes out of (no packet is sent).
    /// </summary>
    public static string LocalAddressToward(string host, int port)
    {
        bool v6 = System.Net.IPAddress.TryParse(host, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        try
        {
            using var probe = new System.Net.Sockets.Socket(v6 ? System.Net.Sockets.AddressFamily.InterNetworkV6 : System.Net.Sockets.AddressFamily.InterNetwork,
                System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
            probe.Connect(host, port);
            return ((System.Net.IPEndPoint)probe.LocalEndPoint!).Address.ToString();
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ArgumentException)
        {
            return v6 ? "::1" : "127.0.0.1";
        }
    }
}

/// <summary>The key of the cluster client in Akka.Hosting's actor registry.</summary>
public sealed class PdmApiClient;
