using Akka.Actor;
using Pdm.Actors;
using Pdm.Configuration;
using Pdm.Coordination;
using Pdm.Ledger;

namespace Pdm.Shell;

/// <summary>
/// Takes an admin's command (pause, resume, cancel) to the coordinator of a pass. A pass has one
/// coordinator at a time: if a live process runs the pass (a `pdm copy` in another terminal) or a
/// cluster works on the ledger, the coordinator is theirs, and the command is left for it in the
/// ledger (it looks every <see cref="MoverHost.CoordinatorTick"/>); otherwise a coordinator is started
/// here for the command.
/// </summary>
public sealed class PassControl(SqlLedger ledger, PdmConfig config)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>The live process that runs the pass (and hosts its coordinator), if any; else a live cluster member, whose cluster does.</summary>
    public NodeInfo? Host(long passId)
    {
        var live = ledger.ListNodes().Where(ProcessIdentity.IsLive).ToList();
        return live.FirstOrDefault(n => n.State == NodeInfo.DedicatedTo(passId)) ?? live.FirstOrDefault(n => n.Address is not null);
    }

    /// <summary>Delivers the command; the coordinator's answer (refused, or the state it left the pass in).</summary>
    public PassCommands.Result Deliver(PassInfo pass, PassRequest request)
    {
        if (Host(pass.Id) is { } host) return ThroughLedger(pass, request, host);
        return Here(pass, request).GetAwaiter().GetResult();
    }

    private PassCommands.Result ThroughLedger(PassInfo pass, PassRequest request, NodeInfo host)
    {
        var wanted = request switch { PassRequest.Pause => PassStatus.Paused, PassRequest.Resume => PassStatus.Running, _ => PassStatus.Cancelled };
        ledger.Request(pass.Id, request);
        var until = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < until)
        {
            var status = ledger.GetPassState(pass.Id)!.Status;
            if (status == wanted) return new PassCommands.Result(pass.Id, true, status);
            if (status.IsFinished()) return new PassCommands.Result(pass.Id, false, status, $"pass {pass.Id} has {LedgerNames.StatusName(status)} meanwhile");
            Thread.Sleep(50);
        }
        throw new LedgerUnavailableException($"the {(host.Address is null ? "process" : "cluster")} running pass {pass.Id} ({host.Address ?? $"pid {host.Pid} on {host.Host}"}) has not taken the {LedgerNames.RequestName(request)} " +
            $"within {Patience.TotalSeconds:0} s; it stays asked, and is done when that process looks again");
    }

    private async Task<PassCommands.Result> Here(PassInfo pass, PassRequest request)
    {
        await using var host = await MoverHost.StartAsync(new MoverHostOptions(config.Akka, ledger.Journal, ConfigFile: config.File));
        IPassCommand command = request switch
        {
            PassRequest.Pause => new PassCommands.Pause(pass.Id),
            PassRequest.Resume => new PassCommands.Resume(pass.Id),
            _ => new PassCommands.Cancel(pass.Id),
        };
        return await host.Coordinator(pass.Id, ledger).Ask<PassCommands.Result>(command, Patience);
    }
}
