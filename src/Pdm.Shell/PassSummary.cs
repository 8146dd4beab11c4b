using Pdm.Cluster;
using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Shell;

/// <summary>
/// The summary a pass command prints when its pass has ended, and the exit status it gives: the same for
/// a pass run here and one followed on a cluster (`status --follow` exits with it too).
/// </summary>
public sealed class PassSummary(IConsoleIO console, Func<long, long, int, IReadOnlyList<FailureRow>> failures,
    Func<long, long, int, IReadOnlyList<Api.ReportLine>> report)
{
    private const int FailuresShown = 20;

    public static PassSummary Of(IConsoleIO console, IPassSource source) => new(console, source.Failures, source.Report);

    public static PassSummary Of(IConsoleIO console, ILedger ledger) => new(console, ledger.Failures,
        (pass, after, limit) => ledger.Report(pass, after, limit).Select(l => new Api.ReportLine(l.Id, l.Action, l.Path, l.Bytes)).ToList());

    /// <summary>The exit status of an ended or stopped pass: 0 done, 1 done with failures, 75 stopped by a full target, 130 interrupted or cancelled.</summary>
    public static int ExitCodeOf(PassState s) => s.Status switch
    {
        PassStatus.Completed when s.Counters.Failed == 0 => ExitCodes.Ok,
        PassStatus.Interrupted when s.StopReason is not null => ExitCodes.TargetUnwritable,
        PassStatus.Cancelled or PassStatus.Interrupted => ExitCodes.Interrupted,
        _ => ExitCodes.CompletedWithFailures,
    };

    /// <summary>Prints the summary (a dry run's report first), then the failures; returns the exit status.</summary>
    public int Print(PassInfo pass, PassState s)
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
        int exit = ExitCodeOf(s);
        if (exit == ExitCodes.Ok) return exit;
        if (s.Status == PassStatus.Cancelled)
        {
            console.Error.WriteLine($"pdm: pass {pass.Id} was cancelled");
            return exit;
        }
        var shown = failures(pass.Id, 0, FailuresShown);
        foreach (var f in shown) console.Error.WriteLine(FailureLine(f));
        if (c.Failed > shown.Count)
            console.Error.WriteLine($"  ... and {Format.Count(c.Failed - shown.Count)} more: pdm failures {pass.Id}");
        if (s.Status == PassStatus.Interrupted)
            console.Error.WriteLine(s.StopReason is { } why
                ? $"pdm: pass {pass.Id} stopped: {why}; {ResumeOnceWritable(pass.Id)}"
                : $"pdm: pass {pass.Id} was interrupted; resume it with: pdm resume {pass.Id}");
        return exit;
    }

    /// <summary>A dry run lists every action it would have taken, as rsync --dry-run does.</summary>
    private void PrintReport(long passId)
    {
        long after = 0;
        while (true)
        {
            var page = report(passId, after, 10_000);
            if (page.Count == 0) return;
            foreach (var line in page) console.Out.WriteLine($"would {line.Action}: {(line.Path.Length == 0 ? "." : ByteNames.Escape(line.Path))}");
            after = page[^1].Id;
        }
    }

    /// <summary>What to do about a pass its target stopped (<see cref="PassState.StopReason"/>); said by the summary and by `pdm status`.</summary>
    public static string ResumeOnceWritable(long passId) => $"resume it once the target can be written: pdm resume {passId}";

    public static string FailureLine(FailureRow f) =>
        $"  {(f.Path.Length == 0 ? "." : ByteNames.Escape(f.Path))}: {f.Operation}: {f.Message}" + (f.Errno != 0 ? $" (errno {f.Errno})" : "");
}
