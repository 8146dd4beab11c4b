using Akka.Configuration;

namespace Pdm.Actors;

/// <summary>pdm's own Akka settings, under what an admin writes in the config's akka { } section.</summary>
public static class PdmHocon
{
    /// <summary>
    /// DirectoryActor, FileCopyActor, DirectoryFinalizer, SplitFileActor: Akka's PinnedDispatcher, a
    /// thread of its own for every worker (the feeder makes at most --threads of each type, on demand,
    /// and keeps at most --threads items running). Not a ForkJoinDispatcher of --threads threads: its
    /// pool wakes at most as many threads as there are cores for a burst of work, and the rest of the
    /// burst waits for one of those to finish, however long it blocks. Measured here (2 cores,
    /// --threads 8): four files of 256 MiB copied two at a time; on NFS or Lustre, where a thread
    /// mostly waits for the server, that caps a node's concurrency at its core count.
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
            # A background thread for each worker (what Akka's PinnedDispatcher always makes).
            pdm-io {
              type = PinnedDispatcher
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
