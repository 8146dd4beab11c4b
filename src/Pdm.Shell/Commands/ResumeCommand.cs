using System.CommandLine;
using Pdm.Actors;
using Pdm.Ledger;
using Pdm.Native;

namespace Pdm.Shell.Commands;

/// <summary>`pdm resume ID`: carries on an interrupted pass in this process.</summary>
public sealed class ResumeCommand(IConsoleIO console) : PdmCommand(console)
{
    private readonly Argument<long> _id = new("ID") { Description = "The pass to resume (see `pdm passes`)" };

    public override Command Build()
    {
        var cmd = new Command("resume", "Resume an interrupted pass where it stopped") { _id, LedgerOption, ThreadsOption };
        cmd.SetAction(parse => Guard(() =>
        {
            int threads = Threads(parse);
            long id = parse.GetValue(_id);
            using var ledger = LedgerLocation.OpenExisting(LedgerPath(parse));
            var pass = ledger.GetPass(id) ?? throw new UsageException($"no pass {id} in ledger {ledger.Path}");
            if (pass.Status is PassStatus.Completed or PassStatus.Cancelled or PassStatus.Failed)
                throw new UsageException($"pass {id} has already {pass.Status.ToString().ToLowerInvariant()}; run the copy again for a new pass");
            if (Sys.TryStatPath(pass.Source, out _) != 0)
                throw new UsageException($"source {ByteNames.Escape(pass.Source)} of pass {id} does not exist any more");
            new MigrationCoordinator(ledger).Resume(id);
            Console.Error.WriteLine($"pdm: resuming {pass.Kind.ToString().ToLowerInvariant()} pass {id}: {ByteNames.Escape(pass.Source)} -> {ByteNames.Escape(pass.Target)}");
            return new PassRunner(ledger, Console, threads).Run(ledger.GetPass(id)!);
        }));
        return cmd;
    }
}
