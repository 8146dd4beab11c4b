using System.CommandLine;
using Pdm.Cluster;

namespace Pdm.Shell.Commands;

/// <summary>
/// `pdm nodes [--json]`: the mover nodes, with their work in flight and throughput (from their last
/// heartbeat). On a cluster, every member with its state as Akka's membership has it.
/// </summary>
public sealed class NodesCommand(IConsoleIO console) : PdmCommand(console)
{
    public override Command Build()
    {
        var cmd = new Command("nodes", "List the mover nodes: state, work in flight, throughput") { JsonOption, LedgerOption, ConfigOption, ClusterOption, TlsOption, InsecureOption };
        cmd.SetAction(parse => Guard(() =>
        {
            using var source = OpenSource(parse);
            var list = source.Nodes();
            if (parse.GetValue(JsonOption))
            {
                JsonOutput.Nodes(Console.Out, list);
                return ExitCodes.Ok;
            }
            Print(Console.Out, list);
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    public static void Print(TextWriter o, Api.NodeList list)
    {
        if (list.Nodes.Count == 0)
        {
            o.WriteLine("no mover nodes");
            return;
        }
        o.WriteLine($"{"ADDRESS",-34} {"STATE",-9} {"IN FLIGHT",9} {"ITEMS/S",9} {"BYTES/S",11}  {"HEARTBEAT",-19}  NODE");
        foreach (var n in list.Nodes)
        {
            string state = n.Reachable ? n.Status.ToLowerInvariant() : $"{n.Status.ToLowerInvariant()}!";
            o.WriteLine($"{n.Address,-34} {state,-9} {Format.Count(n.InFlight),9} {n.ItemsPerSecond,9:0.0} {Format.Bytes(n.BytesPerSecond),11}  " +
                $"{Format.Time(n.HeartbeatAt),-19}  {n.NodeId ?? "-"}");
        }
        if (list.Nodes.Any(n => !n.Reachable)) o.WriteLine("!: unreachable (Akka's failure detector has lost it)");
    }
}
