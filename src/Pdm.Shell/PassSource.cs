using Pdm.Cluster;
using Pdm.Coordination;
using Pdm.Ledger;

namespace Pdm.Shell;

/// <summary>
/// Where the inspection and control commands get their answers: the ledger itself (embedded), or a node
/// of the cluster (`--cluster`). The same views either way, so every command shows the same thing.
/// </summary>
public interface IPassSource : IDisposable
{
    /// <summary>What to call it in messages: the ledger's path, or the cluster's contacts.</summary>
    string Where { get; }

    Api.PassView Pass(long passId);

    IReadOnlyList<Api.PassView> Passes();

    IReadOnlyList<FailureRow> Failures(long passId, long afterId, int limit);

    IReadOnlyList<Api.ReportLine> Report(long passId, long afterId, int limit);

    /// <summary>Pause, resume or cancel, through the pass's coordinator; its answer.</summary>
    PassCommands.Result Control(PassInfo pass, PassRequest request);

    Api.NodeList Nodes();
}
