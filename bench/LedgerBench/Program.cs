using System.Diagnostics;
using Pdm.Ledger;

// LedgerBench: how many work items the ledger hands out and takes back per second, the way mover
// nodes use it: each simulated node has its own connection pool (threads + 4, as Pdm.Node sizes it);
// each thread claims 8 items, then completes them in one transaction (group commit), each with the
// progress of a batch of --files files. No file is touched: this is the ledger's ceiling.
//
//   dotnet run -c Release --project bench/LedgerBench -- --ledger postgresql://pdm@127.0.0.1:5432/bench \
//       --nodes 1,2,4,8 --threads 8 --items 20000 --files 64
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

string? uri = null;
int[] nodeCounts = [1, 2, 4];
int threads = 8, items = 20000, files = 64;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--ledger": uri = args[++i]; break;
        case "--nodes": nodeCounts = args[++i].Split(',').Select(int.Parse).ToArray(); break;
        case "--threads": threads = int.Parse(args[++i]); break;
        case "--items": items = int.Parse(args[++i]); break;
        case "--files": files = int.Parse(args[++i]); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}
if (uri is null) { Console.Error.WriteLine("give --ledger postgresql://... (a database of its own: passes are created in it)"); return 2; }

Console.WriteLine($"{"nodes",5} {"threads",7} {"items",8} {"seconds",8} {"claims/s",9} {"items/s",9} {"files/s",10} {"tx/s",8}");
foreach (int nodes in nodeCounts)
{
    using var setup = Open(uri, 4);
    long pass = setup.CreatePass(PassKind.Copy, "/bench-src"u8.ToArray(), System.Text.Encoding.UTF8.GetBytes($"/bench-dst-{Guid.NewGuid():N}"), PassOptions.None);
    setup.SetPassStatus(pass, PassStatus.Running);
    var root = setup.Claim("setup", 1, TimeSpan.FromMinutes(10), pass).Single();
    // The root scan spawns the items, as a scan of a big directory would (in checkpoints of 8192).
    for (int made = 0; made < items; made += 8192)
    {
        var outcome = new ItemOutcome { Cursor = made + 1 };
        for (int k = made; k < Math.Min(items, made + 8192); k++) outcome.AddBatch(WorkKind.Copy, BitConverter.GetBytes(k), (long)files << 20);
        setup.Checkpoint("setup", root, outcome, TimeSpan.FromMinutes(10));
    }
    setup.Complete("setup", root, new ItemOutcome());

    var ledgers = Enumerable.Range(0, nodes).Select(_ => Open(uri, threads + 4)).ToList();
    long claims = 0, done = 0, transactions = 0;
    var clock = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, nodes * threads).Select(t => new Thread(() =>
    {
        var ledger = ledgers[t % nodes];
        string node = $"bench-{t % nodes}";
        while (true)
        {
            var got = ledger.Claim(node, 8, TimeSpan.FromMinutes(10), pass);
            if (got.Count == 0) return;
            Interlocked.Increment(ref claims);
            // The copy batches carry the files; the root's finalize item (ready once they are done) carries none.
            var completions = got.Select(item => (item, item.Kind != WorkKind.Copy ? new ItemOutcome()
                : new ItemOutcome { Delta = new PassCounters { EntriesSeen = files, FilesCopied = files, BytesCopied = (long)files << 20 } })).ToList();
            ledger.CompleteMany(node, completions);
            Interlocked.Increment(ref transactions);
            Interlocked.Add(ref done, got.Count);
        }
    })).ToList();
    workers.ForEach(w => w.Start());
    workers.ForEach(w => w.Join());
    double s = clock.Elapsed.TotalSeconds;
    var state = setup.GetPassState(pass)!;
    if (state.Counters.FilesCopied != (long)items * files) throw new InvalidOperationException($"counted {state.Counters.FilesCopied} files, expected {(long)items * files}");
    Console.WriteLine($"{nodes,5} {threads,7} {done,8} {s,8:0.00} {claims / s,9:0} {done / s,9:0} {done * files / s,10:0} {(claims + transactions) / s,8:0}");
    ledgers.ForEach(l => l.Dispose());
}
return 0;

static SqlLedger Open(string location, int connections) =>
    PostgresLedger.IsUri(location) ? PostgresLedger.Open(location, connections, migrate: true) : SqliteLedger.Open(location);
