using System.Data;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Config;
using Microsoft.Data.Sqlite;
using Pdm.Actors;

namespace Pdm.Tests.Unit;

/// <summary>The journal's connection string and plugin HOCON, written by hand, as Microsoft.Data.Sqlite and Akka.Persistence.Sql read them back.</summary>
public sealed class JournalDatabaseTests
{
    [Theory]
    [InlineData("/var/lib/pdm/ledger.db")]
    [InlineData("/tmp/a;b=c/ledger.db")]
    [InlineData("/tmp/\"quoted\"/it's.db")]
    [InlineData("/tmp/ lead and trail /x.db ")]
    [InlineData("/tmp/new\nline/x.db")]
    [InlineData("/tmp/Data Source=/x.db;Mode=ReadOnly")]
    public void TheLedgersPathAndTimeoutComeBackExactly(string path)
    {
        var read = new SqliteConnectionStringBuilder(JournalDatabase.Sqlite(path).ConnectionString);
        Assert.Equal(path, read.DataSource);
        Assert.Equal(60, read.DefaultTimeout);
        Assert.Equal(SqliteOpenMode.ReadWriteCreate, read.Mode);
    }

    [Theory]
    [InlineData("/var/lib/pdm/ledger.db")]
    [InlineData("/tmp/\"quoted\"/back\\slash ${HOME}/x.db")]
    [InlineData("/tmp/new\nline/it's.db")]
    public void ThePluginReadsTheLedgersDatabaseAndTablesFromItsHocon(string path)
    {
        var database = JournalDatabase.Sqlite(path);
        var hocon = MoverHost.JournalHocon(database);
        // As Akka.Persistence finds the plugins, and as they read their section over their own defaults.
        Assert.Equal("akka.persistence.journal.sql", hocon.GetString("akka.persistence.journal.plugin"));
        Assert.Equal("akka.persistence.snapshot-store.sql", hocon.GetString("akka.persistence.snapshot-store.plugin"));
        var journalSection = hocon.GetConfig("akka.persistence.journal.sql");
        var snapshotSection = hocon.GetConfig("akka.persistence.snapshot-store.sql");
        Assert.NotNull(Type.GetType(journalSection.GetString("class"), throwOnError: false));
        Assert.NotNull(Type.GetType(snapshotSection.GetString("class"), throwOnError: false));
        var journal = new JournalConfig(journalSection.WithFallback(SqlPersistence.DefaultJournalConfiguration));
        var snapshots = new SnapshotConfig(snapshotSection.WithFallback(SqlPersistence.DefaultSnapshotConfiguration));
        foreach (var (connection, provider, reads) in new[]
                 {
                     (journal.ConnectionString, journal.ProviderName, journal.ReadIsolationLevel),
                     (snapshots.ConnectionString, snapshots.ProviderName, snapshots.ReadIsolationLevel),
                 })
        {
            Assert.Equal(database.ConnectionString, connection);
            Assert.Equal(path, new SqliteConnectionStringBuilder(connection).DataSource);
            Assert.Equal("SQLite.MS", provider);
            Assert.Equal(IsolationLevel.ReadUncommitted, reads);
        }
        Assert.Equal("akka_journal", journal.TableConfig.EventJournalTable.Name);
        Assert.Equal("akka_journal_metadata", journal.TableConfig.MetadataTable.Name);
        Assert.Equal("akka_tags", journal.TableConfig.TagTable.Name);
        Assert.Equal("akka_snapshot", snapshots.TableConfig.SnapshotTable.Name);
        Assert.True(journal.AutoInitialize && snapshots.AutoInitialize);
    }

    [Fact]
    public void OnPostgresqlThePluginReadsCommitted()
    {
        var hocon = MoverHost.JournalHocon(JournalDatabase.Postgres("Host=127.0.0.1;Port=5432;Database=pdm;Username=pdm"));
        var journal = new JournalConfig(hocon.GetConfig("akka.persistence.journal.sql").WithFallback(SqlPersistence.DefaultJournalConfiguration));
        Assert.Equal("PostgreSQL.15", journal.ProviderName);
        Assert.Equal(IsolationLevel.ReadCommitted, journal.ReadIsolationLevel);
        Assert.Equal("Host=127.0.0.1;Port=5432;Database=pdm;Username=pdm", journal.ConnectionString);
    }
}
