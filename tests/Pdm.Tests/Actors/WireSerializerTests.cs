using System.Text.Json;
using Akka.TestKit.Xunit2;
using Pdm.Actors;
using Pdm.Cluster;
using Pdm.Coordination;
using Pdm.Ledger;

namespace Pdm.Tests.Actors;

/// <summary>
/// What crosses the wire between `pdm` and the nodes, and between nodes: every message type round-trips
/// under its own stable manifest through the serializer Akka binds to it (in a real `pdm --cluster`
/// actor system), and a manifest the table does not name is refused, whatever type it names.
/// </summary>
public sealed class WireSerializerTests()
    : TestKit(MoverHost.StartAsync(new MoverHostOptions(Akka.Configuration.Config.Empty, Journal: null, Name: "pdm-client",
        Client: new ApiClientSettings([("127.0.0.1", 9)], "127.0.0.1"))).GetAwaiter().GetResult().System)
{
    private static readonly DateTimeOffset At = new(2026, 12, 8, 1, 2, 3, TimeSpan.FromHours(1));
    private static readonly PassCounters Totals = new(1, 2, 3, 4, 5, 6, 7, 8, 9);
    private static readonly PassInfo Pass = new(7, PassKind.Copy, [0x2f, 0xff, 0x61], "/dst"u8.ToArray(), PassStatus.Running, true, At,
        new PassOptions(DryRun: true, Checksum: false, MaxDelete: 100));
    private static readonly PassState State = new(7, PassStatus.Interrupted, Totals, At, At, null, TimeSpan.FromSeconds(5), At, PassStatus.Running, "full");

    /// <summary>One of each message, every field set to something other than its default.</summary>
    public static TheoryData<object> Everything => new()
    {
        new Api.Submit(PassKind.Delete, ["panda", "badger", "/projects ü"], new PassOptions(MaxDelete: 5)),
        new Api.Submitted(7, true, "/src", "/dst"),
        new Api.Refused(2, "no"),
        new Api.GetPass(7),
        new Api.PassView(Pass, State, 1234, true, "waiting"),
        new Api.ListPasses(),
        new Api.PassList([new Api.PassView(Pass, State, 0, false, null)]),
        new Api.GetFailures(7, 10, 100),
        new Api.FailureList([new FailureRow(3, 7, [0xfe, 0x2f], "open", 13, "Permission denied", At)]),
        new Api.GetReport(7, 1, 50),
        new Api.ReportList([new Api.ReportLine(1, "copy", [0x61, 0x80], 42)]),
        new Api.Control(7, PassRequest.Cancel),
        new Api.ListNodes(),
        new Api.NodeList("akka.ssl.tcp://pdm@[::1]:4053", [new Api.NodeView("a", "Up", true, ["mover"], "vm:1:2", 3, 1.5, 2.5, At)]),
        new Api.Leave("127.0.0.1:4053"),
        new Api.Down("akka.ssl.tcp://pdm@127.0.0.1:4053"),
        new Api.Done("done"),
        new PassCommands.Start(7),
        new PassCommands.Pause(7),
        new PassCommands.Resume(7),
        new PassCommands.Cancel(7),
        new PassCommands.Interrupt(7, "the target's filesystem is full"),
        new PassCommands.Sync(7),
        new PassCommands.GetState(7),
        new PassCommands.Wake(7),
        new PassCommands.Result(7, true, PassStatus.Paused, "already paused"),
        new PassCommands.State(7, new PassJournalState(PassStatus.Running, Totals, At, null, TimeSpan.FromMinutes(1), At)),
        new Notices.PassChanged(7, PassStatus.Cancelled),
        new Notices.WorkReady(7),
    };

    [Theory]
    [MemberData(nameof(Everything))]
    public void RoundTripsUnderItsStableManifest(object message)
    {
        var serializer = Assert.IsType<WireSerializer>(Sys.Serialization.FindSerializerFor(message)); // bound, not the default JSON with type names
        string manifest = serializer.Manifest(message);
        Assert.Equal(WireSerializer.Manifests.Single(m => m.Type == message.GetType()).Manifest, manifest);
        Assert.DoesNotContain(message.GetType().Name, manifest);
        byte[] bytes = serializer.ToBinary(message);
        Assert.DoesNotContain("Pdm.", System.Text.Encoding.UTF8.GetString(bytes)); // no CLR type name in the body either
        var back = serializer.FromBinary(bytes, manifest);
        Assert.IsType(message.GetType(), back);
        // Records holding lists and byte arrays compare by reference: compare what they hold.
        Assert.Equal(JsonSerializer.Serialize(message, message.GetType()), JsonSerializer.Serialize(back, back.GetType()));
        if (message is not (Api.PassView or Api.PassList or Api.FailureList or Api.ReportList or Api.NodeList or Api.Submit)) Assert.Equal(message, back);
    }

    [Fact]
    public void EveryMessageOfTheApiTheCommandsAndTheNoticesIsInTheTable()
    {
        var messages = new[] { typeof(Api), typeof(PassCommands), typeof(Notices) }
            .SelectMany(t => t.GetNestedTypes())
            .Where(t => t.GetMethod("<Clone>$") is not null) // records
            .Except([typeof(Api.ReportLine), typeof(Api.NodeView)]); // parts of messages, not messages
        Assert.Empty(messages.Except(WireSerializer.Types));
        Assert.Equal(WireSerializer.Manifests.Count, WireSerializer.Manifests.Select(m => m.Manifest).Distinct().Count());
        Assert.Equal(WireSerializer.Manifests.Count, ((IEnumerable<object[]>)Everything).Count());
    }

    [Fact]
    public void AManifestNotInTheTableIsRefusedWhateverItNames()
    {
        var serializer = (WireSerializer)Sys.Serialization.FindSerializerForType(typeof(Api.Done));
        foreach (var manifest in new[] { "System.Diagnostics.Process, System", typeof(Api.Done).AssemblyQualifiedName!, "api-done.v9", "" })
            Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary("{}"u8.ToArray(), manifest));
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary("{not json"u8.ToArray(), "api-done.v1"));
    }
}
