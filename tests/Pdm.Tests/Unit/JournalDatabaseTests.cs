using Microsoft.Data.Sqlite;
using Pdm.Actors;

namespace Pdm.Tests.Unit;

/// <summary>The journal's connection string, written by hand, as Microsoft.Data.Sqlite reads it back.</summary>
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
}
