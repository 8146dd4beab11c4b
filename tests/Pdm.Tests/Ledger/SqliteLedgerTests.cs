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

    /// <summary>
    /// A command opening a ledger while another process is still creating it (not yet in WAL mode, in a
    /// write transaction): the switch to WAL, which SQLite does not wait for, is tried again until the
    /// busy timeout, instead of failing with "database is locked" (seen in CI: a test polled a ledger
    /// that `pdm copy` was creating).
    /// </summary>
    [Fact]
    public async Task OpeningALedgerBeingCreatedElsewhereWaitsForIt()
    {
        string path = _tmp["being-created.db"];
        using var other = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        other.Open(); // a new file, in SQLite's default rollback-journal mode, its creator half-way
        using (var c = other.CreateCommand())
        {
            c.CommandText = "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)";
            c.ExecuteNonQuery();
        }
        using var write = other.BeginTransaction(deferred: false); // BEGIN IMMEDIATE, as pdm's migrations
        using (var c = other.CreateCommand())
        {
            c.Transaction = write;
            c.CommandText = "INSERT INTO schema_migrations VALUES (0, 0)"; // holds the write lock
            c.ExecuteNonQuery();
        }
        var opening = Task.Run(() => SqliteLedger.Open(path));
        Assert.NotSame(opening, await Task.WhenAny(opening, Task.Delay(500))); // it waits for the creator
        write.Rollback();
        Assert.Same(opening, await Task.WhenAny(opening, Task.Delay(TimeSpan.FromSeconds(30)))); // and opens once the lock is gone
        using var ledger = await opening;
        Assert.Equal(SqliteSchema.LatestVersion, ledger.SchemaVersion);
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
