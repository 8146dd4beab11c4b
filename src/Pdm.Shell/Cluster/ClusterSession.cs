using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Pdm.Actors;
using Pdm.Cluster;
using Pdm.Configuration;
using Pdm.Ledger;

namespace Pdm.Shell.Cluster;

/// <summary>
/// `pdm` talking to a cluster of nodes: an ActorSystem with remoting only, and Akka's cluster client,
/// which finds the nodes' receptionists from the contacts and carries every <see cref="Api"/> request
/// to a node's PdmApi, preferably the one of the node it reached (local affinity): the node named in
/// --cluster, when it is up, admits passes with its own config. No database credentials: the node
/// reads the ledger. One session serves every command of a `pdm shell`.
/// </summary>
public sealed class ClusterSession : IDisposable
{
    /// <summary>How long a first answer may take: the cluster client finding a receptionist, then the node's reply.</summary>
    private static readonly TimeSpan FirstPatience = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static ClusterSession? _shared;
    private static readonly Lock SharedGate = new();

    private readonly MoverHost _host;
    private readonly ApiClientSettings _settings;
    private bool _answered;

    public string Contacts { get; }

    private ClusterSession(MoverHost host, string contacts, ApiClientSettings settings)
    {
        _host = host;
        Contacts = contacts;
        _settings = settings;
    }

    /// <summary>A session to the cluster at <paramref name="contacts"/> (HOST:PORT,...), shared within this process.</summary>
    public static ClusterSession To(string contacts, PdmConfig config, TlsSettings? tls)
    {
        lock (SharedGate)
        {
            if (_shared is { } open && open.Contacts == contacts) return open;
            _shared?.Dispose();
            var endpoints = ClusterSettings.ParseEndpoints(contacts, "--cluster");
            string local = ApiClientSettings.LocalAddressToward(endpoints[0].Host, endpoints[0].Port);
            var settings = new ApiClientSettings(endpoints, local, tls);
            var host = MoverHost.StartAsync(new MoverHostOptions(config.Akka, Journal: null, Name: "pdm-client", Client: settings, ConfigFile: config.File))
                .GetAwaiter().GetResult();
            _shared = new ClusterSession(host, contacts, settings);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => _shared?.Dispose();
            return _shared;
        }
    }

    /// <summary>
    /// Asks a node; its refusal is thrown as the exception of its exit status (2 refused input, 3 ledger),
    /// and no answer at all means no node is reachable (exit 3).
    /// </summary>
    public T Ask<T>(object request)
    {
        var patience = _answered ? Patience : FirstPatience;
        object answer;
        try
        {
            var asking = _host.ApiClient.Ask<object>(new ClusterClient.Send(Api.Path, request, localAffinity: true), patience);
            // A first answer that is slow to come: a TLS handshake that failed is said within a second, not after the patience.
            if (!_answered && !((IAsyncResult)asking).AsyncWaitHandle.WaitOne(TlsSuspicion) && TlsTrouble() is { } why) throw new UsageException(why);
            answer = asking.GetAwaiter().GetResult();
        }
        catch (AskTimeoutException)
        {
            throw new LedgerUnavailableException(_answered
                ? $"the cluster at {Contacts} did not answer within {patience.TotalSeconds:0} s"
                : $"no node of the cluster at {Contacts} answered within {patience.TotalSeconds:0} s (is Pdm.Node running there, with that --bind?)");
        }
        _answered = true;
        return answer switch
        {
            T t => t,
            Api.Refused { ExitCode: ExitCodes.LedgerUnavailable } r => throw new LedgerUnavailableException(r.Message),
            Api.Refused r => throw new UsageException(r.Message),
            _ => throw new InvalidOperationException($"the cluster answered {answer.GetType().Name} to {request.GetType().Name}"),
        };
    }

    /// <summary>How long a first answer may take before the TLS handshake is looked at on its own.</summary>
    private static readonly TimeSpan TlsSuspicion = TimeSpan.FromSeconds(1);

    private string? TlsTrouble()
    {
        foreach (var (host, port) in _settings.Contacts)
            if (TlsDiagnosis.Of(host, port, _settings.Tls) is { } why) return why;
        return null;
    }

    public void Dispose()
    {
        lock (SharedGate)
        {
            if (ReferenceEquals(_shared, this)) _shared = null;
        }
        try { _host.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10)); }
        catch (AggregateException) { } // leaving: nothing more to say to the cluster
    }
}
