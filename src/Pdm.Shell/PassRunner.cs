using System.Runtime.InteropServices;
using Akka;
using Akka.Actor;
using Pdm.Actors;
using Pdm.Coordination;
using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Shell;

/// <summary>
/// The embedded default: runs the actors of a mover node and the pass's MigrationCoordinator in this
/// process (one ActorSystem, no remoting, no cluster), shows live progress, stops cleanly on Ctrl-C or
/// SIGTERM, and closes with a summary and the exit status.
/// <para>
/// The work does not wait for the coordinator's journal: its first connection costs most of a second,
/// more than a small pass. The start is projected onto the ledger at once, and the coordinator, which
/// recovers while the first directories are scanned, journals it; at the end it journals the outcome
/// if it has recovered by then. If it has not (a pass shorter than that), the ledger notes that the
/// journal is behind, and the next pdm process brings it up to date in the background.
/// </para>
/// </summary>
public sealed class PassRunner(ILedger ledger, IConsoleIO console, NodeOptions options)
{
    private static readonly TimeSpan JournalWait = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a pass runs before its coordinator starts. Its start, the journal's first connection and
    /// recovery, JIT-compiles linq2db's queries: 0.4-0.7 s of CPU, which a short pass on two cores pays
    /// in wall time (measured: `wide`, 50,000 files, 1.39 s with the coordinator at 400 ms, 1.17 s
    /// without). A pause, resume or cancel from another terminal starts it at once.
    /// </summary>
    private static readonly TimeSpan CoordinatorAfter = TimeSpan.FromSeconds(3);

    /// <summary>How long a run waits before it brings lagging journals up to date.</summary>
    private static readonly TimeSpan ReconcileAfter = TimeSpan.FromSeconds(2);

    /// <param name="first">what the coordinator is told: start a new pass, or resume one</param>
    /// <param name="starting">the actor system, started while the arguments were checked</param>
    public int Run(PassInfo pass, IPassCommand first, Task<MoverHost> starting) => RunAsync(pass, first, starting).GetAwaiter().GetResult();

    private async Task<int> RunAsync(PassInfo pass, IPassCommand first, Task<MoverHost> starting)
    {
        await using var host = await starting;
        if (!ledger.SetPassStatus(pass.Id, PassStatus.Running))
            throw new UsageException($"pass {pass.Id} has already {LedgerNames.StatusName(ledger.GetPass(pass.Id)!.Status)}");
        using var signals = host.StopOn(PosixSignal.SIGINT, PosixSignal.SIGTERM);
        // Akka runs a scheduler's outstanding one-off tasks when its actor system terminates: a pass that
        // ended sooner would then start its coordinator and reconcile journals during shutdown (and fail
        // there, creating actors in a stopping system). They are cancelled before the system stops.
        var timers = new Cancelable(host.System.Scheduler);
        CoordinatedShutdown.Get(host.System).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "cancel-pass-timers", () =>
        {
            timers.Cancel();
            return Task.FromResult(Done.Instance);
        });
        var coordinator = new DelayedCoordinator(host, ledger, pass.Id, first, CoordinatorAfter, timers);
        var node = MoverNode.Start(host.System, ledger, options,
            message => console.Error.WriteLine($"pdm: warning: {message}"), pass.Id);
        // Stopped by a signal: once the node has drained, the pass is handed back (interrupted), before the actors stop.
        CoordinatedShutdown.Get(host.System).AddTask(CoordinatedShutdown.PhaseServiceRequestsDone, "hand-back-pass", async () =>
        {
            if (host.StoppedBy is not null && ledger.SetPassStatus(pass.Id, PassStatus.Interrupted))
                await coordinator.JournalAsync(new PassCommands.Interrupt(pass.Id, $"interrupted by {host.StoppedBy}"));
            return Done.Instance;
        });
        host.System.Scheduler.Advanced.ScheduleOnce(ReconcileAfter, () => host.ReconcileInBackground(ledger), timers);

