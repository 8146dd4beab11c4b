using System.CommandLine;

namespace Pdm.Shell.Commands;

/// <summary>`pdm failures ID [--json]`: every entry a pass could not handle, with the operation and the reason.</summary>
public sealed class FailuresCommand(IConsoleIO console) : PdmCommand(console)
{
    private readonly Argument<long> _id = new("ID") { Description = "The pass (see `pdm passes`)" };

    public override Command Build()
    {
        var cmd = new Command("failures", "List the entries a pass could not handle, and why") { _id, JsonOption, LedgerOption, ConfigOption, ClusterOption, TlsOption, InsecureOption };
        cmd.SetAction(parse => Guard(() =>
        {
            long id = parse.GetValue(_id);
            using var source = OpenSource(parse);
            source.Pass(id); // refuses an unknown pass
            bool json = parse.GetValue(JsonOption);
            using var document = json ? JsonOutput.FailuresOf(Console.Out, id) : null;
            long after = 0;
            while (true)
            {
                var page = source.Failures(id, after, 1000);
                if (page.Count == 0) break;
                foreach (var f in page)
                {
                    if (document is not null) document.Failure(f);
                    else Console.Out.WriteLine(PassSummary.FailureLine(f).TrimStart());
                }
                after = page[^1].Id;
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
