using System.Runtime.InteropServices;
using Pdm.Actors;
using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Shell;

/// <summary>
/// The embedded default: runs a mover node in this process on one pass, shows live progress,
/// stops cleanly on Ctrl-C or SIGTERM, and closes with a summary and the exit status.
/// </summary>
public sealed class PassRunner(ILedger ledger, IConsoleIO console, int threads)
{
    private const int FailuresShown = 20;

    public int Run(PassInfo pass)
    {
        var coordinator = new MigrationCoordinator(ledger);
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stop.Cancel(); };
        Console.CancelKeyPress += onCancel;
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
        try
        {
            var node = new MoverNode(ledger, NodeOptions.Default with { Threads = threads });
            node.Problem += message => console.Error.WriteLine($"pdm: warning: {message}");
            Exception? crashed = null;
            var worker = new Thread(() =>
            {
                try { node.Run(stop.Token, pass.Id); }
                catch (Exception e) { crashed = e; }
            }) { Name = "pdm-node" };
            worker.Start();
            var progress = new ProgressReporter(console);
            while (!worker.Join(progress.Interval))
                progress.Show(coordinator.GetState(pass.Id));
            progress.Clear();
            if (crashed is not null) throw crashed;

            if (stop.IsCancellationRequested)
            {
                coordinator.Interrupt(pass.Id, "interrupted by signal");
                var s = coordinator.GetState(pass.Id);
                console.Error.WriteLine($"pdm: interrupted; pass {pass.Id} is saved ({Format.Count(s.Counters.FilesCopied)} files copied so far). " +
                    $"Resume with: pdm resume {pass.Id} (or run the same command again)");
                return ExitCodes.Interrupted;
            }
            return Summarize(pass, coordinator.GetState(pass.Id));
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private int Summarize(PassInfo pass, PassState s)
    {
        var c = s.Counters;
        var elapsed = s.Elapsed(DateTimeOffset.UtcNow);
        double rate = elapsed.TotalSeconds > 0 ? c.BytesCopied / elapsed.TotalSeconds : 0;
        var o = console.Out;
        o.WriteLine($"pdm: {pass.Kind.ToString().ToLowerInvariant()} pass {pass.Id} {s.Status.ToString().ToLowerInvariant()} in {Format.Duration(elapsed)}: " +
            $"{ByteNames.Escape(pass.Source)} -> {ByteNames.Escape(pass.Target)}");
        o.WriteLine($"  entries seen      {Format.Count(c.EntriesSeen),14}");
        o.WriteLine($"  files copied      {Format.Count(c.FilesCopied),14}   ({Format.Bytes(c.BytesCopied)}, {Format.Bytes(rate)}/s)");
        o.WriteLine($"  hard links made   {Format.Count(c.HardLinks),14}");
        o.WriteLine($"  metadata fixed    {Format.Count(c.MetadataFixed),14}");
        o.WriteLine($"  skipped as equal  {Format.Count(c.SkippedEqual),14}");
        o.WriteLine($"  failures          {Format.Count(c.Failed),14}");
        if (c.Failed == 0 && s.Status == PassStatus.Completed) return ExitCodes.Ok;
        var failures = ledger.Failures(pass.Id, 0, FailuresShown);
        foreach (var f in failures) console.Error.WriteLine(FailureLine(f));
        if (c.Failed > failures.Count)
            console.Error.WriteLine($"  ... and {Format.Count(c.Failed - failures.Count)} more: pdm failures {pass.Id}");
        return ExitCodes.CompletedWithFailures;
    }

    public static string FailureLine(FailureRow f) =>
        $"  {(f.Path.Length == 0 ? "." : ByteNames.Escape(f.Path))}: {f.Operation}: {f.Message}" + (f.Errno != 0 ? $" (errno {f.Errno})" : "");
}
