namespace Pdm.Ledger;

/// <summary>
/// The database a ledger runs on: SQLite (one connection; the ledger's callers take turns) or
/// PostgreSQL (a pool; nodes and threads work at once). Statements name their parameters @name,
/// which both understand; what the two say differently is in <see cref="LedgerDialect"/>.
/// </summary>
public interface ILedgerStore : IDisposable
{
    /// <summary>What to call the ledger in messages (a path, or a URI without its password).</summary>
    string Name { get; }

    LedgerDialect Dialect { get; }

    /// <summary>A session for reads that need no transaction.</summary>
    ILedgerSession Session();

    /// <summary>A write transaction, rolled back if disposed before <see cref="ILedgerTransaction.Commit"/>.</summary>
    ILedgerTransaction Begin();
}

public interface ILedgerSession : IDisposable
{
    int Exec(string sql, params (string Name, object? Value)[] args);

    /// <summary>The first column of the first row (long, string, byte[]...), or null without a row.</summary>
    object? Scalar(string sql, params (string Name, object? Value)[] args);

    ILedgerRows Rows(string sql, params (string Name, object? Value)[] args);
}

public interface ILedgerTransaction : ILedgerSession
{
    void Commit();
}

/// <summary>The rows of a statement, read one at a time; integers are read as 64 bits whatever the column's width.</summary>
public interface ILedgerRows : IDisposable
{
    bool Read();
    bool IsDBNull(int i);
    long GetInt64(int i);
    int GetInt32(int i) => checked((int)GetInt64(i));
    string GetString(int i);
    byte[] GetBlob(int i);
    double GetDouble(int i);
}

/// <summary>The statements SQLite and PostgreSQL write differently.</summary>
/// <param name="ClaimReady">selects the ids of ready items to lease (PostgreSQL: FOR UPDATE SKIP LOCKED, so nodes never wait on each other's claims)</param>
/// <param name="Greatest">the scalar function of the largest of its arguments</param>
/// <param name="LockPass">locks a pass's row for the rest of the transaction (SQLite's transactions are serial already)</param>
/// <param name="LockRows">ends a SELECT of rows about to be changed: locks them, skipping those another transaction holds</param>
public sealed record LedgerDialect(string ClaimReady, string Greatest, string LockPass, string LockRows)
{
    /// <summary>Items of running passes (of one pass if @pass is set) in id order; a link item waits until every scan and copy of its pass is done.</summary>
    private const string ReadyItems = """
        SELECT w.id FROM work_items w JOIN passes p ON p.id = w.pass_id
         WHERE w.state = 'ready' AND p.state = 'running' AND (CAST(@pass AS BIGINT) IS NULL OR w.pass_id = @pass) {exclude}
           AND (w.kind <> 'link' OR NOT EXISTS (
                 SELECT 1 FROM work_items x
                  WHERE x.pass_id = w.pass_id AND x.kind IN ('scan', 'copy', 'range', 'assemble') AND x.state NOT IN ('done', 'failed')))
         ORDER BY w.id LIMIT @max
        """;

    public static readonly LedgerDialect Sqlite = new(ReadyItems, "MAX", "", "");

    public static readonly LedgerDialect Postgres = new(ReadyItems + " FOR UPDATE OF w SKIP LOCKED", "GREATEST",
        "SELECT id FROM passes WHERE id = @id FOR UPDATE", " FOR UPDATE SKIP LOCKED");
}
