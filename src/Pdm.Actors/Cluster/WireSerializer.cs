using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;
using Pdm.Coordination;

namespace Pdm.Cluster;

/// <summary>
/// Every pdm message that crosses a process boundary (the API that `pdm --cluster` asks, the commands
/// sent to a pass's coordinator through the shard region, the notices published to every node) under
/// a stable manifest of its own: a name and a version, never a CLR type name. A rename of a type does
/// not break a cluster during a rolling upgrade, and what a peer sends can only be one of the types in
/// <see cref="Manifests"/>: the manifest picks from that table, nothing else is instantiated. The body
/// is JSON of the record's properties (System.Text.Json, no type names in it either). A changed record
/// gets a new version of its manifest; the old one stays readable as long as a node may send it.
/// </summary>
public sealed class WireSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Beside <see cref="PassEventSerializer.Id"/>; sent with every message, so it never changes.</summary>
    public const int Id = 7412;

    public override int Identifier => Id;

    /// <summary>The one table of what may cross the wire.</summary>
    public static readonly IReadOnlyList<(string Manifest, Type Type)> Manifests =
    [
        ("api-submit.v1", typeof(Api.Submit)),
        ("api-submitted.v1", typeof(Api.Submitted)),
        ("api-refused.v1", typeof(Api.Refused)),
        ("api-get-pass.v1", typeof(Api.GetPass)),
        ("api-pass-view.v1", typeof(Api.PassView)),
        ("api-list-passes.v1", typeof(Api.ListPasses)),
        ("api-pass-list.v1", typeof(Api.PassList)),
        ("api-get-failures.v1", typeof(Api.GetFailures)),
        ("api-failure-list.v1", typeof(Api.FailureList)),
        ("api-get-report.v1", typeof(Api.GetReport)),
        ("api-report-list.v1", typeof(Api.ReportList)),
        ("api-control.v1", typeof(Api.Control)),
        ("api-list-nodes.v1", typeof(Api.ListNodes)),
        ("api-node-list.v1", typeof(Api.NodeList)),
        ("api-leave.v1", typeof(Api.Leave)),
        ("api-down.v1", typeof(Api.Down)),
        ("api-done.v1", typeof(Api.Done)),
        ("pass-start.v1", typeof(PassCommands.Start)),
        ("pass-pause.v1", typeof(PassCommands.Pause)),
        ("pass-resume.v1", typeof(PassCommands.Resume)),
        ("pass-cancel.v1", typeof(PassCommands.Cancel)),
        ("pass-interrupt.v1", typeof(PassCommands.Interrupt)),
        ("pass-sync.v1", typeof(PassCommands.Sync)),
        ("pass-get-state.v1", typeof(PassCommands.GetState)),
        ("pass-wake.v1", typeof(PassCommands.Wake)),
        ("pass-result.v1", typeof(PassCommands.Result)),
        ("pass-state.v1", typeof(PassCommands.State)),
        ("notice-pass-changed.v1", typeof(Notices.PassChanged)),
        ("notice-work-ready.v1", typeof(Notices.WorkReady)),
    ];

    public static IReadOnlyList<Type> Types { get; } = Manifests.Select(m => m.Type).ToList();

    private static readonly Dictionary<Type, string> ByType = Manifests.ToDictionary(m => m.Type, m => m.Manifest);
    private static readonly Dictionary<string, Type> ByManifest = Manifests.ToDictionary(m => m.Manifest, m => m.Type, StringComparer.Ordinal);

    private static readonly JsonSerializerOptions Json = new()
    {
        // A peer's JSON is read as the manifest's type says, with limits: no reference handling, shallow.
        MaxDepth = 16,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip,
    };

    public override string Manifest(object o) =>
        ByType.TryGetValue(o.GetType(), out var manifest) ? manifest : throw new ArgumentException($"{o.GetType()} is not a pdm wire message", nameof(o));

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Json);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!ByManifest.TryGetValue(manifest, out var type))
            throw new System.Runtime.Serialization.SerializationException($"unknown pdm wire message '{manifest}' (a peer of another version, or not pdm)");
        try
        {
            return JsonSerializer.Deserialize(bytes, type, Json) ?? throw new System.Runtime.Serialization.SerializationException($"pdm wire message '{manifest}' is empty");
        }
        catch (JsonException e)
        {
            throw new System.Runtime.Serialization.SerializationException($"pdm wire message '{manifest}' cannot be read: {e.Message}");
        }
    }
}
