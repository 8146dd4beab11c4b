using Pdm.Actors;
using Pdm.Ledger;

namespace Pdm.Shell;

/// <summary>
/// A pass the ledger says is running but that no live node works on: its `pdm` or its nodes were
/// killed (SIGKILL, a crash, a reboot) before they could hand it back. Shown for what it is.
/// </summary>
public static class StalledPass
{
    /// <summary>Since when nothing has worked on a running pass (its last event), or null if it is not stalled.</summary>
    public static DateTimeOffset? Since(ILedger ledger, IReadOnlyList<NodeInfo> nodes, long passId, PassStatus status)
    {
        if (status != PassStatus.Running) return null;
        if (nodes.Any(n => n.WorksOn(passId) && ProcessIdentity.IsLive(n))) return null;
        return ledger.LastActivity(passId) ?? DateTimeOffset.UtcNow;
    }

    public static string Explain(long passId, DateTimeOffset since) =>
        $"pass {passId} is running, but no live node has worked on it since {Format.Time(since)} (killed?); " +
        $"`pdm resume {passId}` continues it";
}
