using System.CommandLine;
using Pdm.Native;
using Pdm.Ledger;

namespace Pdm.Shell.Commands;

/// <summary>`pdm passes`: every pass in the ledger with its state and counts.</summary>
public sealed class PassesCommand(IConsoleIO console) : PdmCommand(console)
{
    public override Command Build()
    {
        var cmd = new Command("passes", "List the passes in the ledger") { LedgerOption, ConfigOption };
        cmd.SetAction(parse => Guard(() =>
        {
            using var ledger = OpenLedger(parse);
            var nodes = ledger.ListNodes();
            var stalled = new List<string>();
            Console.Out.WriteLine($"{"ID",4}  {"KIND",-5} {"STATE",-11} {"ENTRIES",12} {"COPIED",12} {"BYTES",10} {"FAILED",8}  {"STARTED",-19}  {"ENDED",-19}  SOURCE -> TARGET");
            foreach (var pass in ledger.ListPasses())
            {
                var s = ledger.GetPassState(pass.Id)!;
                var c = s.Counters;
                string state = LedgerNames.StatusName(s.Status);
                if (StalledPass.Since(ledger, nodes, pass.Id, s.Status) is { } since)
                {
                    state = "stalled";
                    stalled.Add(StalledPass.Explain(pass.Id, since));
                }
                Console.Out.WriteLine($"{pass.Id,4}  {LedgerNames.KindName(pass.Kind),-5} {state,-11} " +
                    $"{Format.Count(c.EntriesSeen),12} {Format.Count(c.FilesCopied),12} {Format.Bytes(c.BytesCopied),10} {Format.Count(c.Failed),8}  " +
                    $"{Format.Time(s.StartedAt),-19}  {Format.Time(s.EndedAt),-19}  {ByteNames.Escape(pass.Source)} -> {ByteNames.Escape(pass.Target)}");
            }
            foreach (var line in stalled) Console.Out.WriteLine($"stalled: {line}");
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
