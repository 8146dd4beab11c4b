using Pdm.Cluster;
using Pdm.Coordination;
using Pdm.Ledger;

namespace Pdm.Shell.Cluster;

/// <summary>The answers of a cluster's nodes, asked through <see cref="ClusterSession"/>.</summary>
public sealed class ClusterPassSource(ClusterSession session) : IPassSource
{
    public ClusterSession Session => session;

    public string Where => $"the cluster at {session.Contacts}";

    public Api.PassView Pass(long passId) => session.Ask<Api.PassView>(new Api.GetPass(passId));

    public IReadOnlyList<Api.PassView> Passes() => session.Ask<Api.PassList>(new Api.ListPasses()).Passes;

    public IReadOnlyList<FailureRow> Failures(long passId, long afterId, int limit) =>
        session.Ask<Api.FailureList>(new Api.GetFailures(passId, afterId, limit)).Failures;

    public IReadOnlyList<Api.ReportLine> Report(long passId, long afterId, int limit) =>
        session.Ask<Api.ReportList>(new Api.GetReport(passId, afterId, limit)).Lines;

    public PassCommands.Result Control(PassInfo pass, PassRequest request) => session.Ask<PassCommands.Result>(new Api.Control(pass.Id, request));

    public Api.NodeList Nodes() => session.Ask<Api.NodeList>(new Api.ListNodes());

    /// <summary>The session outlives one command (`pdm shell` reuses it); it ends with the process.</summary>
    public void Dispose() { }
}
