using Akka.Actor;
using Pdm.Actors;

namespace Pdm.Tests.Actors;

/// <summary>
/// A node's worker threads, as pdm makes them (<see cref="WorkerThreads"/>): work that blocks (a large
/// file, a slow NFS server) must not hold back other slots' work, however many more slots there are
/// than cores; and a slot's actors of every kind share its one thread.
/// </summary>
public sealed class IoDispatcherTests
{
    private sealed class Blocker(Barrier barrier) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            // Every worker blocks until all of them run at once; a dispatcher that leaves some queued times out.
            bool all = barrier.SignalAndWait(TimeSpan.FromSeconds(10));
            Sender.Tell(all);
        }
    }

    private sealed class ThreadTeller : UntypedActor
    {
        protected override void OnReceive(object message) => Sender.Tell(Environment.CurrentManagedThreadId);
    }

    [Fact]
    public async Task EverySlotRunsAtOnceWhenEachBlocks()
    {
        // More than the cores: Akka's ForkJoinDispatcher of N threads, which pdm-io was, wakes at most as
        // many threads as there are cores for a burst of work; the rest waited for one of those to finish.
        int slots = Environment.ProcessorCount * 2 + 2;
        await using var host = await MoverHost.StartAsync(new MoverHostOptions(Akka.Configuration.Config.Empty, Journal: null));
        var dispatchers = WorkerThreads.Register(host.System, "test", slots);
        using var barrier = new Barrier(slots);
        var actors = dispatchers
            .Select((d, i) => host.System.ActorOf(Props.Create(() => new Blocker(barrier)).WithDispatcher(d), $"blocker-{i}"))
            .ToList();
        var answers = await Task.WhenAll(actors.Select(a => a.Ask<bool>("go", TimeSpan.FromSeconds(120))));
        Assert.All(answers, Assert.True);
    }

    [Fact]
    public async Task ASlotsActorsShareItsOneThreadAndSlotsDoNot()
    {
        await using var host = await MoverHost.StartAsync(new MoverHostOptions(Akka.Configuration.Config.Empty, Journal: null));
        var dispatchers = WorkerThreads.Register(host.System, "test", 2);
        async Task<int> ThreadOf(string dispatcher, string name) =>
            await host.System.ActorOf(Props.Create(() => new ThreadTeller()).WithDispatcher(dispatcher), name).Ask<int>("which", TimeSpan.FromSeconds(30));
        int scan0 = await ThreadOf(dispatchers[0], "scan-0"), copy0 = await ThreadOf(dispatchers[0], "copy-0");
        int scan1 = await ThreadOf(dispatchers[1], "scan-1");
        Assert.Equal(scan0, copy0);
        Assert.NotEqual(scan0, scan1);
    }

    [Fact]
    public async Task TheThreadsTakeTheirSettingsFromPdmIo()
    {
        var admin = Akka.Configuration.ConfigurationFactory.ParseString("akka.actor.pdm-io.throughput = 7");
        await using var host = await MoverHost.StartAsync(new MoverHostOptions(admin, Journal: null));
        var dispatchers = WorkerThreads.Register(host.System, "test", 3);
        Assert.All(dispatchers, id => Assert.Equal(7, host.System.Dispatchers.Lookup(id).Throughput));
    }
}
