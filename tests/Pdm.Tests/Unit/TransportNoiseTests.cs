using Akka.Event;
using Pdm.Actors;

namespace Pdm.Tests.Unit;

/// <summary>A refused connection is said once a minute per peer host, with a count of the rest; other events pass as they are.</summary>
public sealed class TransportNoiseTests
{
    private static readonly DateTime T0 = new(2026, 12, 8, 1, 0, 0, DateTimeKind.Utc);

    private static LogEvent Event(string text) => new Warning("akka.tcp://pdm@127.0.0.1:1/system/transports", typeof(object), text);

    /// <summary>The three events Akka's DotNetty transport logs for one junk connection, as seen on a node.</summary>
    private static IEnumerable<LogEvent> OneJunkConnection(string peer, int port) =>
    [
        Event($"Error caught channel [[::ffff:127.0.0.1]:4053->[{peer}]:{port}](Id=788ffdec)"),
        Event($"TLS handshake failed on channel [[::ffff:127.0.0.1]:4053->[{peer}]:{port}](Id=788ffdec)\nTLS handshake failed (Server side):\n  Error: not an SSL/TLS record"),
        Event($"Rejected incoming connection from [[{peer}]:{port}] due to TLS handshake failure. This is likely invalid or malicious traffic."),
    ];

    [Fact]
    public void AFloodFromOneHostIsOneLineAMinute()
    {
        var noise = new TransportNoise(TransportNoise.Minute);
        var lines = new List<string>();
        for (int i = 0; i < 1000; i++)
            foreach (var e in OneJunkConnection("::ffff:10.1.2.3", 40000 + i))
                if (noise.Line(e, T0.AddMilliseconds(i * 10)) is { } line) lines.Add(line);
        var first = Assert.Single(lines);
        Assert.StartsWith("refused a connection from ::ffff:10.1.2.3 (Error caught channel", first);
        Assert.DoesNotContain("\n", first);

        var next = noise.Line(OneJunkConnection("::ffff:10.1.2.3", 1).Last(), T0.AddMinutes(1.5));
        Assert.NotNull(next);
        Assert.Contains("2999 more from it", next);
    }

    [Fact]
    public void EachHostIsSaidOnItsOwnAndOtherEventsPass()
    {
        var noise = new TransportNoise(TransportNoise.Minute);
        Assert.NotNull(noise.Line(OneJunkConnection("::ffff:10.0.0.1", 1).First(), T0));
        Assert.NotNull(noise.Line(OneJunkConnection("::ffff:10.0.0.2", 1).First(), T0));
        Assert.Null(noise.Line(OneJunkConnection("::ffff:10.0.0.1", 2).First(), T0.AddSeconds(1)));
        Assert.Equal(TransportNoise.NotNoise, noise.Line(Event("member akka.ssl.tcp://pdm@10.0.0.5:4053 is up"), T0));
        Assert.NotNull(noise.Line(Event("TLS: refused the certificate of [::ffff:10.0.0.9]:5555: refused a peer's certificate CN=x"), T0));
    }
}
