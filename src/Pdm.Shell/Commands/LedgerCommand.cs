using System.CommandLine;
using Pdm.Actors;
using Pdm.Ledger;

namespace Pdm.Shell.Commands;

/// <summary>
/// `pdm ledger migrate`: creates the ledger's schema, or upgrades it to this pdm's. A PostgreSQL ledger
/// is only ever migrated this way (nodes refuse a schema that is not theirs); a SQLite ledger is
/// migrated by every pdm that opens it, and this says which version it is at.
/// </summary>
public sealed class LedgerCommand(IConsoleIO console) : PdmCommand(console)
{
    public override Command Build()
    {
        var migrate = new Command("migrate", "Create or upgrade the ledger's schema (a PostgreSQL ledger needs it before its first pass)")
        {
            LedgerOption, ConfigOption,
        };
        migrate.SetAction(parse => Guard(() =>
        {
            string location = LedgerPath(parse);
            int version;
            if (PostgresLedger.IsUri(location))
            {
                using var ledger = PostgresLedger.Open(location, maxConnections: 2, migrate: true);
                version = ledger.SchemaVersion;
                // The coordinators' journal tables too, now: nodes starting together would race to create them.
                var config = Config(parse);
                using var host = MoverHost.StartAsync(new MoverHostOptions(config.Akka, ledger.Journal, ConfigFile: config.File)).GetAwaiter().GetResult();
                Coordination.JournalTables.EnsureAsync(host.System, TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
            }
            else
            {
                using var ledger = LedgerLocation.OpenWritable(location, isDefault: false, threads: 1);
                version = ledger.SchemaVersion;
            }
            Console.Out.WriteLine($"pdm: ledger {Ledger.Postgres.PostgresUri.Redact(location)} is at schema version {version}");
            return ExitCodes.Ok;
        }));
        return new Command("ledger", "The ledger itself") { migrate };
    }
}
