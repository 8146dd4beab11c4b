namespace Pdm.Ledger.Sqlite;

/// <summary>A transaction under way: committed by <see cref="Commit"/>, rolled back if disposed before it.</summary>
public sealed class SqliteTransaction : IDisposable
{
    private readonly SqliteDatabase _db;
    private bool _open = true;

    internal SqliteTransaction(SqliteDatabase db) => _db = db;

    public void Commit()
    {
        _db.Execute("COMMIT");
        _open = false;
    }

    public void Dispose()
    {
        if (!_open) return;
        _open = false;
        // A failed statement may have ended the transaction already (SQLITE_FULL, an I/O error): then
        // there is nothing to roll back, and the error that got us here is the one to report.
        try { _db.Execute("ROLLBACK"); }
        catch (SqliteError) { }
    }
}
