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

            if (stop.IsCancellationRequested && coordinator.Interrupt(pass.Id, "interrupted by signal"))
            {
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
        bool dryRun = pass.Options.DryRun;
        if (dryRun) PrintReport(pass.Id);
        o.WriteLine($"pdm: {LedgerNames.KindName(pass.Kind)} pass {pass.Id}{(dryRun ? " (dry run: nothing was written)" : "")} " +
            $"{LedgerNames.StatusName(s.Status)} in {Format.Duration(elapsed)}: {ByteNames.Escape(pass.Source)} -> {ByteNames.Escape(pass.Target)}");
        string would = dryRun ? "would be " : "";
        void Line(string label, long value, string extra = "") => o.WriteLine($"  {label,-22}{Format.Count(value),14}{extra}");
        Line("entries seen", c.EntriesSeen);
        switch (pass.Kind)
        {
            case PassKind.Copy:
                Line($"files {would}copied", c.FilesCopied, $"   ({Format.Bytes(c.BytesCopied)}{(dryRun ? "" : $", {Format.Bytes(rate)}/s")})");
                Line($"hard links {(dryRun ? "to make" : "made")}", c.HardLinks);
                Line($"metadata {would}fixed", c.MetadataFixed);
                Line("skipped as equal", c.SkippedEqual);
                break;
            case PassKind.Delete:
                Line($"{would}deleted", c.Deleted);
                Line("kept", c.SkippedEqual);
                break;
            case PassKind.Mtime:
                Line("directory times set", c.MetadataFixed);
                break;
            case PassKind.Verify:
                Line("equal", c.SkippedEqual);
                Line("differences", c.Differences);
                break;
        }
        Line("failures", c.Failed);
        if (c.Failed == 0 && s.Status == PassStatus.Completed) return ExitCodes.Ok;
        if (s.Status == PassStatus.Cancelled)
        {
            console.Error.WriteLine($"pdm: pass {pass.Id} was cancelled");
            return ExitCodes.Interrupted;
        }
        var failures = ledger.Failures(pass.Id, 0, FailuresShown);
        foreach (var f in failures) console.Error.WriteLine(FailureLine(f));
        if (c.Failed > failures.Count)
            console.Error.WriteLine($"  ... and {Format.Count(c.Failed - failures.Count)} more: pdm failures {pass.Id}");
        return ExitCodes.CompletedWithFailures;
    }

    /// <summary>A dry run lists every action it would have taken, as rsync --dry-run does.</summary>
    private void PrintReport(long passId)
    {
        long after = 0;
        while (true)
        {
            var page = ledger.Report(passId, after, 10_000);
            if (page.Count == 0) return;
            foreach (var (_, action, path, _) in page) console.Out.WriteLine($"would {action}: {(path.Length == 0 ? "." : ByteNames.Escape(path))}");
            after = page[^1].Id;
        }
    }

    public static string FailureLine(FailureRow f) =>
        $"  {(f.Path.Length == 0 ? "." : ByteNames.Escape(f.Path))}: {f.Operation}: {f.Message}" + (f.Errno != 0 ? $" (errno {f.Errno})" : "");
}
