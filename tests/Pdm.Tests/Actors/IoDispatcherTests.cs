using Akka.Actor;
using Pdm.Actors;

namespace Pdm.Tests.Actors;

/// <summary>
/// The pdm-io dispatcher, as pdm configures it: work that blocks (a large file, a slow NFS server)
/// must not hold back other workers' work, however many more workers there are than cores.
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

    [Fact]
    public async Task AsManyWorkersAsThereAreRunAtOnceWhenEachBlocks()
    {
        // More than the cores: Akka's ForkJoinDispatcher, which pdm-io was, wakes at most as many threads
        // as there are cores for a burst of work; the rest waited for one of those to finish.
        int workers = Environment.ProcessorCount * 2 + 2;
        await using var host = await MoverHost.StartAsync(new MoverHostOptions(Akka.Configuration.Config.Empty, Journal: null));
        using var barrier = new Barrier(workers);
        var actors = Enumerable.Range(0, workers)
            .Select(i => host.System.ActorOf(Props.Create(() => new Blocker(barrier)).WithDispatcher(PdmHocon.IoDispatcher), $"blocker-{i}"))
            .ToList();
        var answers = await Task.WhenAll(actors.Select(a => a.Ask<bool>("go", TimeSpan.FromSeconds(120))));
        Assert.All(answers, Assert.True);
    }
}
