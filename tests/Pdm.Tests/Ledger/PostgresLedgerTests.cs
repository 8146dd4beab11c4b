using Pdm.Ledger;
using Pdm.Ledger.Postgres;
using Pdm.Tests.Support;

namespace Pdm.Tests.Ledger;

/// <summary>
/// The ledger contract on a real PostgreSQL database (the server tests/run starts), and what only
/// PostgreSQL has: schema migrations by `pdm ledger migrate`, refusals of a schema this pdm does not
/// know, claims that skip rows locked by other nodes, pools of a bounded size, passwords kept out of messages.
/// </summary>
public sealed class PostgresLedgerTests : LedgerContract
{
    private readonly PostgresTestDatabase _db;

    public PostgresLedgerTests() : this(PostgresTestDatabase.Create()) { }

    private PostgresLedgerTests(PostgresTestDatabase db) : base(db.OpenLedger(), db) => _db = db;

    protected override object? Scalar(string sql) => _db.Scalar(sql);

    [Fact]
    public void ADatabaseWithoutTheSchemaIsRefusedUntilMigrated()
    {
        using var empty = PostgresTestDatabase.Create(migrate: false);
        var e = Assert.Throws<LedgerUnavailableException>(() => PostgresLedger.Open(empty.Uri, 2));
        Assert.Contains("has no pdm schema yet", e.Message);
        Assert.Contains("pdm ledger migrate", e.Message);
        using (var migrated = PostgresLedger.Open(empty.Uri, 2, migrate: true)) Assert.Equal(PostgresSchema.LatestVersion, migrated.SchemaVersion);
        using (var again = PostgresLedger.Open(empty.Uri, 2, migrate: true)) Assert.Equal(PostgresSchema.LatestVersion, again.SchemaVersion);
        using var opened = PostgresLedger.Open(empty.Uri, 2);
        Assert.Empty(opened.ListPasses());
    }

    [Fact]
    public void ANewerSchemaIsRefusedWithOneLine()
    {
        _db.Scalar($"INSERT INTO schema_migrations (version, applied_at) VALUES ({PostgresSchema.LatestVersion + 1}, 0)");
        var e = Assert.Throws<LedgerUnavailableException>(() => PostgresLedger.Open(_db.Uri, 2));
        Assert.Contains("newer than this pdm understands", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TwoNodesClaimingAtOnceNeverGetTheSameItem()
    {
        long pass = StartPass();
        var root = _ledger.Claim("n", 1, Lease).Single();
        var outcome = new ItemOutcome();
        for (int i = 0; i < 400; i++) outcome.AddBatch(WorkKind.Copy, [(byte)(i % 256), (byte)(i / 256)], 1);
        _ledger.Complete("n", root, outcome);
        using var other = _db.OpenLedger();
        var claims = new System.Collections.Concurrent.ConcurrentBag<long>();
        Parallel.For(0, 8, i =>
        {
            var ledger = i % 2 == 0 ? _ledger : other;
            while (true)
            {
                var got = ledger.Claim($"node{i}", 7, Lease);
                if (got.Count == 0) break;
                foreach (var item in got) claims.Add(item.Id);
            }
        });
        Assert.Equal(400, claims.Count);
        Assert.Equal(claims.Count, claims.Distinct().Count());
    }

    [Fact]
    public void APoolNeverOpensMoreConnectionsThanItWasGiven()
    {
        using var ledger = PostgresLedger.Open(_db.Uri, maxConnections: 3);
        StartPass();
        Parallel.For(0, 16, _ => ledger.ListPasses());
        long connections = Convert.ToInt64(_db.Scalar($"SELECT count(*) FROM pg_stat_activity WHERE datname = '{_db.Name}' AND application_name = 'pdm ledger'"));
        // this test's own ledger (8) and the new one (3), at most
        Assert.InRange(connections, 1, 11);
    }

    [Fact]
    public void ThePasswordNeverAppearsInAMessage()
    {
        string uri = _db.Uri.Replace("postgresql://pdm@", "postgresql://pdm:s3cret-Pw@");
        using var ledger = PostgresLedger.Open(uri, 2); // trust authentication: the password is accepted and unused
        Assert.DoesNotContain("s3cret-Pw", ledger.Path);
        Assert.Equal(_db.Uri.Replace("postgresql://pdm@", "postgresql://pdm:***@"), ledger.Path);
        string unreachable = "postgresql://pdm:s3cret-Pw@127.0.0.1:1/nothing?connect_timeout=2";
        var e = Assert.ThrowsAny<LedgerUnavailableException>(() => PostgresLedger.Open(unreachable, 2));
        Assert.DoesNotContain("s3cret-Pw", e.ToString());
        Assert.Equal("postgresql://pdm:***@127.0.0.1:1/nothing?connect_timeout=2", PostgresUri.Redact(unreachable));
    }
}
