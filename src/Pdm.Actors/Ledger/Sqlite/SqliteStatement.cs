using SQLitePCL;

namespace Pdm.Ledger.Sqlite;

/// <summary>
/// A prepared statement, bound anew for each run. Values are long, int, string, byte[] or null; a
/// zero-length byte[] is bound as an empty BLOB, never as NULL (the root directory's path is X'').
/// </summary>
public sealed class SqliteStatement : IDisposable
{
    private readonly SqliteDatabase _db;
    private readonly sqlite3_stmt _stmt;

    internal SqliteStatement(SqliteDatabase db, sqlite3_stmt stmt)
    {
        _db = db;
        _stmt = stmt;
    }

    /// <summary>Resets the statement and binds <paramref name="args"/> by name (@name in the SQL).</summary>
    public SqliteStatement Bind(params ReadOnlySpan<(string Name, object? Value)> args)
    {
        raw.sqlite3_reset(_stmt);
        _db.Check(raw.sqlite3_clear_bindings(_stmt));
        foreach (var (name, value) in args)
        {
            int i = raw.sqlite3_bind_parameter_index(_stmt, name);
            if (i == 0) throw new ArgumentException($"no parameter {name} in the statement", nameof(args));
            _db.Check(value switch
            {
                null => raw.sqlite3_bind_null(_stmt, i),
                long l => raw.sqlite3_bind_int64(_stmt, i, l),
                double d => raw.sqlite3_bind_double(_stmt, i, d),
                int n => raw.sqlite3_bind_int64(_stmt, i, n),
                string s => raw.sqlite3_bind_text(_stmt, i, s),
                byte[] { Length: 0 } => raw.sqlite3_bind_zeroblob(_stmt, i, 0),
                byte[] b => raw.sqlite3_bind_blob(_stmt, i, b),
                _ => throw new ArgumentException($"cannot bind a {value.GetType().Name} to {name}", nameof(args)),
            });
        }
        return this;
    }

    /// <summary>Runs the statement to the end; returns the rows it changed.</summary>
    public int Execute()
    {
        while (Step()) { }
        return _db.Changes;
    }

    /// <summary>The first column of the first row (long, double, string, byte[]), or null without a row.</summary>
    public object? Scalar()
    {
        object? value = Step() ? Value(0) : null;
        while (Step()) { } // an INSERT ... RETURNING finishes its work only when stepped to the end
        return value;
    }

    /// <summary>Steps through the rows: <c>while (rows.Read()) rows.GetInt64(0) ...</c>; disposing it resets the statement.</summary>
    public SqliteRows Rows() => new(this);

    /// <summary>One step: true with a row to read, false when done.</summary>
    internal bool Step()
    {
        int rc = raw.sqlite3_step(_stmt);
        if (rc == raw.SQLITE_ROW) return true;
        if (rc == raw.SQLITE_DONE) return false;
        var error = _db.Error(rc);
        raw.sqlite3_reset(_stmt);
        throw error;
    }

    internal void Reset() => raw.sqlite3_reset(_stmt);

    internal bool IsNull(int i) => raw.sqlite3_column_type(_stmt, i) == raw.SQLITE_NULL;

    internal long Int64(int i) => raw.sqlite3_column_int64(_stmt, i);

    internal string Text(int i) => raw.sqlite3_column_text(_stmt, i).utf8_to_string();

    internal byte[] Blob(int i) => raw.sqlite3_column_blob(_stmt, i).ToArray();

    internal double Double(int i) => raw.sqlite3_column_double(_stmt, i);

    private object? Value(int i) => raw.sqlite3_column_type(_stmt, i) switch
    {
        raw.SQLITE_INTEGER => Int64(i),
        raw.SQLITE_FLOAT => raw.sqlite3_column_double(_stmt, i),
        raw.SQLITE_TEXT => Text(i),
        raw.SQLITE_BLOB => Blob(i),
        _ => null,
    };

    public void Dispose() => _stmt.Dispose();
}

/// <summary>The rows of a statement being stepped through.</summary>
public readonly struct SqliteRows(SqliteStatement statement) : IDisposable
{
    public bool Read() => statement.Step();

    public bool IsDBNull(int i) => statement.IsNull(i);

    public long GetInt64(int i) => statement.Int64(i);

    public int GetInt32(int i) => checked((int)statement.Int64(i));

    public string GetString(int i) => statement.Text(i);

    public byte[] GetBlob(int i) => statement.Blob(i);

    public double GetDouble(int i) => statement.Double(i);

    public void Dispose() => statement.Reset();
}
