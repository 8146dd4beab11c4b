using System.CommandLine;

namespace Pdm.Shell.Commands;

/// <summary>`pdm failures ID`: every entry a pass could not handle, with the operation and the reason.</summary>
public sealed class FailuresCommand(IConsoleIO console) : PdmCommand(console)
{
    private readonly Argument<long> _id = new("ID") { Description = "The pass (see `pdm passes`)" };

    public override Command Build()
    {
        var cmd = new Command("failures", "List the entries a pass could not handle, and why") { _id, LedgerOption, ConfigOption };
        cmd.SetAction(parse => Guard(() =>
        {
            long id = parse.GetValue(_id);
            using var ledger = OpenLedger(parse);
            RequirePass(ledger, id);
            long after = 0;
            while (true)
            {
                var page = ledger.Failures(id, after, 1000);
                if (page.Count == 0) break;
                foreach (var f in page) Console.Out.WriteLine(PassRunner.FailureLine(f).TrimStart());
                after = page[^1].Id;
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
