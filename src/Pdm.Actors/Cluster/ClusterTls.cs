using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace Pdm.Cluster;

/// <summary>Which certificate of a TLS directory a process shows: a node's, or the admin's (`pdm --cluster`).</summary>
public enum TlsRole { Node, Admin }

/// <summary>
/// The cluster's own certificate authority and what is made from it (`pdm cluster init DIR`), and the
/// checks every TLS peer passes: its certificate must chain to the configured CA alone (a custom root
/// trust, never the system's store), and a file holding a private key must be readable by its owner
/// only, as ssh demands of a key.
/// </summary>
public static class ClusterTls
{
    public const string CaCertificateFile = "ca.crt";
    public const string CaKeyFile = "ca.key";
    public const string NodeFile = "node.pfx";
    public const string AdminFile = "admin.pfx";

    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(3650);

    /// <summary>
    /// Makes DIR (mode 0700; it must not exist) with a new CA (ca.crt, ca.key) and the two certificates
    /// it signs: node.pfx for every node, admin.pfx for whoever commands the cluster. Every file 0600
    /// from its creation. The CA's key is needed only to make more certificates. DIR is made by mkdir,
    /// which fails on anything there: a directory another user made in its place (a shared /tmp) would
    /// let her replace the CA later.
    /// </summary>
    public static void Init(string dir)
    {
        dir = Path.GetFullPath(dir);
        int made = Native.Sys.TryMkdirAt(Native.Flags.AT_FDCWD, Native.ByteNames.FromString(dir), 0x1C0);
        if (made == Native.Errno.EEXIST) throw new UsageException($"{dir} exists: pdm cluster init makes a new directory and overwrites nothing");
        if (made != 0) throw new UsageException($"{dir}: {Native.Sys.ErrorMessage(made)}");
        var notBefore = DateTimeOffset.UtcNow.AddHours(-1);
        string id = Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN=pdm cluster CA {id}", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(notBefore, notBefore + Lifetime);

        void Write(string name, string? text, byte[]? bytes = null)
        {
            string path = Path.Combine(dir, name);
            using var f = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            f.Write(bytes ?? System.Text.Encoding.ASCII.GetBytes(text!));
        }
        Write(CaCertificateFile, ca.ExportCertificatePem() + "\n");
        Write(CaKeyFile, caKey.ExportPkcs8PrivateKeyPem() + "\n");
        Write(NodeFile, null, Issue(ca, caKey, $"CN=pdm node {id}", notBefore));
        Write(AdminFile, null, Issue(ca, caKey, $"CN=pdm admin {id}", notBefore));
    }

    /// <summary>A PKCS#12 of a certificate signed by the CA, with its key, for both ends of a connection (remoting dials both ways).</summary>
    private static byte[] Issue(X509Certificate2 ca, ECDsa caKey, string subject, DateTimeOffset notBefore)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false)); // server and client authentication
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var signed = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), notBefore, notBefore + Lifetime,
            RandomNumberGenerator.GetBytes(16));
        using var withKey = signed.CopyWithPrivateKey(key);
        return withKey.Export(X509ContentType.Pkcs12);
    }

    /// <summary>This process's certificate with its private key; refused if others may read the file.</summary>
    public static X509Certificate2 LoadOwn(TlsSettings tls)
    {
        RefuseIfOthersRead(tls.CertificatePath);
        X509Certificate2 certificate;
        try { certificate = X509CertificateLoader.LoadPkcs12FromFile(tls.CertificatePath, tls.Password); }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"TLS certificate {tls.CertificatePath}: {e.Message}");
        }
        if (!certificate.HasPrivateKey) throw new UsageException($"TLS certificate {tls.CertificatePath} holds no private key (export it with its key: openssl pkcs12 -export -inkey ...)");
        return certificate;
    }

    /// <summary>The CA whose certificates this cluster trusts (PEM or DER).</summary>
    public static X509Certificate2 LoadCa(string path)
    {
        try
        {
            var ca = X509CertificateLoader.LoadCertificateFromFile(path);
            if (ca.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
                throw new UsageException($"TLS CA {path}: not a CA certificate (its basic constraints do not say CA)");
            return ca;
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"TLS CA {path}: {e.Message}");
        }
    }

    /// <summary>As ssh refuses a private key that group or others can read: the file must be 0600 or stricter.</summary>
    public static void RefuseIfOthersRead(string path)
    {
        UnixFileMode mode;
        try { mode = File.GetUnixFileMode(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"TLS certificate {path}: {e.Message}");
        }
        const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        if ((mode & others) != 0)
            throw new UsageException($"TLS certificate {path} holds a private key and group or others may read it: chmod 600 {path}");
    }

    /// <summary>
    /// Accepts a peer only if its certificate chains to <paramref name="ca"/>, with that CA as the one
    /// root trusted (the system's store is not consulted), and is valid now. A peer without one fails.
    /// </summary>
    public static CertificateValidationCallback ChainsTo(X509Certificate2 ca) => (certificate, chain, peer, _, log) =>
    {
        if (certificate is null) return false;
        bool ok = ChainsTo(ca, certificate, chain);
        if (!ok) log?.Warning("TLS: refused the certificate of {0}: refused a peer's certificate {1} issued by {2}, not of this cluster's CA", peer, certificate.Subject, certificate.Issuer);
        return ok;
    };

    public static bool ChainsTo(X509Certificate2 ca, X509Certificate2 certificate, X509Chain? presented = null)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (presented is not null)
            foreach (var element in presented.ChainElements)
                if (!element.Certificate.RawDataMemory.Span.SequenceEqual(certificate.RawDataMemory.Span))
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate); // a site CA's intermediates
        return chain.Build(certificate) && chain.ChainElements[^1].Certificate.RawDataMemory.Span.SequenceEqual(ca.RawDataMemory.Span);
    }
}
