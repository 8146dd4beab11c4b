using Pdm.Ledger;

namespace Pdm.Tests.Unit;

/// <summary>A pass's options as the ledger stores them: the text finds an unfinished pass again, so it must not drift.</summary>
public sealed class PassOptionsTests
{
    [Fact]
    public void TheStoredTextIsFixed()
    {
        Assert.Equal("""{"DryRun":false,"Checksum":false,"MaxDelete":null}""", PassOptions.None.ToJson());
        Assert.Equal("""{"DryRun":true,"Checksum":true,"MaxDelete":12345678901}""", new PassOptions(true, true, 12345678901).ToJson());
    }

    [Theory]
    [InlineData(false, false, null)]
    [InlineData(true, false, 0L)]
    [InlineData(false, true, -1L)]
    [InlineData(true, true, long.MaxValue)]
    public void EveryOptionSurvivesTheRoundTrip(bool dryRun, bool checksum, long? maxDelete)
    {
        var options = new PassOptions(dryRun, checksum, maxDelete);
        Assert.Equal(options, PassOptions.FromJson(options.ToJson()));
    }

    [Fact]
    public void OrderAndSpacesDoNotMatterAndNothingMeansNone()
    {
        Assert.Equal(new PassOptions(MaxDelete: 5), PassOptions.FromJson(""" { "MaxDelete" : 5 , "DryRun": false } """));
        Assert.Equal(PassOptions.None, PassOptions.FromJson(""));
        Assert.Equal(PassOptions.None, PassOptions.FromJson("{}"));
    }

    [Theory]
    [InlineData("""{"DryRun":yes}""")]
    [InlineData("""{"DryRun":true""")]
    [InlineData("""{DryRun:true}""")]
    [InlineData("""{"MaxDelete":1.5}""")]
    [InlineData("""{"Frobnicate":true}""")]
    [InlineData("[]")]
    public void AnythingElseIsRefused(string text) =>
        Assert.Throws<InvalidDataException>(() => PassOptions.FromJson(text));
}
