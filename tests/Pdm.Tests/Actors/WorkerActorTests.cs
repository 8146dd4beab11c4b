using System.Text;
using Akka.TestKit.Xunit2;
using Pdm.Actors;
using Pdm.Engine;
using Pdm.Ledger;
using Pdm.Tests.Support;

namespace Pdm.Tests.Actors;

/// <summary>
/// A worker and the item that waited behind another on its thread: if the node began to drain, or
/// the item's pass was paused or cancelled, while it waited, it never starts. It goes back to the
/// ledger as if it had not been handed out, and the feeder hears it has left the node. A real
/// DirectoryActor on a real tree and ledger; the feeder and the writer are probes.
/// </summary>
public sealed class WorkerActorTests : TestKit
{
    private readonly TempTree _tmp;
    private readonly SqliteLedger _ledger;
    private readonly MoverHost _host;
    private readonly long _pass;
    private readonly NodeContext _node;
    private readonly PassContexts _contexts;
    private readonly Akka.TestKit.TestProbe _feeder, _writer;

    public WorkerActorTests() : this(new TempTree()) { }

    private WorkerActorTests(TempTree tmp) : this(tmp, MoverHost.StartAsync(
        new MoverHostOptions(Akka.Configuration.Config.Empty, Journal: null)).GetAwaiter().GetResult()) { }

    private WorkerActorTests(TempTree tmp, MoverHost host) : base(host.System)
    {
        _tmp = tmp;
        _host = host;
        Tools.MakeTree("small", _tmp["src"], 0.01);
        Directory.CreateDirectory(_tmp["dst"]);
        _ledger = SqliteLedger.Open(_tmp["l.db"]);
        _pass = _ledger.CreatePass(PassKind.Copy, Encoding.UTF8.GetBytes(_tmp["src"]), Encoding.UTF8.GetBytes(_tmp["dst"]), PassOptions.None);
        _ledger.SetPassStatus(_pass, PassStatus.Running);
        _node = new NodeContext("test-node", _ledger, NodeOptions.Default with { Threads = 1 }, m => Assert.Fail(m));
        _contexts = new PassContexts(_ledger);
        _feeder = CreateTestProbe();
        _writer = CreateTestProbe();
        _node.Writer = _writer.Ref;
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _contexts.Dispose();
        _host.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _ledger.Dispose();
        _tmp.Dispose();
    }

    /// <summary>Claims the pass's root scan and hands it to a new DirectoryActor, as the feeder does.</summary>
    private WorkItem HandOut(CancellationToken stop)
    {
        var item = Assert.Single(_ledger.Claim(_node.Id, 10, TimeSpan.FromMinutes(1), _pass));
        Assert.Equal(WorkKind.Scan, item.Kind);
        var worker = Sys.ActorOf(DirectoryActor.Props(_node, new PlannerSet(new FileCopier())));
        worker.Tell(new NodeMessages.Work(item, _contexts.For(_pass), stop), _feeder.Ref);
        return item;
    }

    private string StateOf(long itemId)
    {
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_tmp["l.db"]};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var c = db.CreateCommand();
        c.CommandText = $"SELECT state FROM work_items WHERE id = {itemId}";
        return (string)c.ExecuteScalar()!;
    }

    /// <summary>The item left the node unstarted: back in the ledger, nothing done on the target, nothing to commit.</summary>
    private void AssertGivenBack(WorkItem item)
    {
        Assert.Equal([item.Id], _feeder.ExpectMsg<NodeMessages.Committed>().ItemIds);
        _feeder.ExpectMsg<NodeMessages.WorkerReady>();
        _writer.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal("ready", StateOf(item.Id));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_tmp["dst"]));
        // And it is done by whoever claims it next.
        Assert.Equal(item.Id, Assert.Single(_ledger.Claim("another-node", 10, TimeSpan.FromMinutes(1), _pass)).Id);
    }

    [Fact]
    public void AnItemHandedOutBeforeTheNodeBeganToDrainNeverStartsAndGoesBack()
    {
        using var draining = new CancellationTokenSource();
        draining.Cancel();
        AssertGivenBack(HandOut(draining.Token));
    }

    [Fact]
    public void AnItemOfAPassPausedWhileItWaitedNeverStartsAndGoesBack()
    {
        _node.Hold(_pass, held: true);
        AssertGivenBack(HandOut(CancellationToken.None));
    }

    [Fact]
    public void AnItemOfARunningPassOnARunningNodeRunsAndGoesToTheWriter()
    {
        // The counterpart of the two above: the same hand-out, neither draining nor held, is run.
        var item = HandOut(CancellationToken.None);
        var done = _writer.ExpectMsg<NodeMessages.Completed>(TimeSpan.FromSeconds(30));
        Assert.Equal(item.Id, done.Item.Id);
        Assert.NotEmpty(done.Outcome.Subdirectories);
        _feeder.ExpectMsg<NodeMessages.WorkerReady>();
        Assert.Equal("leased", StateOf(item.Id)); // until the writer commits it
    }
}
