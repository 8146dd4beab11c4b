using Pdm.Configuration;

namespace Pdm.Tests.Unit;

/// <summary>HOCON as pdm reads it: environment variables, errors with their line, Akka's section.</summary>
public sealed class ConfigTests
{
    private static PdmConfig Parse(string text, Dictionary<string, string>? env = null) =>
        PdmConfig.Parse("/etc/pdm/pdm.conf", text, name => env?.GetValueOrDefault(name));

    [Fact]
    public void AnOptionalEnvironmentVariableOverridesWhenSetAndKeepsTheEarlierValueWhenNot()
    {
        const string text = """
            ledger = "/var/lib/pdm/ledger.db"
            ledger = ${?PDM_LEDGER}   # the environment wins
            threads = 4
            threads = ${?PDM_THREADS},
            """;
        var unset = Parse(text);
        Assert.Equal("/var/lib/pdm/ledger.db", unset.Ledger);
        Assert.Equal(4, unset.Threads);
        var set = Parse(text, new() { ["PDM_LEDGER"] = "/srv/pdm \"quoted\" ledger.db", ["PDM_THREADS"] = "12" });
        Assert.Equal("/srv/pdm \"quoted\" ledger.db", set.Ledger);
        Assert.Equal(12, set.Threads);
    }

    [Fact]
    public void AnUnsetOptionalVariableCanOnlyBeAWholeValue()
    {
        var e = Assert.Throws<ConfigException>(() => Parse("ledger = \"/a/\"${?PDM_SUFFIX}"));
        Assert.Contains("line 1", e.Message);
        Assert.Contains("whole value", e.Message);
    }

    [Fact]
    public void PathsOfTheConfigItselfAreLeftToHocon()
    {
        var c = Parse("""
            threads = 6
            akka.actor.pdm-io.dedicated-thread-pool.thread-count = ${threads}
            """);
        Assert.Equal(6, c.Akka.GetInt("akka.actor.pdm-io.dedicated-thread-pool.thread-count"));
    }

    [Fact]
    public void ARelativeLedgerIsRelativeToTheConfigFile() =>
        Assert.Equal("/etc/pdm/state/ledger.db", Parse("ledger = state/ledger.db").Ledger);

    [Fact]
    public void TheAkkaSectionIsKeptForTheActorSystem()
    {
        var c = Parse("akka { loglevel = DEBUG, actor.pdm-io.throughput = 5 }");
        Assert.Equal("DEBUG", c.Akka.GetString("akka.loglevel"));
        Assert.Equal(5, c.Akka.GetInt("akka.actor.pdm-io.throughput"));
    }

    [Theory]
    [InlineData("a = [1, 2\nb = 3", "line 1: the '[' opened here is never closed")]
    [InlineData("a {\n  b = [1, 2 }\n}", "line 2: '}' closes the '[' of line 2")]
    [InlineData("a = \"open", "line 1: a quoted string is not closed")]
    [InlineData("x = 1\ninclude \"other.conf\"", "line 2: include is not supported")]
    [InlineData("a = ${?UNSET_X", "line 1: a ${...} substitution is not closed")]
    public void MalformedTextIsReportedWithItsLineInsteadOfHangingAkkasParser(string text, string message)
    {
        var e = Assert.Throws<ConfigException>(() => Parse(text));
        Assert.Contains("config /etc/pdm/pdm.conf: not valid HOCON: " + message, e.Message);
    }

    [Fact]
    public void CommentsAndStringsMayHoldBracketsAndDollars()
    {
        var c = Parse("""
            # an example: { [ ${NOT_A_VARIABLE}
            // and this too: ]
            ledger = "/odd/{name}[1]${X}"
            """);
        Assert.Equal("/odd/{name}[1]${X}", c.Ledger);
    }
}
