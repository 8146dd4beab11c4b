using System.CommandLine;
using Pdm.Actors;
using Pdm.Ledger;

namespace Pdm.Shell.Commands;

/// <summary>`pdm copy SRC DST`: makes DST a copy of SRC's contents; resumes an unfinished pass of the same pair.</summary>
public sealed class CopyCommand(IConsoleIO console) : PdmCommand(console)
{
    private readonly Argument<string> _source = new("SRC") { Description = "The directory whose contents are copied" };
    private readonly Argument<string> _target = new("DST") { Description = "The directory they are copied into (created if its parent exists)" };

    public override Command Build()
    {
        var cmd = new Command("copy", "Copy SRC's contents into DST: new and changed entries with all metadata, hardlinks kept")
        {
            _source, _target, LedgerOption, ThreadsOption,
        };
        cmd.SetAction(parse => Guard(() =>
        {
            int threads = Threads(parse);
            var pair = TreeArguments.Check(parse.GetValue(_source)!, parse.GetValue(_target)!);
            using var ledger = LedgerLocation.OpenWritable(LedgerPath(parse), LedgerIsDefault(parse));
            TreeArguments.CreateTarget(pair);
            var (pass, resumed) = new MigrationCoordinator(ledger).StartOrResume(PassKind.Copy, pair.Source, pair.Target);
            Console.Error.WriteLine(resumed
                ? $"pdm: resuming copy pass {pass.Id}: {pair.SourceText} -> {pair.TargetText}"
                : $"pdm: copy pass {pass.Id}: {pair.SourceText} -> {pair.TargetText} (ledger {ledger.Path})");
            return new PassRunner(ledger, Console, threads).Run(pass);
        }));
        return cmd;
    }
}
