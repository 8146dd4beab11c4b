using System.Configuration;
using Pdm.Actors;

namespace Pdm.Tests.Unit;

/// <summary>The empty app.config every mover process installs before its actor system reads one.</summary>
public sealed class NoAppConfigTests
{
    /// <summary>It relies on an internal method: an update of System.Configuration that drops it must show here, not as a slower start.</summary>
    [Fact]
    public void TheHookExistsInTheSystemConfigurationShipped() => Assert.NotNull(NoAppConfig.Hook);

    [Fact]
    public void InstallingAgainOrAfterAReadChangesNothingAndNeverThrows()
    {
        NoAppConfig.Install();
        _ = ConfigurationManager.GetSection("akka");
        NoAppConfig.Install();
        Assert.Null(ConfigurationManager.GetSection("akka")); // pdm ships no app.config: no "akka" section either way
    }
}
