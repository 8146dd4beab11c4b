using Akka.Configuration;

namespace Pdm.Actors;

/// <summary>pdm's own Akka settings, under what an admin writes in the config's akka { } section.</summary>
public static class PdmHocon
{
    /// <summary>
    /// The settings (throughput, thread type) of the dispatchers of a node's --threads worker threads,
    /// where DirectoryActor, FileCopyActor, DirectoryFinalizer and SplitFileActor run: one dispatcher of
    /// one dedicated thread per thread (<see cref="WorkerThreads"/>). Not one ForkJoinDispatcher of
    /// --threads threads: its pool wakes at most as many threads as there are cores for a burst of
    /// work, and the rest of the burst waits for one of those to finish, however long it blocks.
    /// Measured here (2 cores, --threads 8): four files of 256 MiB copied two at a time; on NFS or
    /// Lustre, where a thread mostly waits for the server, that caps a node's concurrency at its core
    /// count. Nor a PinnedDispatcher, which gives every actor a thread: up to four per --threads.
    /// </summary>
    public const string IoDispatcher = "akka.actor.pdm-io";

    /// <summary>The feeder and the completion writer: a thread each (they block on the ledger).</summary>
    public const string LedgerDispatcher = "akka.actor.pdm-ledger";

    /// <summary>
    /// The defaults, which an admin may override in akka { }. Logs go to stderr (stdout is the
    /// command's), warnings and worse by default. Coordinated shutdown leaves the process to pdm: it
    /// never exits the CLR itself.
    /// </summary>
    public static Config Defaults { get; } = ConfigurationFactory.ParseString("""
        akka {
          loglevel = WARNING
          stdout-loglevel = OFF
          log-dead-letters = off
          log-dead-letters-during-shutdown = off
          actor {
            # The node's worker threads' settings: each of the --threads threads is a dispatcher of
            # its own, of one dedicated background thread, with these settings (see WorkerThreads).
            pdm-io {
              type = ForkJoinDispatcher
              dedicated-thread-pool {
                thread-count = 1
                threadtype = background
              }
            }
            pdm-ledger {
              type = PinnedDispatcher
            }
          }
          coordinated-shutdown {
            run-by-clr-shutdown-hook = off
            exit-clr = off
            # Draining waits for work in flight to reach a safe point: a scan checkpoints, a batch
            # stops between files, but one large file is finished first.
            phases.service-unbind.timeout = 120s
          }
        }
        """);
}
