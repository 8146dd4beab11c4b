namespace Pdm.Ledger.Sqlite;

/// <summary>
/// The SQLite database of an embedded ledger: one connection, shared by all of a process's threads,
/// each session or transaction holding it in turn (SQLite has one writer anyway). Several processes
/// may share the file (WAL): their transactions wait for each other through the busy timeout.
/// </summary>
public sealed class SqliteStore : ILedgerStore
{
    private readonly SqliteDatabase _db;
    private readonly Lock _gate = new();

    public string Name { get; }

    public LedgerDialect Dialect => LedgerDialect.Sqlite;

    public SqliteStore(string path, SqliteDatabase db)
    {
        Name = path;
        _db = db;
    }

    /// <summary>The connection itself, for what only SQLite has (pragmas, migrations); callers take turns with <see cref="Session"/>.</summary>
    internal SqliteDatabase Database => _db;

    public ILedgerSession Session()
    {
        _gate.Enter();
        return new SqliteSession(this);
    }

    public ILedgerTransaction Begin()
    {
        _gate.Enter();
        try
        {
            return new SqliteSession(this, _db.BeginTransaction());
        }
        catch
        {
            _gate.Exit();
            throw;
        }
    }

    public void Dispose()
    {
        lock (_gate) _db.Dispose();
    }

    /// <summary>The connection while this session holds it; a transaction's is rolled back if not committed.</summary>
    private sealed class SqliteSession(SqliteStore store, SqliteTransaction? tx = null) : ILedgerTransaction
    {
        private bool _disposed;

        public int Exec(string sql, params (string Name, object? Value)[] args) => store._db.Statement(sql).Bind(args).Execute();

        public object? Scalar(string sql, params (string Name, object? Value)[] args) => store._db.Statement(sql).Bind(args).Scalar();

        public ILedgerRows Rows(string sql, params (string Name, object? Value)[] args) => new RowsOf(store._db.Statement(sql).Bind(args).Rows());

        public void Commit() => (tx ?? throw new InvalidOperationException("not a transaction")).Commit();

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            try { tx?.Dispose(); }
            finally { store._gate.Exit(); }
        }
    }

    private sealed class RowsOf(SqliteRows rows) : ILedgerRows
    {
        public bool Read() => rows.Read();
        public bool IsDBNull(int i) => rows.IsDBNull(i);
        public long GetInt64(int i) => rows.GetInt64(i);
        public string GetString(int i) => rows.GetString(i);
        public byte[] GetBlob(int i) => rows.GetBlob(i);
        public double GetDouble(int i) => rows.GetDouble(i);
        public void Dispose() => rows.Dispose();
    }
}
