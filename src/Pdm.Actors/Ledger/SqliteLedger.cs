using Pdm.Ledger.Sqlite;

namespace Pdm.Ledger;

/// <summary>
/// The embedded ledger: one SQLite file in WAL mode (<see cref="SqliteStore"/>), migrated to the newest
/// schema when opened. The journal of the coordinators lives in the same file.
/// </summary>
public sealed class SqliteLedger : SqlLedger
{
    private readonly SqliteDatabase _db;

    private SqliteLedger(SqliteStore store) : base(store) => _db = store.Database;

    /// <summary>Opens (creating if needed) the ledger at <paramref name="path"/> and migrates it.</summary>
    public static SqliteLedger Open(string path)
    {
        SqliteDatabase? db = null;
        try
        {
            db = SqliteDatabase.Open(path, busyTimeout: BusyTimeout);
            UseWal(db);
            db.Execute("PRAGMA synchronous=NORMAL;");
            var ledger = new SqliteLedger(new SqliteStore(path, db));
            ledger.Migrate();
            return ledger;
        }
        catch (SqliteError e)
        {
            db?.Dispose();
            throw new LedgerUnavailableException($"cannot open ledger {path}: {e.Message}", e);
        }
    }

    private static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Puts the file in WAL mode (a property of the file, set once by whoever creates it). The switch
    /// takes an exclusive lock that SQLite does not wait for, busy timeout or not: a command opening a
    /// ledger while another process is creating it got "database is locked". It is tried again.
    /// </summary>
    private static void UseWal(SqliteDatabase db)
    {
        var until = DateTime.UtcNow + BusyTimeout;
        while (true)
        {
            try
            {
                db.Execute("PRAGMA journal_mode=WAL");
                return;
            }
            catch (SqliteError e) when ((e.Code & 0xFF) == SqliteBusy && DateTime.UtcNow < until)
            {
                Thread.Sleep(20);
            }
        }
    }

    private const int SqliteBusy = 5;

    public override Actors.JournalDatabase Journal => Actors.JournalDatabase.Sqlite(Path);

    public override int SchemaVersion
    {
        get
        {
            using var s = Store.Session();
            return Convert.ToInt32(s.Scalar("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
        }
    }

    private void Migrate()
    {
        using var session = Store.Session(); // holds the connection for the whole migration
        {
            _db.Execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
            // Rebuilding a table (the only way to change a CHECK) must not trip foreign keys half-way;
            // they are checked whole once the migrations are in.
            _db.Execute("PRAGMA foreign_keys = OFF");
            foreach (var (version, sql) in SqliteSchema.Migrations)
            {
                using var tx = _db.BeginTransaction();
                if (Convert.ToInt64(_db.Statement("SELECT COUNT(*) FROM schema_migrations WHERE version = @v").Bind(("@v", version)).Scalar()) > 0)
                    continue;
                _db.Execute(sql);
                _db.Statement("INSERT INTO schema_migrations (version, applied_at) VALUES (@v, @t)").Bind(("@v", version), ("@t", Now())).Execute();
                tx.Commit();
            }
            _db.Execute("PRAGMA foreign_keys = ON");
            using (var r = _db.Statement("PRAGMA foreign_key_check").Bind().Rows())
            {
                if (r.Read()) throw new LedgerUnavailableException($"ledger {Path} fails its foreign key check (table {r.GetString(0)}) after migrating");
            }
            long newest = Convert.ToInt64(_db.Statement("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Bind().Scalar());
            if (newest > SqliteSchema.LatestVersion)
                throw new LedgerUnavailableException($"ledger {Path} has schema version {newest}, newer than this pdm understands ({SqliteSchema.LatestVersion})");
        }
    }
}
