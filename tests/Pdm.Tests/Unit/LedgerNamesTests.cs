using Pdm.Ledger;

namespace Pdm.Tests.Unit;

/// <summary>The ledger's stored names: one per enum value, the names the enums have always been stored under.</summary>
public sealed class LedgerNamesTests
{
    private static void AssertTable<T>(Func<T, string> name, Func<string, T> parse, Func<T, string> expected) where T : struct, Enum
    {
        foreach (var value in Enum.GetValues<T>())
        {
            Assert.Equal(expected(value), name(value));
            Assert.Equal(value, parse(name(value)));
        }
        Assert.Throws<InvalidDataException>(() => parse("frobnicate"));
    }

    [Fact]
    public void EveryValueHasItsNameAndBack()
    {
        AssertTable(LedgerNames.KindName, LedgerNames.ParseKind, k => k.ToString().ToLowerInvariant());
        AssertTable(LedgerNames.StatusName, LedgerNames.ParseStatus, s => s.ToString().ToLowerInvariant());
        AssertTable(LedgerNames.WorkKindName, LedgerNames.ParseWorkKind, k => k.ToString().ToLowerInvariant());
        AssertTable(LedgerNames.EventName, LedgerNames.ParseEvent, e => e.ToString());
    }
}
