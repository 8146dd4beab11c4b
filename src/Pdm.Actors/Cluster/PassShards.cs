using Akka.Cluster.Sharding;
using Pdm.Coordination;

namespace Pdm.Cluster;

/// <summary>
/// How the coordinators' shard region places a pass: the entity id is the pass id, so every command of
/// a pass reaches its one coordinator wherever it runs; passes spread over a fixed number of shards.
/// </summary>
public sealed class PassShards() : HashCodeMessageExtractor(MaxShards)
{
    /// <summary>Ten times the nodes a large cluster has: shards rebalance finely as nodes come and go.</summary>
    public const int MaxShards = 100;

    /// <summary>The type name of the region (and of its journaled remember-entities state).</summary>
    public const string TypeName = "pass";

    public override string? EntityId(object message) => message is IPassCommand c ? c.PassId.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
}

/// <summary>The key of the coordinators' shard region in Akka.Hosting's actor registry.</summary>
public sealed class PassCoordinators;