        var progress = new ProgressReporter(console);
        while (await Task.WhenAny(node.Finished, Task.Delay(progress.Interval)) != node.Finished)
            progress.Show(ledger.GetPassState(pass.Id)!);
        progress.Clear();
        try { await node.Finished; }
        catch (Exception e) when (e is Ledger.Sqlite.SqliteError or LedgerUnavailableException)
        {
            // The ledger failed under way (its disk full, an I/O error): what was committed stands.
            throw new LedgerUnavailableException($"the ledger failed: {e.Message}; pass {pass.Id} keeps what it committed: " +
                $"once the ledger can be written, resume with: pdm resume {pass.Id}", e);
        }

        if (host.StoppedBy is not null)
        {
            await host.System.WhenTerminated;
            var s = ledger.GetPassState(pass.Id)!;
            if (s.Status == PassStatus.Interrupted)
            {
                console.Error.WriteLine($"pdm: interrupted; pass {pass.Id} is saved ({Format.Count(s.Counters.FilesCopied)} files copied so far). " +
                    $"Resume with: pdm resume {pass.Id} (or run the same command again)");
                return ExitCodes.Interrupted;
            }
            return Summarize(pass, s); // it ended just before the signal
        }
        await coordinator.JournalAsync(new PassCommands.Sync(pass.Id));
        var state = ledger.GetPassState(pass.Id)!;
        await host.StopAsync();
        return Summarize(pass, state);
    }

    /// <summary>
    /// The pass's coordinator, started only once the pass has run <c>after</c>: a shorter pass never
    /// waits on (or shares its two cores with) the journal's first connection, and its journal is
    /// brought up to date by a later run. It is told <c>first</c> when it starts.
    /// </summary>
    private sealed class DelayedCoordinator
    {
        /// <summary>How often, until it starts, the ledger is asked whether an admin's command waits for it.</summary>
        private static readonly TimeSpan LookForRequests = TimeSpan.FromMilliseconds(250);

        private readonly Lock _gate = new();
        private readonly ICancelable _looking;
        private IActorRef? _coordinator;
        private Task _recovered = Task.Delay(Timeout.Infinite);

        /// <param name="timers">cancelled when the actor system stops: then it no longer starts</param>
        public DelayedCoordinator(MoverHost host, ILedger ledger, long passId, IPassCommand first, TimeSpan after, ICancelable timers)
        {
            void Start()
            {
                lock (_gate)
                {
                    if (_coordinator is not null) return;
                    _recovered = CoordinatorRecovery.Watch(host.System, passId);
                    _coordinator = host.Coordinator(passId, ledger);
                    _coordinator.Tell(first);
                }
            }
            var scheduler = host.System.Scheduler.Advanced;
            scheduler.ScheduleOnce(after, Start, timers);
            // A pause, resume or cancel from another terminal starts it at once: commands do not wait for it.
            _looking = Cancelable.CreateLinkedCancelable(host.System.Scheduler, timers);
            scheduler.ScheduleRepeatedly(LookForRequests, LookForRequests, () =>
            {
                try
                {
                    if (_coordinator is not null) _looking.Cancel();
                    else if (ledger.HasRequests(passId)) Start();
                }
                catch (Exception e) when (e is LedgerUnavailableException or Ledger.Sqlite.SqliteError) { } // the feeder reports a failing ledger
            }, _looking);
        }

        /// <summary>Has the coordinator journal a command, if it has recovered; otherwise a later run does.</summary>
        public async Task JournalAsync(IPassCommand command)
        {
            if (_coordinator is null || !_recovered.IsCompleted) return;
            try { await _coordinator.Ask<PassCommands.Result>(command, JournalWait); }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException) { } // the ledger has it; the journal catches up later
        }
    }

    private int Summarize(PassInfo pass, PassState s) => PassSummary.Of(console, ledger).Print(pass, s);
}
