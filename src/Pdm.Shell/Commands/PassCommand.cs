using System.CommandLine;
using Akka.Actor;
using Pdm.Actors;
using Pdm.Coordination;
using Pdm.Engine;
using Pdm.Configuration;
using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Shell.Commands;

/// <summary>
/// What copy, delete, mtime and verify share: SRC DST as plain paths or FS:PATH, or the form
/// FS FS PATH; the checks that refuse bad input and writes to a filesystem not marked writable
/// (exit 2, before anything is written); then the pass, run in this process on the embedded ledger,
/// or submitted to a cluster (--cluster) and followed to its end. Either way the same progress,
/// summary and exit status; --detach only starts it and prints its id. Running the same command again
/// resumes the pass if it did not finish.
/// </summary>
public abstract class PassCommand(IConsoleIO console, PassKind kind, string name, string description) : PdmCommand(console)
{
    private readonly Argument<string[]> _paths = new("SRC DST")
    {
        Description = "SRC DST as paths or FS:PATH, or FS FS PATH with filesystems named in the config",
        Arity = new ArgumentArity(2, 3),
    };

    protected abstract IEnumerable<Option> PassOptionsOf();

    protected abstract PassOptions Options(ParseResult parse);

    private readonly Option<bool> _detach = new("--detach")
    {
        Description = "Start the pass for the nodes to run (or the cluster's), print its id on stdout and exit; follow it with pdm status ID --follow",
    };

    public override Command Build()
    {
        var cmd = new Command(name, description) { _paths, ConfigOption, LedgerOption, ClusterOption, TlsOption, InsecureOption, ThreadsOption, _detach };
        foreach (var option in PassOptionsOf()) cmd.Options.Add(option);
        cmd.SetAction(parse => Guard(() => Execute(parse)));
        return cmd;
    }

    private int Execute(ParseResult parse)
    {
        var options = Options(parse);
        var config = Config(parse);
        if (ClusterContacts(parse, config) is { } contacts)
            return new Cluster.ClusterPassRun(Console, Session(parse, config, contacts)).Run(kind, parse.GetValue(_paths)!, options, parse.GetValue(_detach));
        int threads = Threads(parse, config);
        string ledgerPath = LedgerPath(parse, config);
        // The actor system takes longest to start: it starts while the arguments are checked and the
        // ledger is opened. The pass and its target are made once it has started: a setting of the
        // config's akka { } that Akka refuses is a config error like any other, and leaves no pass,
        // target or new ledger behind.
        var starting = Task.Run(() => MoverHost.StartAsync(new MoverHostOptions(config.Akka, LedgerLocation.JournalFor(ledgerPath), ConfigFile: config.File)));
        try
        {
            var pair = PassAdmission.Check(config, kind, parse.GetValue(_paths)!, options);
            if (!PostgresLedger.IsUri(ledgerPath))
            {
                config.CheckWritable(ByteNames.FromString(ledgerPath), "the ledger");
                TreeArguments.CheckLedgerOutside(pair, ledgerPath);
            }
            bool newLedger = !PostgresLedger.IsUri(ledgerPath) && !File.Exists(ledgerPath);
            using var ledger = LedgerLocation.OpenWritable(ledgerPath, LedgerIsDefault(parse, config), threads);
            try { starting.GetAwaiter().GetResult(); } // before the pass and its target are made
            catch (ConfigException) when (newLedger)
            {
                LedgerLocation.RemoveUnused(ledger, ledgerPath);
                throw;
            }
            var (pass, resumed, _) = PassAdmission.Admit(ledger, kind, pair, options);
            if (!parse.GetValue(_detach)) Console.Error.WriteLine(resumed
                ? $"pdm: resuming {name} pass {pass.Id}: {pair.SourceText} -> {pair.TargetText}"
                : $"pdm: {name} pass {pass.Id}{(options.DryRun ? " (dry run)" : "")}: {pair.SourceText} -> {pair.TargetText} (ledger {ledger.Path})");
            IPassCommand first = resumed ? new PassCommands.Resume(pass.Id) : new PassCommands.Start(pass.Id);
            if (parse.GetValue(_detach)) return Detach(ledger, pass, first, starting);
            return new PassRunner(ledger, Console, NodeOptions.For(config, threads)).Run(pass, first, starting);
        }
        catch
        {
            MoverHost.StopWhenStarted(starting);
            throw;
        }
    }

    /// <summary>
    /// --detach on a ledger: the pass's coordinator starts it (journaled, and running in the ledger), and
    /// this process ends; the nodes working on the ledger take it up (until one does, `status` says it waits).
    /// </summary>
    private int Detach(SqlLedger ledger, PassInfo pass, IPassCommand first, Task<MoverHost> starting)
    {
        using var host = starting.GetAwaiter().GetResult();
        var result = host.Coordinator(pass.Id, ledger).Ask<PassCommands.Result>(first, TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        if (!result.Done) throw new UsageException(result.Refusal ?? $"pass {pass.Id} cannot be started");
        Console.Out.WriteLine(pass.Id);
        return ExitCodes.Ok;
    }
}

public sealed class CopyCommand(IConsoleIO console)
    : PassCommand(console, PassKind.Copy, "copy", "Copy SRC's contents into DST: new and changed entries with all metadata, hardlinks kept")
{
    private readonly Option<bool> _dryRun = new("--dry-run") { Description = "Report what would be copied; write nothing" };
    private readonly Option<bool> _checksum = new("--checksum") { Description = "Let content, not size and mtime, decide whether a file is equal" };

    protected override IEnumerable<Option> PassOptionsOf() => [_dryRun, _checksum];

    protected override PassOptions Options(ParseResult parse) => new(DryRun: parse.GetValue(_dryRun), Checksum: parse.GetValue(_checksum));
}

public sealed class DeleteCommand(IConsoleIO console)
    : PassCommand(console, PassKind.Delete, "delete", "Remove from DST what SRC no longer has (directories recursively); never touches SRC")
{
    private readonly Option<bool> _dryRun = new("--dry-run") { Description = "List what would be removed; remove nothing" };
    private readonly Option<long?> _maxDelete = new("--max-delete") { Description = "Fail the pass, removing nothing beyond N, if more than N entries would go" };

    protected override IEnumerable<Option> PassOptionsOf() => [_dryRun, _maxDelete];

    protected override PassOptions Options(ParseResult parse)
    {
        long? max = parse.GetValue(_maxDelete);
        if (max is < 0) throw new UsageException("--max-delete must be 0 or more");
        return new(DryRun: parse.GetValue(_dryRun), MaxDelete: max);
    }
}

public sealed class MtimeCommand(IConsoleIO console)
    : PassCommand(console, PassKind.Mtime, "mtime", "Give every DST directory the atime and mtime of its SRC counterpart, deepest first")
{
    protected override IEnumerable<Option> PassOptionsOf() => [];

    protected override PassOptions Options(ParseResult parse) => PassOptions.None;
}

public sealed class VerifyCommand(IConsoleIO console)
    : PassCommand(console, PassKind.Verify, "verify", "Compare SRC and DST (type, size, metadata, and content with --checksum); every difference is a failure")
{
    private readonly Option<bool> _checksum = new("--checksum") { Description = "Compare the content of every file, byte by byte" };

    protected override IEnumerable<Option> PassOptionsOf() => [_checksum];

    protected override PassOptions Options(ParseResult parse) => new(Checksum: parse.GetValue(_checksum));
}
