using Pdm.Ledger;
using Pdm.Tests.Support;

namespace Pdm.Tests.Ledger;

/// <summary>The ledger contract on a real SQLite file, and what only SQLite has: migrations applied as the file is opened.</summary>
public sealed class SqliteLedgerTests : LedgerContract
{
    private readonly TempTree _tmp;

    public SqliteLedgerTests() : this(new TempTree()) { }

    private SqliteLedgerTests(TempTree tmp) : base(SqliteLedger.Open(tmp["ledger.db"]), tmp) => _tmp = tmp;

    protected override object? Scalar(string sql)
    {
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_tmp["ledger.db"]};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var c = db.CreateCommand();
        c.CommandText = sql;
        return c.ExecuteScalar();
    }

    [Fact]
    public void OpeningAppliesEveryMigrationOnceAndReopeningIsHarmless()
    {
        Assert.Equal(SqliteSchema.LatestVersion, _ledger.SchemaVersion);
        using var again = SqliteLedger.Open(_tmp["ledger.db"]);
        Assert.Equal(SqliteSchema.LatestVersion, again.SchemaVersion);
    }

    [Fact]
    public void ALedgerOfAnOlderSchemaIsMigratedAndKeepsItsPasses()
    {
        string path = _tmp["old.db"];
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);"
                + SqliteSchema.Migrations[0].Sql
                + "INSERT INTO schema_migrations VALUES (1, 0);"
                + "INSERT INTO passes (kind, source, target, state, created_at) VALUES ('copy', X'2F61', X'2F62', 'queued', 0);";
            cmd.ExecuteNonQuery();
        }
        using var ledger = SqliteLedger.Open(path);
        Assert.Equal(SqliteSchema.LatestVersion, ledger.SchemaVersion);
        Assert.True(SqliteSchema.LatestVersion >= 2);
        Assert.Equal("/a"u8.ToArray(), Assert.Single(ledger.ListPasses()).Source);
    }

    [Fact]
    public void AnInterruptedPassOfAnOlderLedgerIsShownInterrupted()
    {
        // Before schema 5 an interrupted pass was stored 'queued', as if it had never run.
        string path = _tmp["v4.db"];
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);"
                + string.Concat(SqliteSchema.Migrations.Take(4).Select(m => m.Sql))
                + "INSERT INTO schema_migrations VALUES (1, 0), (2, 0), (3, 0), (4, 0);"
                + $"INSERT INTO passes (kind, source, target, options, state, created_at) VALUES ('copy', X'2F61', X'2F62', '{PassOptions.None.ToJson()}', 'queued', 0), ('copy', X'2F63', X'2F64', '{PassOptions.None.ToJson()}', 'queued', 0);"
                + "INSERT INTO pass_events (pass_id, type, at) VALUES (1, 'Created', 0), (1, 'Started', 1), (1, 'Progressed', 2), (1, 'Interrupted', 3), (1, 'Progressed', 4), (2, 'Created', 0);";
            cmd.ExecuteNonQuery();
        }
        using var ledger = SqliteLedger.Open(path);
        Assert.Equal(PassStatus.Interrupted, ledger.GetPass(1)!.Status);
        Assert.Equal(PassStatus.Queued, ledger.GetPass(2)!.Status);
        Assert.NotNull(ledger.FindUnfinishedPass(PassKind.Copy, "/a"u8.ToArray(), "/b"u8.ToArray(), PassOptions.None));
    }
}
