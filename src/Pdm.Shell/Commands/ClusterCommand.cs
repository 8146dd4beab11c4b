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
        var cmd = new Command("cluster", "The cluster: init DIR (its certificates), show, leave ADDRESS, down ADDRESS");
        var show = new Command("show", "Show the members: leader, state, reachability, roles") { JsonOption, ConfigOption, ClusterOption, TlsOption, InsecureOption };
        show.SetAction(parse => Guard(() =>
        {
            var list = Connect(parse).Ask<Api.NodeList>(new Api.ListNodes());
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
        cmd.Subcommands.Add(Init());
        cmd.Subcommands.Add(show);
        cmd.Subcommands.Add(Membership("leave", "A member drains (its work in flight finishes or goes back) and leaves", a => new Api.Leave(a)));
        cmd.Subcommands.Add(Membership("down", "Mark a member down: it is gone, and its work is released to the others at once", a => new Api.Down(a)));
        return cmd;
    }

    private Command Membership(string name, string description, Func<string, object> request)
    {
        var address = new Argument<string>("ADDRESS") { Description = "akka.tcp://pdm@HOST:PORT (akka.ssl.tcp with TLS), or HOST:PORT (see pdm cluster show)" };
        var cmd = new Command(name, description) { address, ConfigOption, ClusterOption, TlsOption, InsecureOption };
        cmd.SetAction(parse => Guard(() =>
        {
            var done = Connect(parse).Ask<Api.Done>(request(parse.GetValue(address)!));
            Console.Out.WriteLine($"pdm: {done.Message}");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Cluster.ClusterSession Connect(ParseResult parse)
    {
        var config = Config(parse);
        return Session(parse, config, ClusterContacts(parse, config)
            ?? throw new UsageException("no cluster: give --cluster HOST:PORT, set PDM_CLUSTER, or name cluster.seeds in the config"));
    }

    /// <summary>`pdm cluster init DIR`: the cluster's CA and the certificates of its nodes and its admin.</summary>
    private Command Init()
    {
        var dir = new Argument<string>("DIR") { Description = "A new directory (mode 0700) for the CA and the certificates" };
        var cmd = new Command("init", "Make the cluster's own CA and the certificates its nodes and its admin show (mutual TLS)") { dir };
        cmd.SetAction(parse => Guard(() =>
        {
            string path = Path.GetFullPath(parse.GetValue(dir)!);
            ClusterTls.Init(path);
            Console.Out.WriteLine($"""
                pdm: made the cluster's CA and certificates in {path} (mode 0700, every file 0600):
                  {ClusterTls.CaCertificateFile}   the CA every node and admin trusts (and no other)
                  {ClusterTls.CaKeyFile}   the CA's key: keep it off the nodes; it makes more certificates
                  {ClusterTls.NodeFile}  every node's certificate: {ClusterTls.CaCertificateFile} and {ClusterTls.NodeFile} to each node, then Pdm.Node --tls DIR
                  {ClusterTls.AdminFile} the admin's: pdm ... --cluster HOST:PORT --tls {path}; whoever holds it is root on every node
                """);
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
