using Akka.TestKit.Xunit2;
using Pdm.Actors;
using Pdm.Coordination;
using Pdm.Ledger;

namespace Pdm.Tests.Actors;

/// <summary>The journal's format: every event and the snapshot round-trip under a manifest that must never change.</summary>
public sealed class PassEventSerializerTests()
    : TestKit(MoverHost.StartAsync(new MoverHostOptions(Akka.Configuration.Config.Empty, Journal: null)).GetAwaiter().GetResult().System)
{
    private static readonly DateTimeOffset At = new(2026, 11, 30, 4, 5, 6, TimeSpan.Zero);
    private static readonly PassCounters Totals = new(1, 2, 3, 4, 5, 6, 7, 8, 9);

    public static TheoryData<object, string> Everything => new()
    {
        { new PassEvents.PassStarted(At), "pass-started.v1" },
        { new PassEvents.PassPaused(At), "pass-paused.v1" },
        { new PassEvents.PassResumed(At), "pass-resumed.v1" },
        { new PassEvents.PassInterrupted(At, "signal SIGINT ü"), "pass-interrupted.v1" },
        { new PassEvents.PassCancelled(At), "pass-cancelled.v1" },
        { new PassEvents.ProgressRecorded(At, Totals), "progress-recorded.v1" },
        { new PassEvents.PassCompleted(At, Totals), "pass-completed.v1" },
        { new PassEvents.PassFailed(At, Totals, "--max-delete"), "pass-failed.v1" },
        { new PassJournalState(PassStatus.Paused, Totals, At, null, TimeSpan.FromSeconds(42), null), "pass-state.v1" },
        { new PassJournalState(PassStatus.Running, Totals, At, At.AddDays(1), TimeSpan.Zero, At.AddHours(1)), "pass-state.v1" },
    };

    [Theory]
    [MemberData(nameof(Everything))]
    public void RoundTripsUnderItsStableManifest(object message, string manifest)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        var withManifest = Assert.IsType<PassEventSerializer>(serializer); // bound by Akka's config, not the default JSON
        Assert.Equal(PassEventSerializer.Id, withManifest.Identifier);
        Assert.Equal(manifest, withManifest.Manifest(message));
        var back = withManifest.FromBinary(withManifest.ToBinary(message), manifest);
        Assert.Equal(message, back);
    }

    [Fact]
    public void AnUnknownManifestIsRefusedNotGuessed()
    {
        var serializer = (PassEventSerializer)Sys.Serialization.FindSerializerFor(new PassEvents.PassStarted(At));
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(new byte[8], "pass-teleported.v9"));
    }
}
