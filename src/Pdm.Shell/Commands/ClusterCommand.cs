using System.CommandLine;
using Pdm.Cluster;

namespace Pdm.Shell.Commands;

/// <summary>
/// `pdm cluster show|leave ADDRESS|down ADDRESS`: the cluster palette, in Petabridge.Cmd's habits.
/// show lists the members (leader, state, reachability, roles); leave asks a member to drain and go;
/// down marks an unreachable member as gone for good, so its work is taken up by the others now.
/// </summary>
public sealed class ClusterCommand(IConsoleIO console) : PdmCommand(console)
{
    public override Command Build()
    {
        var cmd = new Command("cluster", "The cluster's membership: show, leave ADDRESS, down ADDRESS");
        var show = new Command("show", "Show the members: leader, state, reachability, roles") { JsonOption, ConfigOption, ClusterOption };
        show.SetAction(parse => Guard(() =>
        {
            var list = Session(parse).Ask<Api.NodeList>(new Api.ListNodes());
            if (parse.GetValue(JsonOption))
            {
                JsonOutput.Nodes(Console.Out, list);
                return ExitCodes.Ok;
            }
            Console.Out.WriteLine($"leader: {list.Leader ?? "none"}");
            Console.Out.WriteLine($"{"ADDRESS",-34} {"STATUS",-9} {"REACHABLE",-9}  ROLES");
            foreach (var m in list.Nodes)
                Console.Out.WriteLine($"{m.Address,-34} {m.Status,-9} {(m.Reachable ? "yes" : "NO"),-9}  {string.Join(",", m.Roles)}");
            return ExitCodes.Ok;
        }));
        cmd.Subcommands.Add(show);
        cmd.Subcommands.Add(Membership("leave", "A member drains (its work in flight finishes or goes back) and leaves", a => new Api.Leave(a)));
        cmd.Subcommands.Add(Membership("down", "Mark a member down: it is gone, and its work is released to the others at once", a => new Api.Down(a)));
        return cmd;
    }

    private Command Membership(string name, string description, Func<string, object> request)
    {
        var address = new Argument<string>("ADDRESS") { Description = "akka.tcp://pdm@HOST:PORT (akka.ssl.tcp with TLS), or HOST:PORT (see pdm cluster show)" };
        var cmd = new Command(name, description) { address, ConfigOption, ClusterOption };
        cmd.SetAction(parse => Guard(() =>
        {
            var done = Session(parse).Ask<Api.Done>(request(parse.GetValue(address)!));
            Console.Out.WriteLine($"pdm: {done.Message}");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Cluster.ClusterSession Session(ParseResult parse)
    {
        var config = Config(parse);
        return Cluster.ClusterSession.To(ClusterContacts(parse, config)
            ?? throw new UsageException("no cluster: give --cluster HOST:PORT, set PDM_CLUSTER, or name cluster.seeds in the config"), config);
    }
}
