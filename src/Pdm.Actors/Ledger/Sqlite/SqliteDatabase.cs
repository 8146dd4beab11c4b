using SQLitePCL;

namespace Pdm.Ledger.Sqlite;

/// <summary>
/// One SQLite connection, straight on SQLite's C API (SQLitePCLRaw). The ledger needs little of an
/// ADO.NET provider, and Microsoft.Data.Sqlite's connection-string machinery alone cost every `pdm`
/// command about 20 ms at start. Not thread-safe: the ledger serializes its callers.
/// </summary>
public sealed class SqliteDatabase : IDisposable
{
    private readonly sqlite3 _db;
    private readonly Dictionary<string, SqliteStatement> _statements = [];

    static SqliteDatabase() => Batteries_V2.Init();

    private SqliteDatabase(sqlite3 db) => _db = db;

    /// <summary>Opens or creates the database file at <paramref name="path"/>; a busy database is waited for up to <paramref name="busyTimeout"/>.</summary>
    public static SqliteDatabase Open(string path, TimeSpan busyTimeout)
    {
        int rc = raw.sqlite3_open_v2(path, out var db, raw.SQLITE_OPEN_READWRITE | raw.SQLITE_OPEN_CREATE | raw.SQLITE_OPEN_NOMUTEX, null);
        if (rc != raw.SQLITE_OK)
        {
            string message = db is null ? raw.sqlite3_errstr(rc).utf8_to_string() : raw.sqlite3_errmsg(db).utf8_to_string();
            db?.Dispose();
            throw new SqliteError(rc, message);
        }
        var database = new SqliteDatabase(db);
        database.Check(raw.sqlite3_busy_timeout(db, (int)busyTimeout.TotalMilliseconds));
        return database;
    }

    /// <summary>Runs a script of one or more statements without parameters (pragmas, schema).</summary>
    public void Execute(string sql) => Check(raw.sqlite3_exec(_db, sql));

    /// <summary>
    /// The prepared statement for <paramref name="sql"/>, kept and reused: SQLite parses each statement
    /// once per connection, not once per call.
    /// </summary>
    public SqliteStatement Statement(string sql)
    {
        if (_statements.TryGetValue(sql, out var statement)) return statement;
        int rc = raw.sqlite3_prepare_v2(_db, sql, out var stmt, out string tail);
        if (rc != raw.SQLITE_OK) throw Error(rc);
        if (!string.IsNullOrWhiteSpace(tail))
        {
            stmt.Dispose();
            throw new ArgumentException($"one statement at a time, not: {sql}", nameof(sql));
        }
        statement = new SqliteStatement(this, stmt);
        _statements[sql] = statement;
        return statement;
    }

    /// <summary>
    /// Begins a transaction that takes the write lock at once (BEGIN IMMEDIATE), so that two writers
    /// wait for each other through the busy timeout instead of one failing half-way.
    /// </summary>
    public SqliteTransaction BeginTransaction()
    {
        Execute("BEGIN IMMEDIATE");
        return new SqliteTransaction(this);
    }

    /// <summary>Rows changed by the last INSERT, UPDATE or DELETE.</summary>
    internal int Changes => raw.sqlite3_changes(_db);

    internal void Check(int rc)
    {
        if (rc != raw.SQLITE_OK) throw Error(rc);
    }

    internal SqliteError Error(int rc) => new(rc, raw.sqlite3_errmsg(_db).utf8_to_string());

    public void Dispose()
    {
        foreach (var statement in _statements.Values) statement.Dispose();
        _statements.Clear();
        _db.Dispose();
    }
}
