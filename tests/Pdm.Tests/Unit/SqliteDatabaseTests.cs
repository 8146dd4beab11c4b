using Pdm.Ledger.Sqlite;
using Pdm.Tests.Support;

namespace Pdm.Tests.Unit;

/// <summary>The thin layer over SQLite's C API that the ledger runs on, on a real file.</summary>
public sealed class SqliteDatabaseTests : IDisposable
{
    private readonly TempTree _tmp = new();
    private readonly SqliteDatabase _db;

    public SqliteDatabaseTests()
    {
        _db = SqliteDatabase.Open(_tmp["t.db"], TimeSpan.FromSeconds(5));
        _db.Execute("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB, s TEXT, n INTEGER)");
    }

    public void Dispose()
    {
        _db.Dispose();
        _tmp.Dispose();
    }

    [Fact]
    public void AnEmptyByteArrayIsAnEmptyBlobNotNull()
    {
        _db.Statement("INSERT INTO t (id, b) VALUES ($id, $b)").Bind(("$id", 1L), ("$b", Array.Empty<byte>())).Execute();
        _db.Statement("INSERT INTO t (id, b) VALUES ($id, $b)").Bind(("$id", 2L), ("$b", null)).Execute();
        Assert.Equal("blob", _db.Statement("SELECT typeof(b) FROM t WHERE id = 1").Bind().Scalar());
        Assert.Equal("null", _db.Statement("SELECT typeof(b) FROM t WHERE id = 2").Bind().Scalar());
        using var rows = _db.Statement("SELECT b FROM t WHERE id = 1").Bind().Rows();
        Assert.True(rows.Read());
        Assert.Empty(rows.GetBlob(0));
    }

    [Fact]
    public void ValuesComeBackAsTheyWereBound()
    {
        byte[] name = [0x2f, 0xff, 0x00, 0x80]; // not UTF-8, with a NUL
        var insert = _db.Statement("INSERT INTO t (id, b, s, n) VALUES ($id, $b, $s, $n)");
        Assert.Equal(1, insert.Bind(("$id", 7L), ("$b", name), ("$s", "Zoë"), ("$n", int.MinValue)).Execute());
        using var rows = _db.Statement("SELECT b, s, n, id FROM t").Bind().Rows();
        Assert.True(rows.Read());
        Assert.Equal(name, rows.GetBlob(0));
        Assert.Equal("Zoë", rows.GetString(1));
        Assert.Equal(int.MinValue, rows.GetInt32(2));
        Assert.Equal(7L, rows.GetInt64(3));
        Assert.False(rows.Read());
    }

    [Fact]
    public void AStatementIsReboundForEachRun()
    {
        var insert = _db.Statement("INSERT INTO t (id, n) VALUES ($id, $n)");
        insert.Bind(("$id", 1L), ("$n", 10L)).Execute();
        insert.Bind(("$id", 2L)).Execute(); // $n unbound this time: NULL, not last run's 10
        Assert.Same(insert, _db.Statement("INSERT INTO t (id, n) VALUES ($id, $n)"));
        Assert.Null(_db.Statement("SELECT n FROM t WHERE id = 2").Bind().Scalar());
    }

    [Fact]
    public void ATransactionDisposedBeforeCommitIsRolledBack()
    {
        using (var tx = _db.BeginTransaction())
            _db.Statement("INSERT INTO t (id) VALUES (1)").Bind().Execute();
        using (var tx = _db.BeginTransaction())
        {
            _db.Statement("INSERT INTO t (id) VALUES (2)").Bind().Execute();
            tx.Commit();
        }
        Assert.Equal(2L, _db.Statement("SELECT group_concat(id) FROM t").Bind().Scalar() is string s ? long.Parse(s) : -1);
    }

    [Fact]
    public void ErrorsCarrySqlitesMessageAndCode()
    {
        _db.Statement("INSERT INTO t (id) VALUES (1)").Bind().Execute();
        var e = Assert.Throws<SqliteError>(() => _db.Statement("INSERT INTO t (id) VALUES (1)").Bind().Execute());
        Assert.Contains("UNIQUE constraint failed", e.Message);
        Assert.Equal(19, e.Code & 0xff); // SQLITE_CONSTRAINT
        Assert.Throws<SqliteError>(() => _db.Statement("SELECT nothing FROM nowhere"));
        Assert.Throws<ArgumentException>(() => _db.Statement("SELECT 1; SELECT 2"));
        Assert.Throws<ArgumentException>(() => _db.Statement("SELECT $a").Bind(("$b", 1L)));
    }

    [Fact]
    public void AFileThatIsNotADatabaseIsRefused()
    {
        File.WriteAllText(_tmp["junk.db"], new string('x', 4096));
        using var db = SqliteDatabase.Open(_tmp["junk.db"], TimeSpan.FromSeconds(1));
        var e = Assert.Throws<SqliteError>(() => db.Execute("PRAGMA journal_mode=WAL"));
        Assert.Contains("not a database", e.Message);
    }
}
