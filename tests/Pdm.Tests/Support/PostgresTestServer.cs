using Npgsql;
using Pdm.Ledger;

namespace Pdm.Tests.Support;

/// <summary>
/// The PostgreSQL server the tests use: the one tests/run starts on 127.0.0.1 (from Debian's packages),
/// named by $PDM_TEST_POSTGRES; $PDM_TEST_POSTGRES_DATA and _BIN let tests stop and restart it.
/// </summary>
public static class PostgresTestServer
{
    public static string AdminUri => Environment.GetEnvironmentVariable("PDM_TEST_POSTGRES") is { Length: > 0 } uri
        ? uri
        : throw new InvalidOperationException("PDM_TEST_POSTGRES is not set: run the tests with tests/run, which starts a PostgreSQL server for them");

    /// <summary>A plain connection string for the admin URI (the tests' own SQL, beside the ledger).</summary>
    public static string ConnectionString(string uri) => Pdm.Ledger.Postgres.PostgresUri.Parse(uri, 4, "pdm tests").ConnectionString;

    /// <summary>Restarts the server (a fast shutdown: sessions are cut, as in a failover), waiting until it takes connections again.</summary>
    public static void Restart(TimeSpan down)
    {
        PgCtl("stop", "-m", "fast");
        Thread.Sleep(down);
        // With a log file of its own: a server writing to our pipe would keep Tools.Run waiting for its end.
        PgCtl("start", "-l", Path.Combine(Path.GetDirectoryName(Path.GetFullPath(DataDirectory))!, "server.log"));
    }

    private static string DataDirectory => Environment.GetEnvironmentVariable("PDM_TEST_POSTGRES_DATA")
        ?? throw new InvalidOperationException("PDM_TEST_POSTGRES_DATA is not set (tests/run sets it)");

    private static void PgCtl(params string[] args)
    {
        string data = DataDirectory;
        string bin = Environment.GetEnvironmentVariable("PDM_TEST_POSTGRES_BIN") ?? throw new InvalidOperationException("PDM_TEST_POSTGRES_BIN is not set (tests/run sets it)");
        var r = Tools.Run("runuser", ["-u", "postgres", "--", Path.Combine(bin, "pg_ctl"), "-D", data, "-w", "-t", "60", .. args]);
        Assert.True(r.ExitCode == 0, $"pg_ctl {string.Join(' ', args)}: {r.Stdout}{r.Stderr}");
    }
}

/// <summary>A database of its own for one test, dropped afterwards; <see cref="Uri"/> is what --ledger takes.</summary>
public sealed class PostgresTestDatabase : IDisposable
{
    public string Name { get; }
    public string Uri { get; }

    private PostgresTestDatabase(string name, string uri)
    {
        Name = name;
        Uri = uri;
    }

    /// <param name="migrate">create pdm's schema in it (as `pdm ledger migrate` does)</param>
    public static PostgresTestDatabase Create(bool migrate = true)
    {
        string admin = PostgresTestServer.AdminUri;
        string name = $"pdm_test_{Guid.NewGuid():N}"[..24];
        Execute(admin, $"CREATE DATABASE {name}");
        var db = new PostgresTestDatabase(name, admin[..(admin.LastIndexOf('/') + 1)] + name);
        if (migrate) PostgresLedger.Open(db.Uri, 2, migrate: true).Dispose();
        return db;
    }

    public PostgresLedger OpenLedger(int maxConnections = 8) => PostgresLedger.Open(Uri, maxConnections);

    /// <summary>Runs SQL in this database, beside the ledger; the first column of the first row.</summary>
    public object? Scalar(string sql)
    {
        using var connection = new NpgsqlConnection(PostgresTestServer.ConnectionString(Uri));
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return command.ExecuteScalar();
    }

    private static void Execute(string uri, string sql)
    {
        using var connection = new NpgsqlConnection(PostgresTestServer.ConnectionString(uri));
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        try { Execute(PostgresTestServer.AdminUri, $"DROP DATABASE IF EXISTS {Name} WITH (FORCE)"); }
        catch (NpgsqlException) { } // the server is gone (a test stopped it): tests/run removes it all
    }
}
