using System.CommandLine;
using Pdm.Actors;
using Pdm.Cluster;
using Pdm.Coordination;
using Pdm.Engine;
using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Shell.Commands;

/// <summary>A command that asks a pass's coordinator for one lifecycle change (pause, cancel), here or on the cluster.</summary>
public abstract class LifecycleCommand(IConsoleIO console, string name, string description, PassRequest request) : PdmCommand(console)
{
    private readonly Argument<long> _id = new("ID") { Description = $"The pass to {name}" };

    /// <summary>Why the pass cannot take this change now, or null when it can.</summary>
    protected abstract string? Refusal(PassInfo pass);

    protected abstract string Done(PassInfo pass);

    public override Command Build()
    {
        var cmd = new Command(name, description) { _id, LedgerOption, ConfigOption, ClusterOption, TlsOption, InsecureOption };
        cmd.SetAction(parse => Guard(() =>
        {
            using var source = OpenSource(parse);
            var pass = source.Pass(parse.GetValue(_id)).Pass;
            if (Refusal(pass) is { } why) throw new UsageException(why);
            var result = source.Control(pass, request);
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
/// `pdm resume ID`: a paused or interrupted pass continues. On a cluster its coordinator resumes it and
/// every node takes it up. Embedded: if the `pdm` process that runs it is still there (paused, it
/// waits), that process carries on; otherwise this process runs it.
/// </summary>
public sealed class ResumeCommand(IConsoleIO console) : PdmCommand(console)
{
    private readonly Argument<long> _id = new("ID") { Description = "The pass to resume (see `pdm passes`)" };

    public override Command Build()
    {
        var cmd = new Command("resume", "Resume a paused or interrupted pass where it stopped") { _id, LedgerOption, ConfigOption, ClusterOption, TlsOption, InsecureOption, ThreadsOption };
        cmd.SetAction(parse => Guard(() =>
        {
            var config = Config(parse);
            int threads = Threads(parse, config);
            using var source = OpenSource(parse, config, threads);
            var pass = source.Pass(parse.GetValue(_id)).Pass;
            if (pass.IsFinished)
                throw new UsageException($"pass {pass.Id} has already {LedgerNames.StatusName(pass.Status)}; run the command again for a new pass");
            if (source is not LedgerPassSource { Ledger: var ledger })
            {
                var result = source.Control(pass, PassRequest.Resume);
                if (!result.Done) throw new UsageException(result.Refusal ?? $"pass {pass.Id} cannot be resumed now");
                Console.Out.WriteLine($"pdm: pass {pass.Id} resumed on {source.Where}");
                return ExitCodes.Ok;
            }
            if (Sys.TryStatPath(pass.Source, out _) != 0)
                throw new UsageException($"source {ByteNames.Escape(pass.Source)} of pass {pass.Id} does not exist any more");
            if (LedgerPath(parse, config) is var ledgerPath && !PostgresLedger.IsUri(ledgerPath))
                TreeArguments.CheckLedgerOutside(new TreePair(pass.Source, pass.Target, Sys.TryStatPath(pass.Target, out _) == 0), ledgerPath);
            var control = new PassControl(ledger, config);
            if (control.Host(pass.Id) is { } host)
            {
                var result = control.Deliver(pass, PassRequest.Resume);
                if (!result.Done) throw new UsageException(result.Refusal ?? $"pass {pass.Id} cannot be resumed now");
                Console.Out.WriteLine(host.Address is null
                    ? $"pdm: pass {pass.Id} resumed; the process running it (pid {host.Pid}) will carry on with it"
                    : $"pdm: pass {pass.Id} resumed; the cluster working on this ledger carries on with it");
                return ExitCodes.Ok;
            }
            Console.Error.WriteLine($"pdm: resuming {LedgerNames.KindName(pass.Kind)} pass {pass.Id}: {ByteNames.Escape(pass.Source)} -> {ByteNames.Escape(pass.Target)}");
            return new PassRunner(ledger, Console, NodeOptions.For(config, threads))
                .Run(pass, new PassCommands.Resume(pass.Id), MoverHost.StartAsync(new MoverHostOptions(config.Akka, ledger.Journal, ConfigFile: config.File)));
        }));
        return cmd;
    }
}

/// <summary>
/// `pdm status ID [--follow] [--json]`: a pass's state, counters, rate, ETA and failures. With --follow
/// it shows the pass every second until it ends, then exits with the status the pass's own command
/// would have given.
/// </summary>
public sealed class StatusCommand(IConsoleIO console) : PdmCommand(console)
{
    private readonly Argument<long> _id = new("ID") { Description = "The pass" };
    private readonly Option<bool> _follow = new("--follow", "-f") { Description = "Keep showing it, every second, until the pass ends; exit with its status" };

    public override Command Build()
    {
        var cmd = new Command("status", "Show a pass: state, counters, rate, ETA, failures") { _id, _follow, JsonOption, LedgerOption, ConfigOption, ClusterOption, TlsOption, InsecureOption };
        cmd.SetAction(parse => Guard(() =>
        {
            using var source = OpenSource(parse);
            long id = parse.GetValue(_id);
            bool follow = parse.GetValue(_follow), json = parse.GetValue(JsonOption);
            var view = source.Pass(id);
            if (!follow)
            {
                if (json) JsonOutput.Pass(Console.Out, view);
                else Show(view);
                return ExitCodes.Ok;
            }
            return Follow(source, view, json);
        }));
        return cmd;
    }

    /// <summary>Shows the pass every second (in JSON only once, at its end) until it ends or is handed back.</summary>
    private int Follow(IPassSource source, Api.PassView view, bool json)
    {
        while (true)
        {
            if (!json) Show(view);
            var s = view.State;
            if (s.IsFinished || s.Status == PassStatus.Interrupted)
            {
                if (json) JsonOutput.Pass(Console.Out, view);
                return PassSummary.ExitCodeOf(s);
            }
            Thread.Sleep(1000);
            if (!json) Console.Out.WriteLine();
            view = source.Pass(view.Pass.Id);
        }
    }

    private void Show(Api.PassView view)
    {
        var (pass, s) = (view.Pass, view.State);
        var c = s.Counters;
        var elapsed = s.Elapsed(DateTimeOffset.UtcNow);
        double rate = elapsed.TotalSeconds > 0 ? c.BytesCopied / elapsed.TotalSeconds : 0;
        string eta = s.IsFinished ? "-" : view.Scanning ? "unknown while scanning" : rate > 0 ? Format.Duration(TimeSpan.FromSeconds(view.BytesToCopy / rate)) : "-";
        var o = Console.Out;
        o.WriteLine($"pass {pass.Id}: {LedgerNames.KindName(pass.Kind)}{(pass.Options.DryRun ? " (dry run)" : "")}, {LedgerNames.StatusName(s.Status)}");
        if (view.Waiting is { } waiting) o.WriteLine($"  {waiting}");
        if (s.StopReason is { } why) o.WriteLine($"  stopped: {why}; {PassSummary.ResumeOnceWritable(pass.Id)}");
        o.WriteLine($"  source            {ByteNames.Escape(pass.Source)}");
        o.WriteLine($"  target            {ByteNames.Escape(pass.Target)}");
        o.WriteLine($"  started           {Format.Time(s.StartedAt)}   ended {Format.Time(s.EndedAt)}   running {Format.Duration(elapsed)}");
        o.WriteLine($"  entries seen      {Format.Count(c.EntriesSeen)}");
        o.WriteLine($"  files copied      {Format.Count(c.FilesCopied)} ({Format.Bytes(c.BytesCopied)}, {Format.Bytes(rate)}/s)");
        o.WriteLine($"  skipped as equal  {Format.Count(c.SkippedEqual)}   metadata fixed {Format.Count(c.MetadataFixed)}   hard links {Format.Count(c.HardLinks)}");
        o.WriteLine($"  deleted           {Format.Count(c.Deleted)}   differences {Format.Count(c.Differences)}");
        o.WriteLine($"  failures          {Format.Count(c.Failed)}{(c.Failed > 0 ? $"   (pdm failures {pass.Id})" : "")}");
        o.WriteLine($"  to copy           {Format.Bytes(view.BytesToCopy)}   ETA {eta}");
    }
}
