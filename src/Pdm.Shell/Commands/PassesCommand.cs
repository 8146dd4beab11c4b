using System.CommandLine;
using Pdm.Native;
using Pdm.Ledger;

namespace Pdm.Shell.Commands;

/// <summary>`pdm passes [--json]`: every pass in the ledger with its state and counts.</summary>
public sealed class PassesCommand(IConsoleIO console) : PdmCommand(console)
{
    public override Command Build()
    {
        var cmd = new Command("passes", "List the passes in the ledger") { JsonOption, LedgerOption, ConfigOption, ClusterOption, TlsOption, InsecureOption };
        cmd.SetAction(parse => Guard(() =>
        {
            using var source = OpenSource(parse);
            var views = source.Passes();
            if (parse.GetValue(JsonOption))
            {
                JsonOutput.Passes(Console.Out, views);
                return ExitCodes.Ok;
            }
            var idle = new List<string>();
            Console.Out.WriteLine($"{"ID",4}  {"KIND",-5} {"STATE",-11} {"ENTRIES",12} {"COPIED",12} {"BYTES",10} {"FAILED",8}  {"STARTED",-19}  {"ENDED",-19}  SOURCE -> TARGET");
            foreach (var view in views)
            {
                var (pass, s) = (view.Pass, view.State);
                var c = s.Counters;
                string state = LedgerNames.StatusName(s.Status);
                if (view.Waiting is { } why)
                {
                    state = why.StartsWith("waiting", StringComparison.Ordinal) ? "waiting" : "stalled";
                    idle.Add(why);
                }
                Console.Out.WriteLine($"{pass.Id,4}  {LedgerNames.KindName(pass.Kind),-5} {state,-11} " +
                    $"{Format.Count(c.EntriesSeen),12} {Format.Count(c.FilesCopied),12} {Format.Bytes(c.BytesCopied),10} {Format.Count(c.Failed),8}  " +
                    $"{Format.Time(s.StartedAt),-19}  {Format.Time(s.EndedAt),-19}  {ByteNames.Escape(pass.Source)} -> {ByteNames.Escape(pass.Target)}");
            }
            foreach (var line in idle) Console.Out.WriteLine(line);
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
