using Pdm.Actors;
using Pdm.Ledger;

namespace Pdm.Cluster;

/// <summary>
/// A pass as `status` and `passes` show it, read from the ledger: the same view whether `pdm` reads its
/// own ledger or a node answers a cluster client.
/// </summary>
public static class PassViews
{
    public static Api.PassView Of(ILedger ledger, PassInfo pass, IReadOnlyList<NodeInfo>? nodes = null)
    {
        var state = ledger.GetPassState(pass.Id)!;
        var (bytes, scanning) = ledger.RemainingWork(pass.Id);
        return new Api.PassView(pass, state, bytes, scanning, Idle(ledger, nodes ?? ledger.ListNodes(), state));
    }

    /// <summary>
    /// Why a running pass makes no progress, or null: no live node works on it. Before anything was done
    /// it waits (submitted with no node up yet); after, it stalled (what ran it was killed).
    /// </summary>
    public static string? Idle(ILedger ledger, IReadOnlyList<NodeInfo> nodes, PassState state)
    {
        long passId = state.PassId;
        if (state.Status != PassStatus.Running) return null;
        if (nodes.Any(n => n.WorksOn(passId) && ProcessIdentity.IsLive(n))) return null;
        var since = ledger.LastActivity(passId) ?? DateTimeOffset.UtcNow;
        if (state.Counters.IsZero)
            return $"waiting: no node works on pass {passId} yet (start Pdm.Node on this ledger, or `pdm resume {passId}` runs it here)";
        return $"stalled: pass {passId} is running, but no live node has worked on it since {since.ToLocalTime():yyyy-MM-dd HH:mm:ss} (killed?); " +
            $"`pdm resume {passId}` continues it here, or a Pdm.Node on this ledger does";
    }
}
