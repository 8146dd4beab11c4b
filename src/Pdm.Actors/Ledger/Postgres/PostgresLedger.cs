using Npgsql;
using Pdm.Ledger.Postgres;

namespace Pdm.Ledger;

/// <summary>
/// The ledger a cluster of nodes shares: PostgreSQL (<see cref="PostgresStore"/>). Its schema is
/// created and upgraded by `pdm ledger migrate`, never by a node or a pass: a process that finds a
/// schema older or newer than its own refuses to work on it, with one line that says what to do.
/// </summary>
public sealed class PostgresLedger : SqlLedger
{
    private readonly string _journalConnection;

    private PostgresLedger(PostgresStore store, string journalConnection) : base(store) => _journalConnection = journalConnection;

    public override Actors.JournalDatabase Journal => Actors.JournalDatabase.Postgres(_journalConnection);

    /// <summary>The connections of a process's journal pool, beside its ledger pool.</summary>
    public const int JournalConnections = 4;

    /// <summary>Whether <paramref name="location"/> names a PostgreSQL ledger (a postgresql:// or postgres:// URI).</summary>
    public static bool IsUri(string location) =>
        location.StartsWith("postgresql://", StringComparison.Ordinal) || location.StartsWith("postgres://", StringComparison.Ordinal);

    /// <summary>The journal's database for a ledger URI, known before the ledger is open (the actor system starts meanwhile).</summary>
    public static Actors.JournalDatabase JournalOf(string uri) => Actors.JournalDatabase.Postgres(JournalConnection(uri));

    private static string JournalConnection(string uri) => PostgresUri.Parse(uri, JournalConnections, "pdm journal").ConnectionString;

    /// <param name="maxConnections">this process's share of the server's connections (the pool's size)</param>
    public static PostgresLedger Open(string uri, int maxConnections, bool migrate = false)
    {
        var (connection, name) = PostgresUri.Parse(uri, maxConnections, "pdm ledger");
        // The journal's own pool (Akka.Persistence.Sql): a few connections; coordinators write little.
        var ledger = new PostgresLedger(new PostgresStore(name, NpgsqlDataSource.Create(connection)), JournalConnection(uri));
        try
        {
            if (migrate) ledger.Migrate();
            else ledger.CheckSchema();
            return ledger;
        }
        catch
        {
            ledger.Dispose();
            throw;
        }
    }

    public override int SchemaVersion => Read(s =>
        s.Scalar("SELECT to_regclass('schema_migrations') IS NOT NULL") is true
            ? Convert.ToInt32(s.Scalar("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))
            : 0); // a statement naming a missing table fails as it is planned, whatever CASE says

    private void CheckSchema()
    {
        int version = SchemaVersion;
        if (version == PostgresSchema.LatestVersion) return;
        throw new LedgerUnavailableException(version == 0
            ? $"ledger {Path} has no pdm schema yet: create it with `pdm ledger migrate --ledger {Path}`"
            : version < PostgresSchema.LatestVersion
                ? $"ledger {Path} has schema version {version}, older than this pdm's ({PostgresSchema.LatestVersion}): upgrade it with `pdm ledger migrate --ledger {Path}`"
                : $"ledger {Path} has schema version {version}, newer than this pdm understands ({PostgresSchema.LatestVersion}): use a newer pdm");
    }

    /// <summary>Applies the missing migrations, each in its own transaction; several at once wait for each other (an advisory lock).</summary>
    public int Migrate()
    {
        Write(tx =>
        {
            tx.Exec("SELECT pg_advisory_xact_lock(7411)");
            tx.Exec("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)");
            tx.Commit();
        });
        int newest = SchemaVersion;
        if (newest > PostgresSchema.LatestVersion)
            throw new LedgerUnavailableException($"ledger {Path} has schema version {newest}, newer than this pdm understands ({PostgresSchema.LatestVersion})");
        foreach (var (version, sql) in PostgresSchema.Migrations)
        {
            Write(tx =>
            {
                tx.Exec("SELECT pg_advisory_xact_lock(7411)");
                if (Convert.ToInt64(tx.Scalar("SELECT COUNT(*) FROM schema_migrations WHERE version = @v", ("@v", (long)version))) > 0) return;
                tx.Exec(sql);
                tx.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (@v, @t)", ("@v", (long)version), ("@t", Now()));
                tx.Commit();
            });
        }
        return SchemaVersion;
    }
}
