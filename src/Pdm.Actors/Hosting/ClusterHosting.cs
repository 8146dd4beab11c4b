using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Client;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Pdm.Cluster;
using Pdm.Coordination;

namespace Pdm.Actors;

/// <summary>
/// The cluster side of a mover's ActorSystem: Akka.Remote on the node's address only, Akka.Cluster with
/// its seeds and the split brain resolver, the MigrationCoordinators as a shard region keyed by pass id
/// (remember-entities, kept in the journal), distributed publish-subscribe for <see cref="Notices"/>,
/// and the API that `pdm --cluster` reaches through the cluster client receptionist.
/// </summary>
public static class ClusterHosting
{
    /// <summary>
    /// Failover in seconds, not the defaults' minute: a SIGKILLed node is downed by the split brain
    /// resolver once membership has been stable for 5 s (measured here: 47 s with the defaults, 13 s
    /// with these), and the sharding coordinator and its singleton retry fast.
    /// </summary>
    private static readonly Config Tuning = ConfigurationFactory.ParseString("""
        akka.cluster {
          split-brain-resolver.stable-after = 5s
          down-removal-margin = 1s
          failure-detector.acceptable-heartbeat-pause = 3s
          log-info-verbose = off
          sharding {
            retry-interval = 200ms
            updating-state-timeout = 5s
            waiting-for-state-timeout = 5s
          }
          singleton.hand-over-retry-interval = 100ms
        }
        akka.remote.dot-netty.tcp.maximum-frame-size = 4 MiB
        # A `pdm --cluster` that ends is no error worth a stack trace on every node.
        akka.remote.log-remote-lifecycle-events = off
        """);

    public static void AsNode(AkkaConfigurationBuilder builder, ClusterNode node)
    {
        var settings = node.Settings;
        builder.AddHocon(Tuning, HoconAddMode.Prepend)
            .WithCustomSerializer("pdm-wire", WireSerializer.Types, system => new WireSerializer(system))
            .WithRemoting(Remote(settings.Host, settings.Port, settings.Tls))
            .WithClustering(new ClusterOptions
            {
                SeedNodes = settings.SeedAddresses.ToArray(),
                Roles = ["mover"],
                SplitBrainResolver = new KeepMajorityOption(),
            })
            .WithDistributedPubSub(role: null!)
            .WithClusterClientReceptionist()
            .WithShardRegion<PassCoordinators>(PassShards.TypeName,
                entityId => MigrationCoordinator.Props(long.Parse(entityId, System.Globalization.CultureInfo.InvariantCulture), node.Ledger,
                    MoverHost.CoordinatorTick, sharded: true),
                new PassShards(),
                new ShardOptions
                {
                    RememberEntities = true,
                    RememberEntitiesStore = RememberEntitiesStore.Eventsourced,
                    StateStoreMode = StateStoreMode.DData,
                })
            .WithActors((system, registry) =>
            {
                var coordinators = registry.Get<PassCoordinators>();
                var api = system.ActorOf(PdmApi.Props(node.Ledger, node.Config, coordinators), "pdm-api");
                ClusterClientReceptionist.Get(system).RegisterService(api);
                system.ActorOf(MembershipWatcher.Props(node.Ledger, node.Gate, node.Lease), "membership");
                system.ActorOf(CoordinatorKeeper.Props(node.Ledger, coordinators), "coordinator-keeper");
            });
    }

    /// <summary>
    /// A `pdm` that talks to a cluster without joining it: remoting on an address the nodes can answer
    /// (any port), and a cluster client that finds the nodes' receptionists from the given contacts.
    /// </summary>
    public static void AsClient(AkkaConfigurationBuilder builder, ApiClientSettings client) =>
        builder.AddHocon(ConfigurationFactory.ParseString("""
                akka.cluster.client {
                  establishing-get-contacts-interval = 1s
                  reconnect-timeout = off
                }
                # The command says what went wrong, in one line: Akka's own complaints (a node that
                # does not answer, refused associations) are not for its user.
                akka.loglevel = OFF
                akka.stdout-loglevel = OFF
                """), HoconAddMode.Prepend)
            .WithCustomSerializer("pdm-wire", WireSerializer.Types, system => new WireSerializer(system))
            .WithRemoting(Remote(client.Host, 0, client.Tls))
            .WithClusterClient<PdmApiClient>(client.Contacts.Select(c => $"{ClusterSettings.AddressOf(c.Host, c.Port, client.Tls)}/system/receptionist").ToList());

    /// <summary>
    /// Remoting that listens on <paramref name="host"/> only, with TLS if asked: mutual (each side shows
    /// its certificate), a peer accepted only if its certificate chains to the configured CA alone (never
    /// the system's trust store), or with <see cref="TlsSettings.SuppressValidation"/> only if it shows
    /// this very certificate (pinned by thumbprint).
    /// </summary>
    public static RemoteOptions Remote(string host, int port, TlsSettings? tls)
    {
        var options = new RemoteOptions { HostName = host, Port = port, PublicHostName = host };
        if (tls is null) return options;
        var certificate = ClusterTls.LoadOwn(tls);
        Akka.Remote.Transport.DotNetty.CertificateValidationCallback validator;
        if (tls.SuppressValidation) validator = Akka.Remote.Transport.DotNetty.CertificateValidation.PinnedCertificate(certificate.Thumbprint);
        else if (tls.CaPath is { } caPath) validator = ClusterTls.ChainsTo(ClusterTls.LoadCa(caPath));
        else throw new UsageException("TLS: no CA to trust: give cluster.tls.ca (the CA that signed the cluster's certificates), or use pdm cluster init");
        options.EnableSsl = true;
        options.Ssl = new SslOptions
        {
            X509Certificate = certificate,
            RequireMutualAuthentication = true,
            ValidateCertificateHostname = false, // nodes are reached by address; the certificate names the cluster
            SuppressValidation = false,
            CustomValidator = validator,
        };
        return options;
    }
}
