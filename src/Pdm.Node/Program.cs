using System.Runtime.InteropServices;
using Pdm.Actors;
using Pdm.Configuration;
using Pdm.Ledger;

// Pdm.Node: a mover node. One ActorSystem (Akka.Hosting) with the node's actors works on every running
// pass of a ledger until SIGTERM, SIGINT or SIGHUP; then it stops claiming, lets work in flight reach a
// safe point, and gives back what it holds.
string? ledgerPath = null, configPath = null;
int? threads = null;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--ledger" when i + 1 < args.Length: ledgerPath = args[++i]; break;
        case "--config" when i + 1 < args.Length: configPath = args[++i]; break;
        case "--threads" when i + 1 < args.Length && int.TryParse(args[i + 1], out var t) && t is > 0 and <= 1024: threads = t; i++; break;
        default:
            Console.Error.WriteLine("usage: Pdm.Node [--config FILE] [--ledger PATH] [--threads N]");
            return 2;
    }
}
try
{
    var config = configPath is not null ? PdmConfig.Read(configPath) : PdmConfig.Empty;
    ledgerPath ??= Environment.GetEnvironmentVariable("PDM_LEDGER") is { Length: > 0 } env ? env : config.Ledger;
    if (ledgerPath is null)
    {
        Console.Error.WriteLine("Pdm.Node: no ledger: give --ledger PATH, set PDM_LEDGER, or name one in the config");
        return 2;
    }
    ledgerPath = Path.GetFullPath(ledgerPath);
    int n = threads ?? config.Threads ?? NodeOptions.DefaultThreads;
    using var ledger = SqliteLedger.Open(ledgerPath);
    await using var host = await MoverHost.StartAsync(new MoverHostOptions(n, config.Akka, ledgerPath, "pdm-node"));
    using var signals = host.StopOn(PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP);
    var node = MoverNode.Start(host.System, ledger, NodeOptions.Default with { Threads = n }, m => Console.Error.WriteLine($"Pdm.Node: {m}"));
    Akka.Actor.CoordinatedShutdown.Get(host.System).AddTask(Akka.Actor.CoordinatedShutdown.PhaseBeforeServiceUnbind, "say-draining", () =>
    {
        Console.Error.WriteLine($"Pdm.Node {node.Id}: draining ({host.StoppedBy}): no new work; work in flight finishes or goes back");
        return Task.FromResult(Akka.Done.Instance);
    });
    host.ReconcileInBackground(ledger);
    Console.Error.WriteLine($"Pdm.Node {node.Id}: working on {ledgerPath} with {n} I/O threads");
    await node.Finished; // drained by a signal, or the ledger failed (its error is thrown here)
    await host.StopAsync();
    Console.Error.WriteLine($"Pdm.Node {node.Id}: stopped");
    return 0;
}
catch (ConfigException e)
{
    Console.Error.WriteLine($"Pdm.Node: {e.Message}");
    return 2;
}
catch (LedgerUnavailableException e)
{
    Console.Error.WriteLine($"Pdm.Node: {e.Message}");
    return 3;
}
catch (Pdm.Ledger.Sqlite.SqliteError e)
{
    // The ledger failed under way (disk full, I/O error): what was committed stands, the rest is re-run.
    Console.Error.WriteLine($"Pdm.Node: ledger error: {e.Message}");
    return 3;
}
