namespace Pdm.Actors;

/// <summary>
/// Whether a node may claim work now, and if not, why. A node of a cluster claims only while it is an
/// Up member of the one cluster its ledger serves: not before it has joined (two nodes whose first seed
/// is down must not work as two clusters), not after it has left, and not while the ledger shows a live
/// node of another cluster. Set by the cluster's membership watcher, read by the feeder before each claim.
/// </summary>
public sealed class ClaimGate(string? closedBecause)
{
    private volatile string? _closedBecause = closedBecause;

    /// <summary>A gate that never closes: a node with no cluster.</summary>
    public static ClaimGate AlwaysOpen => new(null);

    /// <summary>Why no work is claimed now, or null.</summary>
    public string? ClosedBecause => _closedBecause;

    public void Open() => _closedBecause = null;

    public void Close(string why) => _closedBecause = why;
}
