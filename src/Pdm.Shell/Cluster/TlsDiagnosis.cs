using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Pdm.Cluster;

namespace Pdm.Shell.Cluster;

/// <summary>
/// Why a node did not answer, when the reason is TLS: Akka only logs a failed handshake, and the
/// cluster client just waits. Asked once, after the first request went unanswered: one TLS handshake
/// with the node, as this client would make it, tells a node that requires TLS from one that refused
/// this client's certificate or shows one of another CA.
/// </summary>
public static class TlsDiagnosis
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    /// <summary>One line saying what went wrong with TLS at HOST:PORT, or null if TLS is not why.</summary>
    public static string? Of(string host, int port, TlsSettings? tls)
    {
        string at = $"{ClusterSettings.Bracketed(host)}:{port}";
        try
        {
            using var tcp = new TcpClient(host.Contains(':') ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork);
            if (!tcp.ConnectAsync(host, port).Wait(Patience)) return null;
            X509Certificate2? shown = null;
            using var ssl = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) =>
            {
                shown = certificate is null ? null : new X509Certificate2(certificate);
                return true; // judged below, to say why
            });
            var options = new SslClientAuthenticationOptions { TargetHost = host };
            X509Certificate2? own = null, ca = null;
            if (tls is not null)
            {
                own = ClusterTls.LoadOwn(tls);
                options.ClientCertificates = [own];
                if (tls.CaPath is { } caPath) ca = ClusterTls.LoadCa(caPath);
            }
            bool handshake;
            try { handshake = ssl.AuthenticateAsClientAsync(options).Wait(Patience); }
            catch (AggregateException) { handshake = false; }
            if (shown is null)
                return tls is null ? null : $"the node at {at} does not speak TLS (started with --insecure?)";
            if (tls is null) return $"the node at {at} requires TLS: give --tls DIR (made by pdm cluster init; or PDM_TLS, or cluster.tls in the config)";
            if (ca is not null && !ClusterTls.ChainsTo(ca, shown))
                return $"the node at {at} shows a certificate not of this cluster's CA ({shown.Issuer}): another cluster, or the wrong --tls";
            if (tls.SuppressValidation && own is not null && shown.Thumbprint != own.Thumbprint)
                return $"the node at {at} shows another certificate than this client's pinned one";
            if (!handshake) return $"the node at {at} refused this client's certificate";
            // TLS 1.3: the node judges the client's certificate after the handshake, and closes at once if it refuses.
            var buffer = new byte[1];
            try
            {
                var read = ssl.ReadAsync(buffer).AsTask();
                if (!read.Wait(TimeSpan.FromSeconds(2))) return null; // it waits for us: TLS is not the trouble
                return read.Result == 0 ? $"the node at {at} refused this client's certificate" : null;
            }
            catch (AggregateException) { return $"the node at {at} refused this client's certificate"; }
        }
        catch (Exception e) when (e is SocketException or IOException or AggregateException or UsageException)
        {
            return null;
        }
    }
}
