using System.Data;
using Npgsql;

namespace Pdm.Ledger.Postgres;

/// <summary>
/// The PostgreSQL database of a cluster's ledger, through a pool of connections (Npgsql): nodes and
/// their threads work at once, each session or transaction on a connection of its own. A database
/// that goes away (a restart, a cut) is reported as <see cref="LedgerTransientException"/>, which the
/// ledger retries; the password never appears in <see cref="Name"/> or in any message.
/// </summary>
public sealed class PostgresStore(string name, NpgsqlDataSource source) : ILedgerStore
{
    public string Name { get; } = name;

    public LedgerDialect Dialect => LedgerDialect.Postgres;

    public ILedgerSession Session() => new PgSession(this, Open(), transactional: false);

    public ILedgerTransaction Begin() => new PgSession(this, Open(), transactional: true);

    private NpgsqlConnection Open()
    {
        try { return source.OpenConnection(); }
        catch (Exception e) when (e is NpgsqlException or TimeoutException) { throw Translate(e, whileCommitting: false); }
    }

    public void Dispose() => source.Dispose();

    /// <summary>Whether a failure is the database going away, not a fault of the statement: worth trying again.</summary>
    internal static bool IsTransient(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal)
                                || pg.SqlState is "57P01" or "57P02" or "57P03" or "53300" or "40001" or "40P01",
        NpgsqlException n => n.IsTransient,
        TimeoutException => true,
        _ => false,
    };

    private Exception Translate(Exception e, bool whileCommitting) => IsTransient(e)
        ? new LedgerTransientException($"ledger {Name}: {Describe(e)}", whileCommitting, e)
        : e is PostgresException or NpgsqlException ? new LedgerUnavailableException($"ledger {Name}: {Describe(e)}", e) : e;

    /// <summary>One line about what went wrong, without the connection string.</summary>
    private static string Describe(Exception e) => e is PostgresException pg ? $"{pg.MessageText} ({pg.SqlState})" : e.Message;

    private sealed class PgSession : ILedgerTransaction
    {
        private readonly PostgresStore _store;
        private readonly NpgsqlConnection _connection;
        private readonly NpgsqlTransaction? _tx;
        private bool _committed;

        public PgSession(PostgresStore store, NpgsqlConnection connection, bool transactional)
        {
            _store = store;
            _connection = connection;
            try { _tx = transactional ? connection.BeginTransaction(IsolationLevel.ReadCommitted) : null; }
            catch (Exception e) when (e is NpgsqlException)
            {
                connection.Dispose();
                throw store.Translate(e, whileCommitting: false);
            }
        }

        private NpgsqlCommand Command(string sql, (string Name, object? Value)[] args)
        {
            var cmd = new NpgsqlCommand(sql, _connection, _tx);
            foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
            return cmd;
        }

        private T Run<T>(Func<T> call)
        {
            try { return call(); }
            catch (Exception e) when (e is NpgsqlException or TimeoutException) { throw _store.Translate(e, whileCommitting: false); }
        }

        public int Exec(string sql, params (string Name, object? Value)[] args) => Run(() =>
        {
            using var cmd = Command(sql, args);
            return cmd.ExecuteNonQuery();
        });

        public object? Scalar(string sql, params (string Name, object? Value)[] args) => Run(() =>
        {
            using var cmd = Command(sql, args);
            var value = cmd.ExecuteScalar();
            return value is DBNull ? null : value;
        });

        public ILedgerRows Rows(string sql, params (string Name, object? Value)[] args) => Run<ILedgerRows>(() =>
        {
            var cmd = Command(sql, args);
            return new RowsOf(this, cmd, cmd.ExecuteReader());
        });

        public void Commit()
        {
            if (_tx is null) throw new InvalidOperationException("not a transaction");
            try { _tx.Commit(); }
            catch (Exception e) when (e is NpgsqlException or TimeoutException) { throw _store.Translate(e, whileCommitting: true); }
            _committed = true;
        }

        public void Dispose()
        {
            try
            {
                if (_tx is not null && !_committed) _tx.Rollback();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException) { } // the connection is gone: so is the transaction
            finally
            {
                _tx?.Dispose();
                _connection.Dispose(); // back to the pool
            }
        }

        private sealed class RowsOf(PgSession session, NpgsqlCommand cmd, NpgsqlDataReader reader) : ILedgerRows
        {
            public bool Read() => session.Run(reader.Read);
            public bool IsDBNull(int i) => reader.IsDBNull(i);
            public long GetInt64(int i) => Convert.ToInt64(reader.GetValue(i));
            public string GetString(int i) => reader.GetString(i);
            public byte[] GetBlob(int i) => reader.GetFieldValue<byte[]>(i);
            public double GetDouble(int i) => Convert.ToDouble(reader.GetValue(i));

            public void Dispose()
            {
                reader.Dispose();
                cmd.Dispose();
            }
        }
    }
}
