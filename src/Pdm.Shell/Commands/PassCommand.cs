using System.CommandLine;
using Pdm.Actors;
using Pdm.Coordination;
using Pdm.Configuration;
using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Shell.Commands;

/// <summary>
/// What copy, delete, mtime and verify share: SRC DST as plain paths or FS:PATH, or the form
/// FS FS PATH; the checks that refuse bad input and writes to a filesystem not marked writable
/// (exit 2, before anything is written); then the pass, run in this process on the embedded ledger.
/// Running the same command again resumes the pass if it did not finish.
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

    public override Command Build()
    {
        var cmd = new Command(name, description) { _paths, ConfigOption, LedgerOption, ThreadsOption };
        foreach (var option in PassOptionsOf()) cmd.Options.Add(option);
        cmd.SetAction(parse => Guard(() => Execute(parse)));
        return cmd;
    }

    private int Execute(ParseResult parse)
    {
        var options = Options(parse);
        var config = Config(parse);
        int threads = Threads(parse, config);
        string ledgerPath = LedgerPath(parse, config);
        // The actor system takes longest to start: it starts while the arguments are checked and the
        // ledger is opened. Until the coordinator runs it writes nothing, so a refusal leaves no trace.
        var starting = Task.Run(() => MoverHost.StartAsync(new MoverHostOptions(threads, config.Akka, ledgerPath)));
        try
        {
            var (source, target) = Paths(config, parse.GetValue(_paths)!);
            var pair = TreeArguments.Check(source, target, targetMustExist: kind != PassKind.Copy);
            bool writes = kind != PassKind.Verify && !options.DryRun;
            if (writes) config.CheckWritable(pair.Target, "to target");
            config.CheckWritable(ByteNames.FromString(Path.GetFullPath(ledgerPath)), "the ledger");
            using var ledger = LedgerLocation.OpenWritable(ledgerPath, LedgerIsDefault(parse, config));
            if (writes && kind == PassKind.Copy) TreeArguments.CreateTarget(pair);
            // Running the same command again carries on the pass it left unfinished.
            var existing = ledger.FindUnfinishedPass(kind, pair.Source, pair.Target, options);
            var pass = existing ?? ledger.GetPass(ledger.CreatePass(kind, pair.Source, pair.Target, options))!;
            Console.Error.WriteLine(existing is not null
                ? $"pdm: resuming {name} pass {pass.Id}: {pair.SourceText} -> {pair.TargetText}"
                : $"pdm: {name} pass {pass.Id}{(options.DryRun ? " (dry run)" : "")}: {pair.SourceText} -> {pair.TargetText} (ledger {ledger.Path})");
            IPassCommand first = existing is null ? new PassCommands.Start(pass.Id) : new PassCommands.Resume(pass.Id);
            return new PassRunner(ledger, Console, threads).Run(pass, first, starting);
        }
        catch
        {
            MoverHost.StopWhenStarted(starting);
            throw;
        }
    }

    private static (string Source, string Target) Paths(PdmConfig config, string[] paths)
    {
        if (paths.Length == 2) return (config.Resolve(paths[0]), config.Resolve(paths[1]));
        // pdm copy panda badger /projects: the same path on two named filesystems
        foreach (var fs in paths[..2])
            if (!config.Filesystems.ContainsKey(fs))
                throw new UsageException(config.File is null
                    ? $"'{fs}' is not a named filesystem: there is no config (give --config FILE)"
                    : $"'{fs}' is not a filesystem named in {config.File}");
        return (config.Resolve($"{paths[0]}:{paths[2]}"), config.Resolve($"{paths[1]}:{paths[2]}"));
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
