using Pdm.Ledger;

namespace Pdm.Cluster;

/// <summary>
/// What `pdm --cluster` asks a node (through Akka's cluster client: the node's <see cref="PdmApi"/> is
/// registered with the cluster client receptionist), and what it answers. The client needs no
/// database credentials: every answer is read from the ledger by the node.
/// </summary>
public static class Api
{
    /// <summary>The receptionist's name for the API: what a cluster client sends to.</summary>
    public const string Path = "/user/pdm-api";

    /// <summary>A pass: its kind, SRC DST (or FS FS PATH) as given, resolved with the node's own config.</summary>
    public sealed record Submit(PassKind Kind, IReadOnlyList<string> Paths, PassOptions Options);

    public sealed record Submitted(long PassId, bool Resumed, string Source, string Target);

    /// <summary>The node refused the request: the exit status it calls for (2 refused input, 3 ledger) and one line why.</summary>
    public sealed record Refused(int ExitCode, string Message);

    public sealed record GetPass(long PassId);

    /// <summary>A pass as `status` shows it. <paramref name="Waiting"/>: why no node works on it, if none does.</summary>
    public sealed record PassView(PassInfo Pass, PassState State, long BytesToCopy, bool Scanning, string? Waiting);

    public sealed record ListPasses;

    public sealed record PassList(IReadOnlyList<PassView> Passes);

    public sealed record GetFailures(long PassId, long AfterId, int Limit);

    public sealed record FailureList(IReadOnlyList<FailureRow> Failures);

    /// <summary>What a dry run would have done.</summary>
    public sealed record GetReport(long PassId, long AfterId, int Limit);

    public sealed record ReportList(IReadOnlyList<ReportLine> Lines);

    public sealed record ReportLine(long Id, string Action, byte[] Path, long Bytes);

    /// <summary>Pause, resume or cancel: delivered to the pass's coordinator, answered with its result.</summary>
    public sealed record Control(long PassId, PassRequest Request);

    public sealed record ListNodes;

    /// <param name="Status">the member's status (Up, Leaving, Exiting, Down...)</param>
    /// <param name="NodeId">the mover node at that address, and its last heartbeat's figures</param>
    public sealed record NodeView(string Address, string Status, bool Reachable, IReadOnlyList<string> Roles,
        string? NodeId, long InFlight, double ItemsPerSecond, double BytesPerSecond, DateTimeOffset? HeartbeatAt);

    public sealed record NodeList(string? Leader, IReadOnlyList<NodeView> Nodes);

    /// <summary>The member at an address leaves the cluster gracefully (it drains first).</summary>
    public sealed record Leave(string Address);

    /// <summary>The member at an address is marked down (it is gone and will not come back as it is).</summary>
    public sealed record Down(string Address);

    public sealed record Done(string Message);
}
