using Pdm.Actors;
using Pdm.Cluster;
using Pdm.Configuration;
using Pdm.Coordination;
using Pdm.Ledger;

namespace Pdm.Shell;

/// <summary>The answers read from a ledger this process opened (the embedded default, or a PostgreSQL ledger named with --ledger).</summary>
public sealed class LedgerPassSource(SqlLedger ledger, PdmConfig config) : IPassSource
{
    public SqlLedger Ledger => ledger;

    public string Where => ledger.Path;

    public Api.PassView Pass(long passId) =>
        PassViews.Of(ledger, ledger.GetPass(passId) ?? throw new UsageException($"no pass {passId} in this ledger (see pdm passes)"));

    public IReadOnlyList<Api.PassView> Passes()
    {
        var nodes = ledger.ListNodes();
        return ledger.ListPasses().Select(p => PassViews.Of(ledger, p, nodes)).ToList();
    }

    public IReadOnlyList<FailureRow> Failures(long passId, long afterId, int limit) => ledger.Failures(passId, afterId, limit);

    public IReadOnlyList<Api.ReportLine> Report(long passId, long afterId, int limit) =>
        ledger.Report(passId, afterId, limit).Select(l => new Api.ReportLine(l.Id, l.Action, l.Path, l.Bytes)).ToList();

    public PassCommands.Result Control(PassInfo pass, PassRequest request) => new PassControl(ledger, config).Deliver(pass, request);

    /// <summary>The nodes registered in the ledger; without a cluster there is no membership, only their heartbeats.</summary>
    public Api.NodeList Nodes() => new(null, ledger.ListNodes().Select(n => new Api.NodeView(
        n.Address?.Split('#')[0] ?? $"{n.Host} pid {n.Pid}", ProcessIdentity.IsLive(n) ? "live" : "gone", ProcessIdentity.IsLive(n), [],
        n.Id, n.InFlight, n.ItemsPerSecond, n.BytesPerSecond, n.HeartbeatAt)).ToList());

    public void Dispose() => ledger.Dispose();
}
