using System.CommandLine;
using Pdm.Actors;
using Pdm.Coordination;
using Pdm.Configuration;
using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Shell.Commands;

/// <summary>A command that asks a pass's coordinator for one lifecycle change (pause, cancel).</summary>
public abstract class LifecycleCommand(IConsoleIO console, string name, string description, PassRequest request) : PdmCommand(console)
{
    private readonly Argument<long> _id = new("ID") { Description = $"The pass to {name}" };

    /// <summary>Why the pass cannot take this change now, or null when it can.</summary>
    protected abstract string? Refusal(PassInfo pass);

    protected abstract string Done(PassInfo pass);

    public override Command Build()
    {
        var cmd = new Command(name, description) { _id, LedgerOption, ConfigOption };
        cmd.SetAction(parse => Guard(() =>
        {
            var config = Config(parse);
            string path = LedgerPath(parse, config);
            using var ledger = LedgerLocation.OpenExisting(path);
            var pass = RequirePass(ledger, parse.GetValue(_id));
            if (Refusal(pass) is { } why) throw new UsageException(why);
            var result = new PassControl(ledger, path, config).Deliver(pass, request);
            if (!result.Done) throw new UsageException(result.Refusal ?? $"pass {pass.Id} cannot be {name}d now");
            Console.Out.WriteLine($"pdm: {Done(pass)}");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    protected static string StateOf(PassInfo pass) => LedgerNames.StatusName(pass.Status);
}

/// <summary>`pdm pause ID`: nodes stop claiming the pass's work; work in flight finishes.</summary>
public sealed class PauseCommand(IConsoleIO console)
    : LifecycleCommand(console, "pause", "Pause a pass: no new work is claimed, work in flight finishes", PassRequest.Pause)
{
    protected override string? Refusal(PassInfo pass) =>
        pass.Status is PassStatus.Running or PassStatus.Queued or PassStatus.Interrupted ? null : $"pass {pass.Id} is {StateOf(pass)}, not running";

    protected override string Done(PassInfo pass) => $"pass {pass.Id} paused (work in flight finishes; `pdm resume {pass.Id}` continues)";
}

/// <summary>`pdm cancel ID`: ends a pass for good; it cannot be resumed.</summary>
public sealed class CancelCommand(IConsoleIO console)
    : LifecycleCommand(console, "cancel", "Cancel a pass for good (run the command again for a new pass)", PassRequest.Cancel)
{
    protected override string? Refusal(PassInfo pass) => pass.IsFinished ? $"pass {pass.Id} has already {StateOf(pass)}" : null;

    protected override string Done(PassInfo pass) => $"pass {pass.Id} cancelled";
}

/// <summary>
/// `pdm resume ID`: a paused or interrupted pass continues. If the `pdm` process that runs it is still
/// there (paused, it waits), that process carries on; otherwise this process runs it.
/// </summary>
public sealed class ResumeCommand(IConsoleIO console) : PdmCommand(console)
{
    private readonly Argument<long> _id = new("ID") { Description = "The pass to resume (see `pdm passes`)" };

    public override Command Build()
    {
        var cmd = new Command("resume", "Resume a paused or interrupted pass where it stopped") { _id, LedgerOption, ConfigOption, ThreadsOption };
        cmd.SetAction(parse => Guard(() =>
        {
            var config = Config(parse);
            int threads = Threads(parse, config);
            string path = LedgerPath(parse, config);
            using var ledger = LedgerLocation.OpenExisting(path);
            var pass = RequirePass(ledger, parse.GetValue(_id));
            if (pass.IsFinished)
                throw new UsageException($"pass {pass.Id} has already {LedgerNames.StatusName(pass.Status)}; run the command again for a new pass");
            if (Sys.TryStatPath(pass.Source, out _) != 0)
                throw new UsageException($"source {ByteNames.Escape(pass.Source)} of pass {pass.Id} does not exist any more");
            var control = new PassControl(ledger, path, config);
            if (control.Host(pass.Id) is { } host)
            {
                var result = control.Deliver(pass, PassRequest.Resume);
                if (!result.Done) throw new UsageException(result.Refusal ?? $"pass {pass.Id} cannot be resumed now");
                Console.Out.WriteLine($"pdm: pass {pass.Id} resumed; the process running it (pid {host.Pid}) will carry on with it");
                return ExitCodes.Ok;
            }
            Console.Error.WriteLine($"pdm: resuming {LedgerNames.KindName(pass.Kind)} pass {pass.Id}: {ByteNames.Escape(pass.Source)} -> {ByteNames.Escape(pass.Target)}");
            return new PassRunner(ledger, Console, threads)
                .Run(pass, new PassCommands.Resume(pass.Id), MoverHost.StartAsync(new MoverHostOptions(threads, config.Akka, path)));
        }));
        return cmd;
    }
}

/// <summary>`pdm status ID [--follow]`: a pass's state, counters, rate, ETA and failures.</summary>
public sealed class StatusCommand(IConsoleIO console) : PdmCommand(console)
{
    private readonly Argument<long> _id = new("ID") { Description = "The pass" };
    private readonly Option<bool> _follow = new("--follow", "-f") { Description = "Keep showing it, every second, until the pass ends" };

    public override Command Build()
    {
        var cmd = new Command("status", "Show a pass: state, counters, rate, ETA, failures") { _id, _follow, LedgerOption, ConfigOption };
        cmd.SetAction(parse => Guard(() =>
        {
            using var ledger = OpenLedger(parse);
            var pass = RequirePass(ledger, parse.GetValue(_id));
            while (true)
            {
                var s = ledger.GetPassState(pass.Id)!;
                Show(ledger, pass, s);
                if (!parse.GetValue(_follow) || s.IsFinished) return ExitCodes.Ok;
                Thread.Sleep(1000);
                Console.Out.WriteLine();
            }
        }));
        return cmd;
    }

    private void Show(ILedger ledger, PassInfo pass, PassState s)
    {
        var c = s.Counters;
        var elapsed = s.Elapsed(DateTimeOffset.UtcNow);
        double rate = elapsed.TotalSeconds > 0 ? c.BytesCopied / elapsed.TotalSeconds : 0;
        var (remaining, scanning) = ledger.RemainingWork(pass.Id);
        string eta = s.IsFinished ? "-" : scanning ? "unknown while scanning" : rate > 0 ? Format.Duration(TimeSpan.FromSeconds(remaining / rate)) : "-";
        var o = Console.Out;
        o.WriteLine($"pass {pass.Id}: {LedgerNames.KindName(pass.Kind)}{(pass.Options.DryRun ? " (dry run)" : "")}, {LedgerNames.StatusName(s.Status)}");
        if (StalledPass.Since(ledger, ledger.ListNodes(), pass.Id, s.Status) is { } since) o.WriteLine($"  stalled: {StalledPass.Explain(pass.Id, since)}");
        o.WriteLine($"  source            {ByteNames.Escape(pass.Source)}");
        o.WriteLine($"  target            {ByteNames.Escape(pass.Target)}");
        o.WriteLine($"  started           {Format.Time(s.StartedAt)}   ended {Format.Time(s.EndedAt)}   running {Format.Duration(elapsed)}");
        o.WriteLine($"  entries seen      {Format.Count(c.EntriesSeen)}");
        o.WriteLine($"  files copied      {Format.Count(c.FilesCopied)} ({Format.Bytes(c.BytesCopied)}, {Format.Bytes(rate)}/s)");
        o.WriteLine($"  skipped as equal  {Format.Count(c.SkippedEqual)}   metadata fixed {Format.Count(c.MetadataFixed)}   hard links {Format.Count(c.HardLinks)}");
        o.WriteLine($"  deleted           {Format.Count(c.Deleted)}   differences {Format.Count(c.Differences)}");
        o.WriteLine($"  failures          {Format.Count(c.Failed)}{(c.Failed > 0 ? $"   (pdm failures {pass.Id})" : "")}");
        o.WriteLine($"  to copy           {Format.Bytes(remaining)}   ETA {eta}");
    }
}
