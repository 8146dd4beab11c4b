using System.Text;
using Pdm.Actors;
using Pdm.Ledger;
using Pdm.Tests.Support;

namespace Pdm.Tests.Actors;

/// <summary>
/// The node's feeder with its real workers, writer and ledger on a real tree: it claims on demand
/// (never more than eight items per thread in flight), and a drain hands back all it holds.
/// </summary>
[Collection(TimingCollection.Name)]
public sealed class WorkFeederTests : IDisposable
{
    private readonly TempTree _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private int Leased(long passId)
    {
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_tmp["l.db"]};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var c = db.CreateCommand();
        c.CommandText = $"SELECT COUNT(*) FROM work_items WHERE pass_id = {passId} AND state = 'leased'";
        return Convert.ToInt32(c.ExecuteScalar());
    }

    private (SqliteLedger Ledger, long Pass) NewPass(string profile, double scale)
    {
        Tools.MakeTree(profile, _tmp["src"], scale);
        Directory.CreateDirectory(_tmp["dst"]);
        var ledger = SqliteLedger.Open(_tmp["l.db"]);
        long pass = ledger.CreatePass(PassKind.Copy, Encoding.UTF8.GetBytes(_tmp["src"]), Encoding.UTF8.GetBytes(_tmp["dst"]), PassOptions.None);
        ledger.SetPassStatus(pass, PassStatus.Running);
        return (ledger, pass);
    }

    /// <summary>Waits until the pass has copied some files, failing if it ended first (then there is nothing left to interrupt).</summary>
    private static async Task UntilCopied(SqliteLedger ledger, long pass, MoverNode node, int files, string why)
    {
        while (ledger.GetPassState(pass)!.Counters.FilesCopied < files)
        {
            Assert.False(node.Finished.IsCompleted, why);
            await Task.Delay(5);
        }
    }

    private static MoverHost Host() =>
        MoverHost.StartAsync(new MoverHostOptions(Akka.Configuration.Config.Empty, Journal: null)).GetAwaiter().GetResult();

    [Fact]
    public async Task ItClaimsOnDemandNeverMoreThanEightItemsPerThread()
    {
        var (ledger, pass) = NewPass("small", 0.05);
        using (ledger)
        {
            await using var host = Host();
            var node = MoverNode.Start(host.System, ledger, NodeOptions.Default with { Threads = 1 }, m => Assert.Fail(m), pass);
            int most = 0;
            while (!node.Finished.IsCompleted)
            {
                most = Math.Max(most, Leased(pass));
                await Task.Delay(2);
            }
            await node.Finished;
            Assert.InRange(most, 1, 8);
            Assert.Equal(PassStatus.Completed, ledger.GetPassState(pass)!.Status);
        }
        Tools.AssertTreesEqual(_tmp["src"], _tmp["dst"]);
    }

    [Fact]
    public async Task ADrainedNodeHoldsNothingAndAnotherFinishesThePass()
    {
        var (ledger, pass) = NewPass("small", 0.3);
        using (ledger)
        {
            await using (var host = Host())
            {
                var node = MoverNode.Start(host.System, ledger, NodeOptions.Default with { Threads = 2 }, m => Assert.Fail(m), pass);
                await UntilCopied(ledger, pass, node, 100, "the pass ended before it could be drained");
                await node.DrainAsync();
                Assert.Equal(0, Leased(pass));
                Assert.Equal(PassStatus.Running, ledger.GetPassState(pass)!.Status); // handed back, not ended
                Assert.Empty(ledger.ListNodes());
            }
            await using (var host = Host())
            {
                var node = MoverNode.Start(host.System, ledger, NodeOptions.Default with { Threads = 2 }, m => Assert.Fail(m), pass);
                await node.Finished;
            }
            Assert.Equal(PassStatus.Completed, ledger.GetPassState(pass)!.Status);
            Assert.Equal(0, ledger.GetPassState(pass)!.Counters.Failed);
        }
        Tools.AssertTreesEqual(_tmp["src"], _tmp["dst"]);
    }

    [Fact]
    public async Task APausedPassStartsNothingMoreAndRunsAgainWhenTheLedgerSaysSoEvenIfTheNoticeIsLost()
    {
        var (ledger, pass) = NewPass("small", 0.3);
        using (ledger)
        {
            await using var host = Host();
            var node = MoverNode.Start(host.System, ledger, NodeOptions.Default with { Threads = 2 }, m => Assert.Fail(m), pass);
            await UntilCopied(ledger, pass, node, 100, "the pass ended before it could be paused");
            // Paused as its coordinator does it: the ledger first, then the notice. What runs finishes; what
            // was claimed, and what waits behind it on a worker thread, goes back unstarted.
            ledger.SetPassStatus(pass, PassStatus.Paused);
            host.System.EventStream.Publish(new Pdm.Cluster.Notices.PassChanged(pass, PassStatus.Paused));
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (Leased(pass) > 0 && DateTime.UtcNow < until) await Task.Delay(10);
            Assert.Equal(0, Leased(pass));
            long copied = ledger.GetPassState(pass)!.Counters.FilesCopied;
            await Task.Delay(500);
            Assert.Equal(copied, ledger.GetPassState(pass)!.Counters.FilesCopied);
            Assert.False(node.Finished.IsCompleted, "a paused pass is waited for");

            // Resumed in the ledger, and the notice never comes (pub-sub in a cluster delivers at most once):
            // the node claims the pass's items again and must run them, not give them back forever.
            ledger.SetPassStatus(pass, PassStatus.Running);
            Assert.Same(node.Finished, await Task.WhenAny(node.Finished, Task.Delay(TimeSpan.FromSeconds(60))));
            await node.Finished;
            Assert.Equal(PassStatus.Completed, ledger.GetPassState(pass)!.Status);
            Assert.Equal(0, ledger.GetPassState(pass)!.Counters.Failed);
        }
        Tools.AssertTreesEqual(_tmp["src"], _tmp["dst"]);
    }

    /// <summary>
    /// Akka stops an actor whose start fails: a feeder that could not start (here its worker threads'
    /// dispatchers, on an actor system made without MoverHost's check of them) left its node, and the
    /// `pdm` waiting on it, hanging for good. The node now ends, with the reason.
    /// </summary>
    [Fact]
    public async Task ANodeWhoseFeederCannotStartEndsWithTheReason()
    {
        var (ledger, pass) = NewPass("small", 0.001);
        using (ledger)
        {
            var config = Akka.Configuration.ConfigurationFactory.ParseString("akka.actor.pdm-io.throughput = abc").WithFallback(PdmHocon.Defaults);
            using var system = Akka.Actor.ActorSystem.Create("feeder-fails", config);
            var node = MoverNode.Start(system, ledger, NodeOptions.Default with { Threads = 1 }, _ => { }, pass);
            var ended = await Task.WhenAny(node.Finished, Task.Delay(TimeSpan.FromSeconds(30)));
            Assert.True(ended == node.Finished, "the node never ended");
            var e = await Assert.ThrowsAsync<FormatException>(() => node.Finished);
            Assert.Contains("abc", e.Message);
            Assert.Empty(ledger.ListNodes());
            Assert.Equal(0, ledger.GetPassState(pass)!.Counters.FilesCopied);
        }
    }
}
