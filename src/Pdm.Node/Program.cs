using System.Runtime.InteropServices;
using Pdm.Actors;
using Pdm.Ledger;

// Pdm.Node: a mover node that works on every running pass of a ledger until stopped (SIGTERM, SIGINT),
// then gives back what it holds. A thin host for now; the cluster issue grows it.
string? ledgerPath = null;
int threads = NodeOptions.DefaultThreads;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--ledger" when i + 1 < args.Length: ledgerPath = args[++i]; break;
        case "--threads" when i + 1 < args.Length && int.TryParse(args[i + 1], out var t) && t > 0: threads = t; i++; break;
        default:
            Console.Error.WriteLine("usage: Pdm.Node --ledger PATH [--threads N]");
            return 2;
    }
}
if (ledgerPath is null)
{
    Console.Error.WriteLine("Pdm.Node: --ledger PATH is required");
    return 2;
}
try
{
    using var ledger = SqliteLedger.Open(ledgerPath);
    using var stop = new CancellationTokenSource();
    using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
    using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
    var node = new MoverNode(ledger, NodeOptions.Default with { Threads = threads });
    node.Problem += m => Console.Error.WriteLine($"Pdm.Node: {m}");
    Console.Error.WriteLine($"Pdm.Node {node.Id}: working on {ledgerPath} with {threads} I/O threads");
    node.Run(stop.Token);
    Console.Error.WriteLine($"Pdm.Node {node.Id}: stopped");
    return 0;
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
