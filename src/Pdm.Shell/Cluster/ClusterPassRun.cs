using System.Runtime.InteropServices;
using Pdm.Cluster;
using Pdm.Ledger;

namespace Pdm.Shell.Cluster;

/// <summary>
/// `pdm copy|delete|mtime|verify ... --cluster`: a node admits the pass with its own config (the same
/// checks as here), its coordinator starts it, every node works on it; this process follows it to the
/// end with the usual progress, summary and exit status. Ctrl-C stops following, not the pass.
/// </summary>
public sealed class ClusterPassRun(IConsoleIO console, ClusterSession session)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    public int Run(PassKind kind, IReadOnlyList<string> paths, PassOptions options, bool detach)
    {
        var submitted = session.Ask<Api.Submitted>(new Api.Submit(kind, paths, options));
        if (detach)
        {
            console.Out.WriteLine(submitted.PassId);
            return ExitCodes.Ok;
        }
        string name = LedgerNames.KindName(kind);
        console.Error.WriteLine(submitted.Resumed
            ? $"pdm: resuming {name} pass {submitted.PassId} on the cluster at {session.Contacts}: {submitted.Source} -> {submitted.Target}"
            : $"pdm: {name} pass {submitted.PassId}{(options.DryRun ? " (dry run)" : "")} on the cluster at {session.Contacts}: {submitted.Source} -> {submitted.Target}");
        return Follow(submitted.PassId);
    }

    /// <summary>Shows progress until the pass ends, then its summary; the exit status is the pass's.</summary>
    public int Follow(long passId)
    {
        var source = new ClusterPassSource(session);
        using var stop = new CancellationTokenSource();
        using var signals = new Registrations(
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop));
        var progress = new ProgressReporter(console);
        var shownAt = DateTime.MinValue;
        string? idle = null;
        while (true)
        {
            var view = source.Pass(passId);
            // Ended, or stopped until someone resumes it (its target full): following it longer shows nothing new.
            if (view.State.IsFinished || view.State.Status == PassStatus.Interrupted)
            {
                progress.Clear();
                return PassSummary.Of(console, source).Print(view.Pass, view.State);
            }
            if (view.Waiting != idle && view.Waiting is not null)
            {
                progress.Clear();
                console.Error.WriteLine($"pdm: {view.Waiting}");
            }
            idle = view.Waiting;
            if (DateTime.UtcNow - shownAt >= progress.Interval)
            {
                progress.Show(view.State);
                shownAt = DateTime.UtcNow;
            }
            if (stop.Token.WaitHandle.WaitOne(Poll))
            {
                progress.Clear();
                console.Error.WriteLine($"pdm: stopped following pass {passId}; it goes on on the cluster " +
                    $"(`pdm status {passId} --follow` follows it again, `pdm pause {passId}` pauses it)");
                return ExitCodes.Interrupted;
            }
        }

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    private sealed class Registrations(params PosixSignalRegistration[] all) : IDisposable
    {
        public void Dispose()
        {
            foreach (var r in all) r.Dispose();
        }
    }
}
