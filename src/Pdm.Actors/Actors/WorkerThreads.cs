using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;

namespace Pdm.Actors;

/// <summary>
/// A node's --threads worker threads: one dispatcher of one dedicated thread per slot (Akka's
/// Dispatcher on its fork-join executor, a Helios DedicatedThreadPool of one thread), each the home
/// of one DirectoryActor, FileCopyActor, DirectoryFinalizer and SplitFileActor. The feeder hands a
/// free slot one item at a time, so a node has exactly --threads threads for file work, whatever mix
/// of items it runs, and each blocks on its own: a slot waiting on a slow server holds back no other
/// (unlike one ForkJoinDispatcher of --threads threads, whose pool wakes at most as many threads as
/// there are cores for a burst of work; see <see cref="PdmHocon.IoDispatcher"/>).
/// <para>
/// The slots' settings (throughput, thread type) are those of <c>akka.actor.pdm-io</c>; their executor
/// and their one thread each are fixed. Registered at run time: their number is --threads.
/// </para>
/// </summary>
public static class WorkerThreads
{
    /// <summary>Registers the dispatchers of a node's slots and returns their ids, slot by slot.</summary>
    /// <param name="node">a name unique in the actor system (the feeder's): dispatcher ids are the system's</param>
    public static string[] Register(ActorSystem system, string node, int threads)
    {
        var ids = new string[threads];
        for (int slot = 0; slot < threads; slot++)
        {
            ids[slot] = $"{PdmHocon.IoDispatcher}-{node}-{slot}";
            system.Dispatchers.RegisterConfigurator(ids[slot], Configurator(system, ids[slot], slot));
        }
        return ids;
    }

    /// <summary>
    /// Builds a slot's dispatcher once, unregistered (its thread starts only with a first actor): the
    /// settings of <c>akka.actor.pdm-io</c> that Akka refuses throw here, when the actor system starts
    /// and before a pass has begun, not when the node makes its first worker.
    /// </summary>
    public static void Check(ActorSystem system) => Configurator(system, $"{PdmHocon.IoDispatcher}-check", 0);

    private static DispatcherConfigurator Configurator(ActorSystem system, string id, int slot)
    {
        var dispatchers = system.Dispatchers;
        var settings = system.Settings.Config.GetConfig(PdmHocon.IoDispatcher) ?? Config.Empty;
        var config = ConfigurationFactory.ParseString($$"""
            id = "{{id}}"
            name = "pdm-io-{{slot}}"
            executor = fork-join-executor
            dedicated-thread-pool.thread-count = 1
            """).WithFallback(settings).WithFallback(dispatchers.DefaultDispatcherConfig);
        return new DispatcherConfigurator(config, dispatchers.Prerequisites);
    }
}
