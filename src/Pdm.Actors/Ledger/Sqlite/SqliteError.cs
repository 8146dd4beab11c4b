namespace Pdm.Ledger.Sqlite;

/// <summary>SQLite refused a call: the database is locked past the timeout, full, corrupt, read-only...</summary>
public sealed class SqliteError(int code, string message) : Exception(message)
{
    /// <summary>SQLite's result code (SQLITE_BUSY, SQLITE_FULL, ...).</summary>
    public int Code { get; } = code;
}
